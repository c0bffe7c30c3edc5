/**
 * A live location's moves leave at most every 15 s (sync/client/live-location-timer.ts), each time
 * the newest fix reported, driven by a stand-in clock and timers.
 */
import { describe, expect, it } from 'vitest';
import { LiveLocationTimer } from '../../../sync/client/live-location-timer.js';
import { handRuntime } from '../../support/hand-runtime.js';

function standIns() {
  const { runtime, advance, pendingTimers } = handRuntime(0);
  const sent: { lat: number; at: number }[] = [];
  const refused: unknown[] = [];
  let refuse = false;
  const timer = new LiveLocationTimer({
    runtime,
    send: (_conversationId, _messageId, point, at) => {
      if (refuse) throw new Error('not_allowed');
      sent.push({ lat: point.lat, at });
    },
    failed: (error) => refused.push(error),
  });
  return { timer, sent, refused, advance, pendingTimers, refuseFromNow: () => (refuse = true) };
}

const at = (lat: number) => ({ lat, lon: 0 });

describe('a live location’s moves', () => {
  it('go at most every 15 s, each the newest fix reported by then', async () => {
    const { timer, sent, advance } = standIns();
    timer.started('c1', 'l1');
    timer.report('c1', 'l1', at(1));
    timer.report('c1', 'l1', at(2));
    expect(sent).toEqual([]);
    await advance(15_000);
    expect(sent).toEqual([{ lat: 2, at: 15_000 }]);
    await advance(20_000);
    // Nothing new was reported: nothing goes.
    expect(sent).toHaveLength(1);
    timer.report('c1', 'l1', at(3));
    expect(sent).toEqual([
      { lat: 2, at: 15_000 },
      { lat: 3, at: 35_000 },
    ]);
    timer.report('c1', 'l1', at(4));
    await advance(14_999);
    expect(sent).toHaveLength(2);
    await advance(1);
    expect(sent.at(-1)).toEqual({ lat: 4, at: 50_000 });
  });

  it('go at once for a location this run did not start (after a restart), and stop when forgotten or refused', async () => {
    const { timer, sent, refused, advance, pendingTimers, refuseFromNow } = standIns();
    await advance(5000);
    timer.report('c1', 'l1', at(1));
    expect(sent).toEqual([{ lat: 1, at: 5000 }]);
    timer.report('c1', 'l1', at(2));
    timer.forget('l1');
    expect(pendingTimers()).toBe(0);
    await advance(60_000);
    expect(sent).toHaveLength(1);

    timer.report('c1', 'l2', at(7));
    timer.report('c1', 'l2', at(8));
    refuseFromNow();
    await advance(15_000);
    expect(refused).toHaveLength(1);
    timer.stopAll();
    expect(pendingTimers()).toBe(0);
  });
});
