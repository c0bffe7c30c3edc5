/**
 * One device's Signal state in memory, for the benchmarks' crypto devices (lib/device-holder.ts):
 * libsignal's stores answering as the app's RatchetState does over the mirror
 * (sync/client/crypto/ratchet-state.ts: trust on first use, one-time prekeys used up, a last-resort
 * Kyber key's base key remembered against replays), and the tables makePreKeys keeps the device's
 * own prekeys in, so it publishes exactly what the app publishes. Nothing is written anywhere: a
 * thousand of these live in one process for as long as a benchmark runs.
 */
import type {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import type { PreKeyTables } from '../../../sync/client/crypto/prekeys.js';
import { addressKey } from '../../../sync/client/crypto/ratchet-state.js';
import type { SignalLibrary } from '../../../sync/client/crypto/signal-library.js';
import type { PreKeyKind } from '../../../sync/client/mirror/signal-tables.js';
import { MemorySenderKeys } from './sender-keys.js';

export class MemoryDevice
  extends MemorySenderKeys
  implements SessionStore, IdentityKeyStore, PreKeyStore, SignedPreKeyStore, KyberPreKeyStore, PreKeyTables
{
  private readonly sessions = new Map<string, SessionRecord>();
  /** Others' identities by user id (a person's devices share one). */
  private readonly identities = new Map<string, PublicKey>();
  private readonly prekeys = new Map<number, Uint8Array>();
  private readonly signedPrekeys = new Map<number, Uint8Array>();
  private readonly kyberPrekeys = new Map<number, { record: Uint8Array; lastResort: boolean }>();
  private readonly kyberUses = new Set<string>();
  private readonly nextIds: Record<PreKeyKind, number> = { prekey: 1, signed: 1, kyber: 1 };

  constructor(
    private readonly signal: SignalLibrary,
    private readonly identity: IdentityKeyPair,
    private readonly registrationId: number,
  ) {
    super();
  }

  // -- what makePreKeys writes ------------------------------------------------------------------

  takeIds(kind: PreKeyKind, count: number): number {
    const first = this.nextIds[kind];
    this.nextIds[kind] = first + count;
    return first;
  }

  putPrekey(id: number, record: Uint8Array): void {
    this.prekeys.set(id, record);
  }

  putSignedPrekey(id: number, record: Uint8Array): void {
    this.signedPrekeys.set(id, record);
  }

  putKyberPrekey(id: number, record: Uint8Array, lastResort: boolean): void {
    this.kyberPrekeys.set(id, { record, lastResort });
  }

  // -- sessions ---------------------------------------------------------------------------------

  async saveSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(addressKey(address), record);
  }

  async getSession(address: ProtocolAddress): Promise<SessionRecord | null> {
    return this.sessions.get(addressKey(address)) ?? null;
  }

  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((address) => {
      const session = this.sessions.get(addressKey(address));
      if (!session) throw new Error(`No session with ${addressKey(address)}`);
      return session;
    });
  }

  // -- identities -------------------------------------------------------------------------------

  async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }

  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.identity;
  }

  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }

  async getIdentity(address: ProtocolAddress): Promise<PublicKey | null> {
    return this.identities.get(address.name()) ?? null;
  }

  async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const known = this.identities.get(address.name());
    if (known?.equals(key)) return this.signal.IdentityChange.NewOrUnchanged;
    this.identities.set(address.name(), key);
    return known ? this.signal.IdentityChange.ReplacedExisting : this.signal.IdentityChange.NewOrUnchanged;
  }

  async isTrustedIdentity(address: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean> {
    const known = this.identities.get(address.name());
    return !known || known.equals(key) || direction === this.signal.Direction.Receiving;
  }

  // -- prekeys ----------------------------------------------------------------------------------

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.prekeys.set(id, record.serialize());
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const bytes = this.prekeys.get(id);
    if (!bytes) throw new Error(`No prekey ${id} (used already, or never ours)`);
    return this.signal.PreKeyRecord.deserialize(new Uint8Array(bytes));
  }

  async removePreKey(id: number): Promise<void> {
    this.prekeys.delete(id);
  }

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.signedPrekeys.set(id, record.serialize());
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const bytes = this.signedPrekeys.get(id);
    if (!bytes) throw new Error(`No signed prekey ${id}`);
    return this.signal.SignedPreKeyRecord.deserialize(new Uint8Array(bytes));
  }

  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.kyberPrekeys.set(id, { record: record.serialize(), lastResort: false });
  }

  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const stored = this.kyberPrekeys.get(id);
    if (!stored) throw new Error(`No Kyber prekey ${id} (used already, or never ours)`);
    return this.signal.KyberPreKeyRecord.deserialize(new Uint8Array(stored.record));
  }

  async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    const stored = this.kyberPrekeys.get(id);
    if (!stored) return;
    if (!stored.lastResort) {
      this.kyberPrekeys.delete(id);
      return;
    }
    const use = `${id}:${signedPreKeyId}:${Buffer.from(baseKey.serialize()).toString('base64')}`;
    if (this.kyberUses.has(use)) throw new Error(`Kyber prekey ${id} was used with this base key before (a replay)`);
    this.kyberUses.add(use);
  }
}
