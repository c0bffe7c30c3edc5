import type { Clock } from '../common/runtime.js';
import { LIMITS } from '../protocol/limits.js';

/**
 * Per-user limits on what a connection may ask of the server beyond its own data, on the injected
 * clock (the simulation replays them exactly; rate-limiter-flexible reads the wall clock, so the
 * HTTP endpoints use it and the sync core does not):
 * - username lookups (find_user, start_conversation by username): a few dozen a minute, so nobody
 *   walks the directory of usernames;
 * - typing relays: one per person and conversation a second, however often the frame comes.
 */
export interface FrameThrottleLimits {
  lookupsPerWindow: number;
  lookupWindowMs: number;
  typingRelayEveryMs: number;
}

export const FRAME_THROTTLE: FrameThrottleLimits = {
  lookupsPerWindow: 30,
  lookupWindowMs: 60_000,
  typingRelayEveryMs: 1_000,
};

/** Entries kept before stale ones are swept (each is a few dozen bytes). */
const SWEEP_ABOVE = 10_000;

export class FrameThrottle {
  /** userId → the window they are counted in. */
  private readonly lookups = new Map<string, { startedAt: number; count: number }>();
  /** `${userId} ${conversationId}` → when their typing was last relayed. */
  private readonly typingRelayed = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: FrameThrottleLimits = FRAME_THROTTLE,
  ) {}

  /** Counts a username lookup; false when the user has had their share of this window. */
  lookup(userId: string): boolean {
    const now = this.clock.now();
    const window = this.lookups.get(userId);
    if (!window || now - window.startedAt >= this.limits.lookupWindowMs) {
      this.sweep(this.lookups, (entry) => now - entry.startedAt >= this.limits.lookupWindowMs);
      this.lookups.set(userId, { startedAt: now, count: 1 });
      return true;
    }
    if (window.count >= this.limits.lookupsPerWindow) return false;
    window.count += 1;
    return true;
  }

  /** How long until the user may look up again (0 when they may now). */
  lookupRetryMs(userId: string): number {
    const window = this.lookups.get(userId);
    return window ? Math.max(0, window.startedAt + this.limits.lookupWindowMs - this.clock.now()) : 0;
  }

  /**
   * Whether the same person's typing in this conversation was relayed a moment ago: checked before
   * anything is read, so a burst of typing frames costs the store nothing.
   */
  typingRelayedRecently(userId: string, conversationId: string): boolean {
    const last = this.typingRelayed.get(`${userId} ${conversationId}`);
    return last !== undefined && this.clock.now() - last < this.limits.typingRelayEveryMs;
  }

  /** Whether this typing frame is relayed: not when the same person's was, in the same conversation, a moment ago. */
  relayTyping(userId: string, conversationId: string): boolean {
    const now = this.clock.now();
    if (this.typingRelayedRecently(userId, conversationId)) return false;
    const key = `${userId} ${conversationId}`;
    this.sweep(this.typingRelayed, (at) => now - at >= LIMITS.typingTtlMs);
    this.typingRelayed.set(key, now);
    return true;
  }

  private sweep<V>(entries: Map<string, V>, stale: (value: V) => boolean): void {
    if (entries.size < SWEEP_ABOVE) return;
    for (const [key, value] of entries) if (stale(value)) entries.delete(key);
  }
}
