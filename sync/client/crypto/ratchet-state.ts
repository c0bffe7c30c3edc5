/**
 * libsignal's stores over the mirror's Signal tables, for one unit of work (decrypting a batch of
 * envelopes, encrypting a send). Reads see the unit's own writes; nothing reaches the mirror until
 * `writeTo` runs inside the transaction that stores what was decrypted or queues what was
 * encrypted. So a process killed between decrypting and storing has burned no key: the same
 * envelope decrypts again on the next start, and is stored once.
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
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import type { SignalTables } from '../mirror/signal-tables.js';
import { HydratedRecords } from './hydrated-records.js';
import type { SignalLibrary } from './signal-library.js';

/** This device as libsignal knows it. */
export interface LocalDevice {
  identity: IdentityKeyPair;
  registrationId: number;
}

/** The key of a protocol address in the tables: "<user id>.<device number>". */
export const addressKey = (address: ProtocolAddress): string => `${address.name()}.${address.deviceId()}`;

type Write = (tables: SignalTables) => void;

export class RatchetState
  implements SessionStore, IdentityKeyStore, PreKeyStore, SignedPreKeyStore, KyberPreKeyStore, SenderKeyStore
{
  /** Sessions libsignal saved in this unit of work; each is serialized once, when stored. */
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly sessionsToStore = new Set<string>();
  private readonly identities = new Map<string, Uint8Array>();
  private readonly removedPrekeys = new Set<number>();
  private readonly removedKyber = new Set<number>();
  private readonly kyberUses = new Set<string>();
  private readonly senderKeys = new Map<string, Uint8Array>();
  private writes: Write[] = [];

  constructor(
    private readonly signal: SignalLibrary,
    private readonly tables: SignalTables,
    private readonly local: LocalDevice,
    private readonly now: () => number,
    private readonly hydrated: HydratedRecords = new HydratedRecords(signal),
  ) {}

  /** Whether the unit of work changed anything that `writeTo` would store. */
  get changed(): boolean {
    return this.writes.length > 0;
  }

  /** Stores what the unit of work changed; call inside the mirror transaction that stores its result. */
  writeTo(tables: SignalTables): void {
    for (const write of this.writes) write(tables);
    this.writes = [];
  }

  // -- sessions ---------------------------------------------------------------------------------

  /**
   * Serialized in writeTo, not here: an opened ring is handed on before its state is stored, and
   * a session saved again in the same unit of work is serialized once.
   */
  async saveSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    const key = addressKey(address);
    this.sessions.set(key, record);
    if (this.sessionsToStore.has(key)) return;
    this.sessionsToStore.add(key);
    this.writes.push((tables) => {
      const latest = this.sessions.get(key)!;
      const bytes = latest.serialize();
      this.hydrated.saved(bytes, latest);
      tables.putSession(key, bytes);
      this.sessionsToStore.delete(key);
    });
  }

  async getSession(address: ProtocolAddress): Promise<SessionRecord | null> {
    const key = addressKey(address);
    const saved = this.sessions.get(key);
    if (saved) return saved;
    const bytes = this.tables.session(key);
    return bytes ? this.hydrated.session(bytes) : null;
  }

  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return Promise.all(
      addresses.map(async (address) => {
        const session = await this.getSession(address);
        if (!session) throw new Error(`No session with ${addressKey(address)}`);
        return session;
      }),
    );
  }

  // -- identities -------------------------------------------------------------------------------

  async getIdentityKey(): Promise<PrivateKey> {
    return this.local.identity.privateKey;
  }

  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.local.identity;
  }

  async getLocalRegistrationId(): Promise<number> {
    return this.local.registrationId;
  }

  async getIdentity(address: ProtocolAddress): Promise<PublicKey | null> {
    const bytes = this.identities.get(address.name()) ?? this.tables.identity(address.name())?.publicKey;
    return bytes ? this.hydrated.publicKey(bytes) : null;
  }

  async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const known = await this.getIdentity(address);
    if (known?.equals(key)) return this.signal.IdentityChange.NewOrUnchanged;
    const userId = address.name();
    const bytes = key.serialize();
    const at = this.now();
    this.identities.set(userId, bytes);
    this.writes.push((tables) => tables.putIdentity(userId, bytes, at));
    return known ? this.signal.IdentityChange.ReplacedExisting : this.signal.IdentityChange.NewOrUnchanged;
  }

  /**
   * Trust on first use. A changed identity is accepted for what arrives (the app notes the change
   * and shows it), but never used to send until the app has saved it, having told the person.
   */
  async isTrustedIdentity(address: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean> {
    const known = await this.getIdentity(address);
    return !known || known.equals(key) || direction === this.signal.Direction.Receiving;
  }

  // -- prekeys ----------------------------------------------------------------------------------

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    const bytes = record.serialize();
    this.removedPrekeys.delete(id);
    this.writes.push((tables) => tables.putPrekey(id, bytes));
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const bytes = this.removedPrekeys.has(id) ? null : this.tables.prekey(id);
    if (!bytes) throw new Error(`No prekey ${id} (used already, or never ours)`);
    return this.signal.PreKeyRecord.deserialize(new Uint8Array(bytes));
  }

  async removePreKey(id: number): Promise<void> {
    this.removedPrekeys.add(id);
    this.writes.push((tables) => tables.removePrekey(id));
  }

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    const bytes = record.serialize();
    const at = this.now();
    this.writes.push((tables) => tables.putSignedPrekey(id, bytes, at));
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const bytes = this.tables.signedPrekey(id);
    if (!bytes) throw new Error(`No signed prekey ${id}`);
    return this.signal.SignedPreKeyRecord.deserialize(new Uint8Array(bytes));
  }

  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    const bytes = record.serialize();
    const at = this.now();
    this.removedKyber.delete(id);
    this.writes.push((tables) => tables.putKyberPrekey(id, bytes, false, at));
  }

  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const stored = this.removedKyber.has(id) ? null : this.tables.kyberPrekey(id);
    if (!stored) throw new Error(`No Kyber prekey ${id} (used already, or never ours)`);
    return this.signal.KyberPreKeyRecord.deserialize(new Uint8Array(stored.record));
  }

  async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    const stored = this.tables.kyberPrekey(id);
    if (!stored) return;
    if (!stored.lastResort) {
      this.removedKyber.add(id);
      this.writes.push((tables) => tables.removeKyberPrekey(id));
      return;
    }
    const base = baseKey.serialize();
    const use = `${id}:${signedPreKeyId}:${Buffer.from(base).toString('base64')}`;
    if (this.kyberUses.has(use) || this.tables.kyberUsed(id, signedPreKeyId, base)) {
      throw new Error(`Kyber prekey ${id} was used with this base key before (a replay)`);
    }
    this.kyberUses.add(use);
    this.writes.push((tables) => tables.noteKyberUse(id, signedPreKeyId, base));
  }

  // -- sender keys ------------------------------------------------------------------------------

  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    const address = addressKey(sender);
    const serialized = record.serialize();
    // A Buffer over the same memory: the tables keep this very object, and the record is found by it.
    const bytes = Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength);
    this.hydrated.savedSenderKey(bytes, record);
    this.senderKeys.set(`${address}/${distributionId}`, bytes);
    this.writes.push((tables) => tables.putSenderKey(address, distributionId, bytes));
  }

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    const bytes = this.senderKeyBytes(sender, distributionId);
    return bytes ? this.hydrated.senderKey(bytes) : null;
  }

  /** Whether a sender key is held, without reading it into a record (the decrypt that follows reads it). */
  hasSenderKey(sender: ProtocolAddress, distributionId: string): boolean {
    return this.senderKeyBytes(sender, distributionId) !== undefined;
  }

  /** A record as this unit of work last saw it, read from the tables once. */
  private senderKeyBytes(sender: ProtocolAddress, distributionId: string): Uint8Array | undefined {
    const key = `${addressKey(sender)}/${distributionId}`;
    const held = this.senderKeys.get(key);
    if (held) return held;
    const read = this.tables.senderKey(addressKey(sender), distributionId);
    if (read) this.senderKeys.set(key, read);
    return read ?? undefined;
  }
}
