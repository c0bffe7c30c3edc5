import type { Runtime, TimerHandle } from '../../sync/common/runtime.js';

/** Lets every promise callback queued so far run (a macrotask turn of the real event loop). */
export const settle = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * A runtime whose clock and timers move only when the test says: `advance(ms)` runs every timer due
 * within `ms`, in time order, settling promises after each.
 */
export function handRuntime(startMs = 10_000): {
  runtime: Runtime;
  advance: (ms: number) => Promise<void>;
  /** How many timers are set and not yet run or cleared. */
  pendingTimers: () => number;
} {
  let now = startMs;
  const timers = new Map<number, { at: number; run: () => void }>();
  let nextTimer = 0;
  const runtime: Runtime = {
    clock: { now: () => now },
    timers: {
      setTimeout: (run, delayMs) => {
        timers.set(++nextTimer, { at: now + delayMs, run });
        return nextTimer as unknown as TimerHandle;
      },
      clearTimeout: (handle) => void timers.delete(handle as unknown as number),
    },
    random: { next: () => 0.5, uuid: () => 'uuid', hex: () => 'ab' },
  };
  const advance = async (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers].filter(([, timer]) => timer.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].run();
      await settle();
    }
    now = until;
    await settle();
  };
  return { runtime, advance, pendingTimers: () => timers.size };
}
