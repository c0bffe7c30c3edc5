/**
 * The app API's safety number calls over the mirror (safety-number-api.ts): a person's identity
 * key is asked of the server when connected, so a change is noticed here too (stored in place of
 * the old one, which leaves the change's notices, identity-trust.ts), and read from the mirror
 * when not.
 */
import { AppApiError } from '../app-api/contract.js';
import type { SafetyNumberView } from '../app-api/safety-number-api.js';
import type { Clock } from '../common/runtime.js';
import type { User } from '../protocol/frames.js';
import { RequestError } from './connection.js';
import type { AccountKeyring } from './crypto/account-keyring.js';
import { safetyNumber } from './crypto/safety-number.js';
import type { SignalLibrary } from './crypto/signal-library.js';
import type { Mirror } from './mirror/mirror.js';
import type { SyncEngine } from './sync-engine.js';

export interface SafetyNumberDependencies {
  mirror: Mirror;
  selfId: string;
  clock: Clock;
  /** This account's identity on this device. */
  keyring: Pick<AccountKeyring, 'localIdentity'>;
  /** Asks the server (fetch_identity); null when signed out. */
  engine: Pick<SyncEngine, 'fetchIdentity'> | null;
}

export class SafetyNumbers {
  constructor(private readonly deps: SafetyNumberDependencies) {}

  async get(userId: string): Promise<SafetyNumberView> {
    const local = await this.deps.keyring.localIdentity(this.deps.selfId);
    if (!local) return { kind: 'no_own_keys', userId };
    const key = await this.identityKeyOf(userId, local.signal);
    if (!key) return { kind: 'no_keys', userId };
    const number = safetyNumber(
      local.signal,
      { userId: this.deps.selfId, identityKey: local.identity.publicKey },
      { userId, identityKey: local.signal.PublicKey.deserialize(new Uint8Array(key)) },
    );
    const verified = this.deps.mirror.identityTrust.verifiedKey(userId)?.equals(key) ?? false;
    return { kind: 'number', userId, ...number, identityKey: key.toString('base64'), verified };
  }

  /** Marks the person verified with the key their safety number was shown for; 'conflict' when it is no longer theirs. */
  setVerified(userId: string, identityKey: string, verified: boolean): null {
    const { mirror } = this.deps;
    if (!verified) {
      mirror.identityTrust.setVerified(userId, null, this.deps.clock.now());
      return null;
    }
    const key = Buffer.from(identityKey, 'base64');
    if (!mirror.signal.identity(userId)?.publicKey.equals(key)) {
      throw new AppApiError('conflict', "This person's safety number changed; compare the new one.");
    }
    mirror.identityTrust.setVerified(userId, key, this.deps.clock.now());
    return null;
  }

  /** The members of the conversation whose safety number changed after it was verified. */
  changesIn(conversationId: string): User[] {
    const { mirror } = this.deps;
    this.requireConversation(conversationId);
    return mirror.identityTrust
      .askBeforeSend(conversationId)
      .map((userId) => mirror.user(userId) ?? { id: userId, username: '', displayName: '' });
  }

  /** "Send anyway": no more asking about them until their next change. */
  confirmChangesIn(conversationId: string): null {
    this.requireConversation(conversationId);
    const { identityTrust } = this.deps.mirror;
    identityTrust.stopAsking(identityTrust.askBeforeSend(conversationId));
    return null;
  }

  private requireConversation(conversationId: string): void {
    if (!this.deps.mirror.hasConversation(conversationId)) {
      throw new AppApiError('not_found', 'That conversation does not exist.');
    }
  }

  /**
   * Their key: the server's when it can be asked (a new one stored in place of the old, which
   * leaves the change's notices; the first one stored as the one trusted on first use), else the
   * one stored here.
   */
  private async identityKeyOf(userId: string, signal: SignalLibrary): Promise<Buffer | null> {
    const { mirror } = this.deps;
    const stored = mirror.signal.identity(userId)?.publicKey ?? null;
    let fetched: string | null;
    try {
      if (!this.deps.engine) throw new RequestError('disconnected', 'Not connected');
      fetched = await this.deps.engine.fetchIdentity(userId);
    } catch (error) {
      if (stored) return stored;
      if (error instanceof RequestError && (error.code === 'disconnected' || error.code === 'timeout')) {
        throw new AppApiError('offline', "You're offline. Showing a safety number the first time needs a connection.");
      }
      if (error instanceof RequestError && error.code === 'rate_limited') throw new AppApiError('rate_limited', error.message);
      throw error;
    }
    if (fetched === null) return stored;
    const key = Buffer.from(fetched, 'base64');
    if (!isPublicKey(signal, key)) throw new AppApiError('refused', 'The server gave an identity key that is not one.');
    if (!stored?.equals(key)) mirror.transaction(() => mirror.signal.putIdentity(userId, key, this.deps.clock.now()));
    return key;
  }
}

function isPublicKey(signal: SignalLibrary, key: Buffer): boolean {
  try {
    signal.PublicKey.deserialize(new Uint8Array(key));
    return true;
  } catch {
    return false;
  }
}
