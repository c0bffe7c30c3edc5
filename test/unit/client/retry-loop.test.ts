/** RetryLoop: one run at a time, one more run for what was asked meanwhile, retries with backoff while active. */
import { describe, expect, it } from 'vitest';
import { OUTBOX_BACKOFF } from '../../../sync/client/backoff.js';
import { RetryLoop } from '../../../sync/client/retry-loop.js';
import type { Runtime, TimerHandle } from '../../../sync/common/runtime.js';

function setUp(work: () => Promise<void>, retry: (error: unknown) => boolean = () => true) {
  const timers = new Map<number, { callback: () => void; delayMs: number }>();
  let next = 0;
  let active = true;
  const runtime: Runtime = {
    clock: { now: () => 0 },
    random: { next: () => 0.5, uuid: () => 'u', hex: () => 'h' },
    timers: {
      setTimeout: (callback, delayMs) => {
        timers.set(++next, { callback, delayMs });
        return next as unknown as TimerHandle;
      },
      clearTimeout: (handle) => void timers.delete(handle as unknown as number),
    },
  };
  const loop = new RetryLoop(runtime, { work, active: () => active, retry });
  const fire = () => {
    const [id, timer] = [...timers][0]!;
    timers.delete(id);
    timer.callback();
    return timer.delayMs;
  };
  return { loop, timers, fire, deactivate: () => void (active = false) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('RetryLoop', () => {
  it('runs once at a time, and once more after a run for everything asked meanwhile', async () => {
    let runs = 0;
    let finish!: () => void;
    const { loop } = setUp(() => {
      runs += 1;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    loop.run();
    loop.run();
    loop.run();
    expect(runs).toBe(1);
    finish();
    await settle();
    expect(runs).toBe(2);
    finish();
    await settle();
    expect(runs).toBe(2);
  });

  it('tries a failed run again after a growing backoff, from the shortest again after a success or a reset', async () => {
    let failures = 2;
    let runs = 0;
    const { loop, fire, timers } = setUp(async () => {
      runs += 1;
      if (failures-- > 0) throw new Error('no');
    });
    loop.run();
    await settle();
    expect(loop.waitingToRetry).toBe(true);
    const first = fire();
    await settle();
    const second = fire();
    await settle();
    expect([first, second]).toEqual([0.75 * OUTBOX_BACKOFF.baseMs, 1.5 * OUTBOX_BACKOFF.baseMs]);
    expect(runs).toBe(3);
    expect(timers.size).toBe(0);
    failures = 1;
    loop.run();
    await settle();
    loop.reset();
    expect(loop.waitingToRetry).toBe(false);
  });

  it('gives up when the failure is not worth a retry, and runs nothing while inactive', async () => {
    let runs = 0;
    const { loop, timers, deactivate } = setUp(
      async () => {
        runs += 1;
        throw new Error('refused for good');
      },
      () => false,
    );
    loop.run();
    await settle();
    expect(timers.size).toBe(0);
    deactivate();
    loop.run();
    await settle();
    expect(runs).toBe(1);
  });
});
