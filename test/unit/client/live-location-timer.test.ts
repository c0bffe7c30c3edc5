/**
 * A live location's moves leave at most every 15 s (sync/client/live-location-timer.ts), each time
 * the newest fix reported, driven by a stand-in clock and timers.
 */
import { describe, expect, it } from 'vitest';
import type { TimerHandle } from '../../../sync/common/runtime.js';
import { LiveLocationTimer } from '../../../sync/client/live-location-timer.js';

function standIns() {
  let now = 0;
  let next = 0;
  const pending = new Map<number, { at: number; run: () => void }>();
  const sent: { lat: number; at: number }[] = [];
  const refused: unknown[] = [];
  let refuse = false;
  const timer = new LiveLocationTimer({
    runtime: {
      clock: { now: () => now },
      timers: {
        setTimeout: (run, delayMs) => {
          pending.set(++next, { at: now + delayMs, run });
          return next as unknown as TimerHandle;
        },
        clearTimeout: (handle) => void pending.delete(handle as unknown as number),
      },
    },
    send: (_conversationId, _messageId, point, at) => {
      if (refuse) throw new Error('not_allowed');
      sent.push({ lat: point.lat, at });
    },
    failed: (error) => refused.push(error),
  });
  /** Moves the clock on, running the timers due on the way. */
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...pending.entries()].filter(([, entry]) => entry.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].run();
    }
    now = until;
  };
  return { timer, sent, refused, advance, pending, refuseFromNow: () => (refuse = true) };
}

const at = (lat: number) => ({ lat, lon: 0 });

describe('a live location’s moves', () => {
  it('go at most every 15 s, each the newest fix reported by then', () => {
    const { timer, sent, advance } = standIns();
    timer.started('c1', 'l1');
    timer.report('c1', 'l1', at(1));
    timer.report('c1', 'l1', at(2));
    expect(sent).toEqual([]);
    advance(15_000);
    expect(sent).toEqual([{ lat: 2, at: 15_000 }]);
    advance(20_000);
    // Nothing new was reported: nothing goes.
    expect(sent).toHaveLength(1);
    timer.report('c1', 'l1', at(3));
    expect(sent).toEqual([
      { lat: 2, at: 15_000 },
      { lat: 3, at: 35_000 },
    ]);
    timer.report('c1', 'l1', at(4));
    advance(14_999);
    expect(sent).toHaveLength(2);
    advance(1);
    expect(sent.at(-1)).toEqual({ lat: 4, at: 50_000 });
  });

  it('go at once for a location this run did not start (after a restart), and stop when forgotten or refused', () => {
    const { timer, sent, refused, advance, pending, refuseFromNow } = standIns();
    advance(5000);
    timer.report('c1', 'l1', at(1));
    expect(sent).toEqual([{ lat: 1, at: 5000 }]);
    timer.report('c1', 'l1', at(2));
    timer.forget('l1');
    expect(pending.size).toBe(0);
    advance(60_000);
    expect(sent).toHaveLength(1);

    timer.report('c1', 'l2', at(7));
    timer.report('c1', 'l2', at(8));
    refuseFromNow();
    advance(15_000);
    expect(refused).toHaveLength(1);
    timer.stopAll();
    expect(pending.size).toBe(0);
  });
});
