/** One connection's frame budget (a token bucket with reservations), on a hand-set clock. */
import { describe, expect, it } from 'vitest';
import { checkFrameRate, ConnectionRate, FRAME_RATE, type Admission } from '../../../sync/server/connection-rate.js';

function setUp(limits = { perSecond: 10, burst: 5, closeAfterRefused: 20 }) {
  let now = 1_000_000;
  const rate = new ConnectionRate({ now: () => now }, limits);
  return { rate, advance: (ms: number) => void (now += ms) };
}

function takeMany(rate: ConnectionRate, count: number): Admission[] {
  return Array.from({ length: count }, () => rate.take());
}

describe('ConnectionRate', () => {
  it('admits a burst at once, then one frame per refill', () => {
    const { rate, advance } = setUp();
    expect(takeMany(rate, 5).every((a) => a.admitted)).toBe(true);
    expect(rate.take()).toEqual({ admitted: false, retryAfterMs: 100, flooding: false });
    advance(100);
    expect(rate.take()).toEqual({ admitted: true });
    expect(rate.take().admitted).toBe(false);
  });

  it('tells each refused frame of a pipelined run its own turn, one refill apart', () => {
    const { rate, advance } = setUp();
    takeMany(rate, 5);
    const waits = takeMany(rate, 4).map((a) => (a.admitted ? 0 : a.retryAfterMs));
    expect(waits).toEqual([100, 200, 300, 400]);
    // Coming back when told, each is admitted.
    for (const wait of [100, 100, 100, 100]) {
      advance(wait);
      expect(rate.take()).toEqual({ admitted: true });
    }
    // The reservations are used up: the next refusal waits one refill only.
    expect(rate.take()).toEqual({ admitted: false, retryAfterMs: 100, flooding: false });
  });

  it('calls a connection that keeps sending while refused flooding', () => {
    const { rate } = setUp();
    takeMany(rate, 5);
    const refused = takeMany(rate, 21);
    expect(refused.slice(0, 20).every((a) => !a.admitted && !a.flooding)).toBe(true);
    expect(refused[20]).toMatchObject({ admitted: false, flooding: true });
  });

  it('forgets reservations nobody came back for once the bucket is full again', () => {
    const { rate, advance } = setUp();
    takeMany(rate, 5 + 15);
    advance(500);
    expect(takeMany(rate, 5).every((a) => a.admitted)).toBe(true);
    expect(rate.take()).toEqual({ admitted: false, retryAfterMs: 100, flooding: false });
  });

  it('refuses limits that make no sense', () => {
    expect(checkFrameRate(FRAME_RATE)).toBe(FRAME_RATE);
    expect(() => checkFrameRate({ ...FRAME_RATE, perSecond: 0 })).toThrow(/perSecond/);
    expect(() => checkFrameRate({ ...FRAME_RATE, burst: Number.NaN })).toThrow(/burst/);
  });
});
