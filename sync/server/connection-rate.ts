import type { Clock } from '../common/runtime.js';

/**
 * How many frames one connection may send, whatever they are: a token bucket of `burst` frames,
 * refilled at `perSecond`. The burst covers what a client legitimately sends at once (after a
 * reconnect: the conversation list, a catch-up page or two per conversation behind, receipts, and
 * the outbox's window: up to OUTBOX_WINDOW (256) queued rows, 32 more per other conversation with
 * something to send); the sustained rate is far above what a person produces, and far below what
 * one connection could make the store do.
 */
export interface FrameRateLimits {
  perSecond: number;
  burst: number;
  /**
   * Refused frames the client has not waited for (see ConnectionRate) past which the connection is
   * closed: a client that keeps sending while told to wait is flooding, not pipelining. Frames a
   * client had on the wire before it heard count too, so this leaves room for the outbox's window
   * (256, and 32 in each other conversation) with over a hundred conversations sending; a refusal
   * costs little, so that is cheap.
   */
  closeAfterRefused: number;
}

export const FRAME_RATE: FrameRateLimits = { perSecond: 100, burst: 500, closeAfterRefused: 5_000 };

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number; flooding: boolean };

/**
 * One connection's frame budget, on the injected clock. A refused frame is not handled at all (as
 * if never sent) and reserves a token to come: each refusal's `retryAfterMs` is when the bucket
 * will hold enough for every frame refused so far, so the frames a pipelining client had on the
 * wire are told to come back one after another at the sustained rate instead of all together at
 * the next token. A frame admitted while reservations are open is taken as one of them coming
 * back. Reservations lapse once the bucket is full again (nobody came back for them).
 */
export class ConnectionRate {
  private tokens: number;
  private reserved = 0;
  private refilledAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: FrameRateLimits = FRAME_RATE,
  ) {
    this.tokens = limits.burst;
    this.refilledAt = clock.now();
  }

  /** Spends a token on one arriving frame, or says when to send it again. */
  take(): Admission {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      if (this.reserved > 0) this.reserved -= 1;
      return { admitted: true };
    }
    this.reserved += 1;
    const retryAfterMs = Math.ceil(((this.reserved - this.tokens) / this.limits.perSecond) * 1000);
    return { admitted: false, retryAfterMs, flooding: this.reserved > this.limits.closeAfterRefused };
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.refilledAt = now;
    this.tokens = Math.min(this.limits.burst, this.tokens + (elapsed * this.limits.perSecond) / 1000);
    if (this.tokens >= this.limits.burst) this.reserved = 0;
  }
}

/** The limits checked for sense, or a RangeError naming what is wrong. */
export function checkFrameRate(limits: FrameRateLimits): FrameRateLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value < 1)
      throw new RangeError(`frameRate.${name} must be a number of at least 1, got ${value}`);
  }
  return limits;
}
