/** Username lookups and typing relays per user, on a hand-set clock. */
import { describe, expect, it } from 'vitest';
import { FRAME_THROTTLE, FrameThrottle } from '../../../sync/server/frame-throttle.js';

function setUp() {
  let now = 1_000_000;
  const throttle = new FrameThrottle({ now: () => now });
  return { throttle, advance: (ms: number) => void (now += ms) };
}

describe('FrameThrottle', () => {
  it('allows a window’s share of username lookups per user, then none until the window is over', () => {
    const { throttle, advance } = setUp();
    for (let i = 0; i < FRAME_THROTTLE.lookupsPerWindow; i += 1) expect(throttle.lookup('ann')).toBe(true);
    expect(throttle.lookup('ann')).toBe(false);
    // Someone else is counted apart.
    expect(throttle.lookup('ben')).toBe(true);
    advance(FRAME_THROTTLE.lookupWindowMs - 1_000);
    expect(throttle.lookup('ann')).toBe(false);
    expect(throttle.lookupRetryMs('ann')).toBe(1_000);
    advance(1_000);
    expect(throttle.lookup('ann')).toBe(true);
    expect(throttle.lookupRetryMs('nobody')).toBe(0);
  });

  it('relays one typing frame per person and conversation a second', () => {
    const { throttle, advance } = setUp();
    expect(throttle.relayTyping('ann', 'c1')).toBe(true);
    expect(throttle.relayTyping('ann', 'c1')).toBe(false);
    expect(throttle.relayTyping('ann', 'c2')).toBe(true);
    expect(throttle.relayTyping('ben', 'c1')).toBe(true);
    advance(FRAME_THROTTLE.typingRelayEveryMs - 1);
    expect(throttle.relayTyping('ann', 'c1')).toBe(false);
    advance(1);
    expect(throttle.relayTyping('ann', 'c1')).toBe(true);
  });
});
