/** Username lookups, typing relays, key bundle and identity fetches and device envelopes per user, on a hand-set clock. */
import { describe, expect, it } from 'vitest';
import { KEY_LIMITS } from '../../../sync/protocol/key-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { FRAME_THROTTLE, FrameThrottle, type FrameThrottleLimits } from '../../../sync/server/frame-throttle.js';

function setUp(limits: Partial<FrameThrottleLimits> = {}) {
  let now = 1_000_000;
  const throttle = new FrameThrottle({ now: () => now }, limits);
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

  it('allows a few fetches of one person’s key bundles per asker, and a budget of fetches in all; a refused fetch counts for nothing', () => {
    const { throttle, advance } = setUp({ keyFetchesPerPersonPerWindow: 2, keyFetchesPerWindow: 3, keyFetchWindowMs: 60_000 });
    expect(throttle.keyFetch('ann', 'ben')).toBe(true);
    expect(throttle.keyFetch('ann', 'ben')).toBe(true);
    expect(throttle.keyFetch('ann', 'ben')).toBe(false);
    // Another person, within the asker's budget; someone else asking is counted apart.
    expect(throttle.keyFetch('ann', 'cy')).toBe(true);
    expect(throttle.keyFetch('ann', 'dee')).toBe(false);
    expect(throttle.keyFetch('eve', 'ben')).toBe(true);
    advance(20_000);
    expect(throttle.keyFetchRetryMs('ann', 'dee')).toBe(40_000);
    expect(throttle.keyFetchRetryMs('eve', 'cy')).toBe(40_000);
    advance(40_000);
    expect(throttle.keyFetch('ann', 'dee')).toBe(true);
    expect(throttle.keyFetch('ann', 'ben')).toBe(true);
    expect(throttle.keyFetchRetryMs('nobody', 'ben')).toBe(0);
  });

  it('counts identity key fetches against the asker’s budget of key fetches only, with no per-person share', () => {
    const { throttle, advance } = setUp({ keyFetchesPerPersonPerWindow: 1, keyFetchesPerWindow: 3, keyFetchWindowMs: 60_000 });
    expect(throttle.identityFetch('ann')).toBe(true);
    expect(throttle.identityFetch('ann')).toBe(true);
    expect(throttle.keyFetch('ann', 'ben')).toBe(true);
    expect(throttle.identityFetch('ann')).toBe(false);
    expect(throttle.keyFetch('ann', 'cy')).toBe(false);
    expect(throttle.identityFetch('eve')).toBe(true);
    advance(15_000);
    expect(throttle.identityFetchRetryMs('ann')).toBe(45_000);
    advance(45_000);
    expect(throttle.identityFetch('ann')).toBe(true);
  });

  it('budgets by default enough fetches for a full group, but only a few of one person', () => {
    expect(FRAME_THROTTLE.keyFetchesPerWindow).toBeGreaterThanOrEqual(LIMITS.maxGroupMembers);
    expect(FRAME_THROTTLE.keyFetchesPerPersonPerWindow).toBeLessThan(KEY_LIMITS.prekeysLowWater);
  });

  it('counts device envelopes by the send: one that would pass the budget is refused whole and counts for nothing', () => {
    const { throttle, advance } = setUp({ envelopesPerWindow: 10, envelopeWindowMs: 60_000 });
    expect(throttle.sendEnvelopes('ann', 6)).toBe(true);
    expect(throttle.sendEnvelopes('ann', 5)).toBe(false);
    expect(throttle.sendEnvelopes('ann', 4)).toBe(true);
    expect(throttle.sendEnvelopes('ann', 1)).toBe(false);
    expect(throttle.sendEnvelopes('ben', 10)).toBe(true);
    // More in one send than the whole budget never fits.
    expect(throttle.sendEnvelopes('cy', 11)).toBe(false);
    advance(30_000);
    expect(throttle.envelopesRetryMs('ann')).toBe(30_000);
    advance(30_000);
    expect(throttle.sendEnvelopes('ann', 10)).toBe(true);
  });

  it('budgets by default enough envelopes to hand a sender key to every device of a full group several times an hour', () => {
    expect(FRAME_THROTTLE.envelopesPerWindow).toBeGreaterThanOrEqual(LIMITS.maxGroupMembers * 2 * 5);
  });
});
