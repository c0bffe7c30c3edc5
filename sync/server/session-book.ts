import type { Clock } from '../common/runtime.js';
import type { SessionListItem } from '../protocol/frames.js';
import { ACCOUNT_CAPS } from '../protocol/limits.js';
import { HttpError } from './http-body.js';
import { REFUSALS } from './refusals.js';
import { hashSessionToken, newSessionToken } from './session-tokens.js';
import type { ServerStore, SessionUse } from './store/server-store.js';

/** A session a token opened, and the token's hash (so that it can be checked again later). */
export interface AuthenticatedSession extends SessionUse {
  tokenHash: string;
}

/**
 * The rules of sessions, over the store: a session is opened per device up to the account's cap,
 * lives while it is used (it expires after ACCOUNT_CAPS.sessionIdleExpiryMs unused), and ends when
 * its person signs out, ends it from another device, or changes their password. Whenever sessions
 * end, `ended` hears of it at once, so that their sockets close on every node.
 */
export class SessionBook {
  constructor(
    private readonly deps: {
      store: ServerStore;
      clock: Clock;
      randomHex: (bytes: number) => string;
      randomId: () => string;
      ended: (userId: string, sessionIds: readonly string[]) => void;
    },
  ) {}

  /** A new session's token; refused (403, too_many_devices) when the account has all the devices it may. */
  async open(userId: string, deviceName: string | null): Promise<string> {
    const token = newSessionToken(this.deps.randomHex);
    const now = this.deps.clock.now();
    const outcome = await this.deps.store.createSession({
      id: this.deps.randomId(),
      tokenHash: hashSessionToken(token),
      userId,
      deviceName,
      createdAt: now,
      maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount,
      expiredBefore: now - ACCOUNT_CAPS.sessionIdleExpiryMs,
    });
    if (outcome === 'too_many_devices') throw HttpError.refusal(403, REFUSALS.too_many_devices);
    return token;
  }

  /** Who a token belongs to, marking its session used; null when it is unknown, revoked or expired. */
  use(token: string): Promise<AuthenticatedSession | null> {
    return this.useHash(hashSessionToken(token));
  }

  /** As `use`, by the token's hash (all a socket keeps of it). */
  async useHash(tokenHash: string): Promise<AuthenticatedSession | null> {
    const now = this.deps.clock.now();
    const use = await this.deps.store.useSession({
      tokenHash,
      now,
      expiredBefore: now - ACCOUNT_CAPS.sessionIdleExpiryMs,
      touchBefore: now - ACCOUNT_CAPS.sessionTouchEveryMs,
    });
    return use ? { ...use, tokenHash } : null;
  }

  /** As useHash for many hashes at once: the hashes of the sessions still open. */
  useHashes(tokenHashes: readonly string[]): Promise<Set<string>> {
    const now = this.deps.clock.now();
    return this.deps.store.useSessions({
      tokenHashes,
      now,
      expiredBefore: now - ACCOUNT_CAPS.sessionIdleExpiryMs,
      touchBefore: now - ACCOUNT_CAPS.sessionTouchEveryMs,
    });
  }

  async list(caller: SessionUse): Promise<SessionListItem[]> {
    const sessions = await this.deps.store.listSessions(caller.user.id, this.deps.clock.now() - ACCOUNT_CAPS.sessionIdleExpiryMs);
    return sessions.map((session) => ({
      id: session.id,
      deviceName: session.deviceName,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      current: session.id === caller.sessionId,
    }));
  }

  /** Ends the caller's own session (signing out), one other session of theirs, or all the others; returns how many ended. */
  async end(caller: SessionUse, which: { current: true } | { others: true } | { id: string }): Promise<number> {
    const userId = caller.user.id;
    const ended = await this.deps.store.endSessions(
      'others' in which
        ? { userId, except: caller.sessionId }
        : { userId, ids: ['current' in which ? caller.sessionId : which.id] },
    );
    return this.announce(userId, ended);
  }

  /** Stores the new password's hash and ends every other session of the caller's; returns how many ended. */
  async changePassword(caller: SessionUse, passwordHash: string): Promise<number> {
    const userId = caller.user.id;
    return this.announce(userId, await this.deps.store.changePassword({ userId, passwordHash, keepSessionId: caller.sessionId }));
  }

  private announce(userId: string, ended: string[]): number {
    if (ended.length > 0) this.deps.ended(userId, ended);
    return ended.length;
  }
}
