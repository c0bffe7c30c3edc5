import type { Clock } from '../common/runtime.js';
import { LIMITS } from '../protocol/limits.js';

/**
 * Per-user limits on what a connection may ask of the server beyond its own data, on the injected
 * clock (the simulation replays them exactly; rate-limiter-flexible reads the wall clock, so the
 * HTTP endpoints use it and the sync core does not):
 * - username lookups (find_user, start_conversation by username): a few dozen a minute, so nobody
 *   walks the directory of usernames;
 * - typing relays: one per person and conversation a second, however often the frame comes;
 * - key bundle fetches: each uses up one-time prekeys of someone else's, so a stranger must not
 *   drain them: a budget per asker (enough to start sessions with a full group's members), and a
 *   few fetches per asker and person; identity key fetches use up nothing of anyone's, so they
 *   count against the asker's budget only;
 * - device envelopes: each is stored until its device comes for it, so one person's sends are
 *   counted in envelopes, enough to hand a new sender key to every device of a full group a few
 *   times an hour;
 * - key backup writes and reads: a backup is one row per account, capped in size by the protocol,
 *   so the disk it takes is bounded; the rate bounds how often it is rewritten (each write is up to
 *   60 KiB through the database's log) and read. A device writes once when it gets its identity and
 *   when what it backs up changes, and reads once per connection.
 */
export interface FrameThrottleLimits {
  lookupsPerWindow: number;
  lookupWindowMs: number;
  typingRelayEveryMs: number;
  keyFetchesPerWindow: number;
  keyFetchesPerPersonPerWindow: number;
  keyFetchWindowMs: number;
  envelopesPerWindow: number;
  envelopeWindowMs: number;
  backupWritesPerWindow: number;
  backupReadsPerWindow: number;
  backupWindowMs: number;
}

export const FRAME_THROTTLE: FrameThrottleLimits = {
  lookupsPerWindow: 30,
  lookupWindowMs: 60_000,
  typingRelayEveryMs: 1_000,
  keyFetchesPerWindow: 2_000,
  keyFetchesPerPersonPerWindow: 5,
  keyFetchWindowMs: 60 * 60_000,
  envelopesPerWindow: 20_000,
  envelopeWindowMs: 60 * 60_000,
  backupWritesPerWindow: 60,
  backupReadsPerWindow: 240,
  backupWindowMs: 60 * 60_000,
};

/** Entries kept before stale ones are swept (each is a few dozen bytes). */
const SWEEP_ABOVE = 10_000;

/** Counts per key in fixed windows that start at a key's first count. */
class WindowCounter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  /** Whether `key` has room for `take` more counts (at least one) this window, and counts them then. */
  allows(key: string, max: number, take: number): boolean {
    const now = this.clock.now();
    const window = this.windows.get(key);
    const fits = (count: number) => count + Math.max(take, 1) <= max;
    if (!window || now - window.startedAt >= this.windowMs) {
      if (take === 0) return fits(0);
      if (!fits(0)) return false;
      sweep(this.windows, (entry) => now - entry.startedAt >= this.windowMs);
      this.windows.set(key, { startedAt: now, count: take });
      return true;
    }
    if (!fits(window.count)) return false;
    window.count += take;
    return true;
  }

  /** How long until `key` is counted afresh (0 when it has no window now). */
  retryMs(key: string): number {
    const window = this.windows.get(key);
    return window ? Math.max(0, window.startedAt + this.windowMs - this.clock.now()) : 0;
  }
}

export class FrameThrottle {
  private readonly limits: FrameThrottleLimits;
  private readonly lookups: WindowCounter;
  private readonly keyFetches: WindowCounter;
  private readonly keyFetchesOfPerson: WindowCounter;
  private readonly envelopes: WindowCounter;
  private readonly backupWrites: WindowCounter;
  private readonly backupReads: WindowCounter;
  /** `${userId} ${conversationId}` → when their typing was last relayed. */
  private readonly typingRelayed = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    limits: Partial<FrameThrottleLimits> = {},
  ) {
    this.limits = { ...FRAME_THROTTLE, ...limits };
    this.lookups = new WindowCounter(clock, this.limits.lookupWindowMs);
    this.keyFetches = new WindowCounter(clock, this.limits.keyFetchWindowMs);
    this.keyFetchesOfPerson = new WindowCounter(clock, this.limits.keyFetchWindowMs);
    this.envelopes = new WindowCounter(clock, this.limits.envelopeWindowMs);
    this.backupWrites = new WindowCounter(clock, this.limits.backupWindowMs);
    this.backupReads = new WindowCounter(clock, this.limits.backupWindowMs);
  }

  /** Counts a username lookup; false when the user has had their share of this window. */
  lookup(userId: string): boolean {
    return this.lookups.allows(userId, this.limits.lookupsPerWindow, 1);
  }

  /** How long until the user may look up again (0 when they may now). */
  lookupRetryMs(userId: string): number {
    return this.lookups.retryMs(userId);
  }

  /** Counts a fetch of `personId`'s key bundles by `userId`; false (nothing counted) when either budget is spent. */
  keyFetch(userId: string, personId: string): boolean {
    const pair = `${userId} ${personId}`;
    if (!this.keyFetches.allows(userId, this.limits.keyFetchesPerWindow, 0)) return false;
    if (!this.keyFetchesOfPerson.allows(pair, this.limits.keyFetchesPerPersonPerWindow, 0)) return false;
    this.keyFetches.allows(userId, this.limits.keyFetchesPerWindow, 1);
    this.keyFetchesOfPerson.allows(pair, this.limits.keyFetchesPerPersonPerWindow, 1);
    return true;
  }

  /** Counts a fetch of someone's identity key by `userId` against their key fetch budget; false when it is spent. */
  identityFetch(userId: string): boolean {
    return this.keyFetches.allows(userId, this.limits.keyFetchesPerWindow, 1);
  }

  /** How long until `userId` may fetch identity keys again. */
  identityFetchRetryMs(userId: string): number {
    return this.keyFetches.retryMs(userId);
  }

  /** How long until `userId` may fetch `personId`'s bundles again. */
  keyFetchRetryMs(userId: string, personId: string): number {
    return Math.max(this.keyFetches.retryMs(userId), this.keyFetchesOfPerson.retryMs(`${userId} ${personId}`));
  }

  /** Counts `count` device envelopes sent by `userId`; false (nothing counted) when they would pass the budget. */
  sendEnvelopes(userId: string, count: number): boolean {
    return this.envelopes.allows(userId, this.limits.envelopesPerWindow, count);
  }

  /** How long until `userId` may send device envelopes again. */
  envelopesRetryMs(userId: string): number {
    return this.envelopes.retryMs(userId);
  }

  /** Counts a write (or a read) of `userId`'s key backup; false when they have had their share of this window. */
  backupAccess(userId: string, kind: 'write' | 'read'): boolean {
    return kind === 'write'
      ? this.backupWrites.allows(userId, this.limits.backupWritesPerWindow, 1)
      : this.backupReads.allows(userId, this.limits.backupReadsPerWindow, 1);
  }

  /** How long until `userId` may write (or read) their key backup again. */
  backupRetryMs(userId: string, kind: 'write' | 'read'): number {
    return (kind === 'write' ? this.backupWrites : this.backupReads).retryMs(userId);
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
    sweep(this.typingRelayed, (at) => now - at >= LIMITS.typingTtlMs);
    this.typingRelayed.set(key, now);
    return true;
  }
}

function sweep<V>(entries: Map<string, V>, stale: (value: V) => boolean): void {
  if (entries.size < SWEEP_ABOVE) return;
  for (const [key, value] of entries) if (stale(value)) entries.delete(key);
}
