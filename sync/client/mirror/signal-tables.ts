/**
 * The Signal Protocol's state as rows (migration 18): libsignal's serialised records, kept opaque
 * here. sync/client/crypto/ratchet-state.ts reads them through this and writes what a decryption
 * changed in the transaction that stores the decrypted message.
 */
import { z } from 'zod';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';
import { conversationDevicesSchema, type ConversationDevices } from '../../protocol/conversation-devices.js';
import { outgoingEnvelopeSchema, type OutgoingEnvelope } from '../../protocol/inbox-frames.js';
import type { IdentityTrust } from './identity-trust.js';

export interface StoredIdentity {
  publicKey: Buffer;
  changedAt: number | null;
}

export interface StoredKyberPreKey {
  record: Buffer;
  lastResort: boolean;
}

export type PreKeyKind = 'prekey' | 'signed' | 'kyber';

/** A send to other devices waiting for the server's answer. */
export interface OutgoingRow {
  clientId: string;
  content: Uint8Array;
  recipients: string[];
  envelopes: OutgoingEnvelope[];
  createdAt: number;
  /** The conversation whose sender key it hands out (null: another kind of device message). */
  handOutFor: string | null;
}

const NEXT_ID_COLUMN: Record<PreKeyKind, string> = {
  prekey: 'next_prekey_id',
  signed: 'next_signed_prekey_id',
  kyber: 'next_kyber_prekey_id',
};

/** libsignal's prekey ids are 24-bit on the wire; ids wrap around below this. */
const MAX_PREKEY_ID = 0xffffff;

const blob = (value: unknown): Buffer | null => (Buffer.isBuffer(value) ? value : null);

/** The person of a session's address ("<user id>.<device number>"). */
const userOf = (address: string): string => address.slice(0, address.lastIndexOf('.'));

function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  if (cache.size >= MAX_CACHED && !cache.has(key)) cache.clear();
  cache.set(key, value);
}

/** A conversation's devices as stored, or null when they do not read back whole. */
function parsedDevices(json: string): ConversationDevices | null {
  try {
    const parsed = conversationDevicesSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** One device of a person, by the registration id its keys were published with. */
export interface DeviceAddress {
  userId: string;
  deviceNumber: number;
  registrationId: number;
}

/** Sessions and identities kept in memory at most (each is a few hundred bytes to a few KiB). */
const MAX_CACHED = 4096;

export class SignalTables {
  /**
   * Sessions and identities as last read or written, by key: every envelope sealed or opened
   * reads its session and its sender's identity more than once, and these tables are written only
   * here. Forgotten when a transaction rolls back (Mirror.transaction), since what it wrote here is
   * gone from the tables. A session's bytes are the very object written, so what was made of them
   * (HydratedRecords) is found again by it.
   */
  private readonly sessions = new Map<string, Uint8Array | null>();
  private readonly identities = new Map<string, StoredIdentity | null>();
  /** Each person's device numbers with a session, as sessionDevicesOf last read them. */
  private readonly devices = new Map<string, readonly number[]>();
  /**
   * Sender keys held, by "<address>/<distribution id>" (never their absence: a history import adds
   * rows past these methods), and each conversation's devices as parsed: every seal and every open
   * reads them.
   */
  private readonly senderKeys = new Map<string, Buffer>();
  private readonly conversationDevicesHeld = new Map<string, ConversationDevices | null>();

  constructor(
    private readonly db: Db,
    private readonly trust: IdentityTrust,
  ) {}

  /** Forgets what is held in memory; the next reads come from the tables. */
  forgetCached(): void {
    this.sessions.clear();
    this.identities.clear();
    this.devices.clear();
    this.senderKeys.clear();
    this.conversationDevicesHeld.clear();
  }

  session(address: string): Uint8Array | null {
    const held = this.sessions.get(address);
    if (held !== undefined) return held;
    const read = blob(cachedValueStatement(this.db, 'SELECT record FROM signal_sessions WHERE address = ?').get(address));
    remember(this.sessions, address, read);
    return read;
  }

  putSession(address: string, record: Uint8Array): void {
    cachedStatement(this.db, 'INSERT OR REPLACE INTO signal_sessions (address, record) VALUES (?, ?)').run(address, record);
    // A session with a device new here adds it to the person's devices.
    if (!this.sessions.get(address)) this.devices.delete(userOf(address));
    remember(this.sessions, address, record);
  }

  removeSession(address: string): void {
    cachedStatement(this.db, 'DELETE FROM signal_sessions WHERE address = ?').run(address);
    this.devices.delete(userOf(address));
    remember(this.sessions, address, null);
  }

  /** The device numbers of `userId` this device has sessions with. */
  sessionDevicesOf(userId: string): number[] {
    const held = this.devices.get(userId);
    if (held) return [...held];
    const prefix = `${userId}.`;
    const addresses = cachedValueStatement(
      this.db,
      'SELECT address FROM signal_sessions WHERE address > ? AND address < ? ORDER BY address',
    ).all(prefix, `${userId}/`) as string[];
    const numbers = addresses
      .map((address) => Number(address.slice(prefix.length)))
      .filter((number) => Number.isInteger(number))
      .sort((a, b) => a - b);
    remember(this.devices, userId, numbers);
    return [...numbers];
  }

  identity(userId: string): StoredIdentity | null {
    const held = this.identities.get(userId);
    if (held !== undefined) return held;
    const row = cachedStatement(this.db, 'SELECT public_key, changed_at FROM signal_identities WHERE user_id = ?').get(userId) as
      { public_key: unknown; changed_at: number | null } | undefined;
    const publicKey = blob(row?.public_key);
    const read = row && publicKey ? { publicKey, changedAt: row.changed_at } : null;
    remember(this.identities, userId, read);
    return read;
  }

  /**
   * A person's identity key: the first one seen, or a new one, which leaves a notice in every
   * conversation shared with them and clears their verification (identity-trust.ts).
   */
  putIdentity(userId: string, publicKey: Uint8Array, now: number): void {
    const known = this.identity(userId);
    if (known?.publicKey.equals(publicKey)) return;
    cachedStatement(
      this.db,
      `INSERT INTO signal_identities (user_id, public_key, first_seen_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET public_key = excluded.public_key, changed_at = ?
       WHERE public_key <> excluded.public_key`,
    ).run(userId, publicKey, now, now);
    // Read back when next asked for (changed_at is the table's to say).
    this.identities.delete(userId);
    if (known) this.trust.replaced(userId, now);
  }

  prekey(id: number): Buffer | null {
    return blob(cachedValueStatement(this.db, 'SELECT record FROM signal_prekeys WHERE id = ?').get(id));
  }

  putPrekey(id: number, record: Uint8Array): void {
    cachedStatement(this.db, 'INSERT OR REPLACE INTO signal_prekeys (id, record) VALUES (?, ?)').run(id, record);
  }

  removePrekey(id: number): void {
    cachedStatement(this.db, 'DELETE FROM signal_prekeys WHERE id = ?').run(id);
  }

  signedPrekey(id: number): Buffer | null {
    return blob(cachedValueStatement(this.db, 'SELECT record FROM signal_signed_prekeys WHERE id = ?').get(id));
  }

  putSignedPrekey(id: number, record: Uint8Array, now: number): void {
    cachedStatement(this.db, 'INSERT OR REPLACE INTO signal_signed_prekeys (id, record, created_at) VALUES (?, ?, ?)').run(
      id,
      record,
      now,
    );
  }

  /** When this device last made a signed prekey (they are rotated weekly), or null before the first. */
  newestSignedPrekeyAt(): number | null {
    const at = cachedValueStatement(this.db, 'SELECT max(created_at) FROM signal_signed_prekeys').get();
    return typeof at === 'number' ? at : null;
  }

  kyberPrekey(id: number): StoredKyberPreKey | null {
    const row = cachedStatement(this.db, 'SELECT record, last_resort FROM signal_kyber_prekeys WHERE id = ?').get(id) as
      { record: unknown; last_resort: number } | undefined;
    const record = blob(row?.record);
    return row && record ? { record, lastResort: row.last_resort === 1 } : null;
  }

  putKyberPrekey(id: number, record: Uint8Array, lastResort: boolean, now: number): void {
    cachedStatement(
      this.db,
      'INSERT OR REPLACE INTO signal_kyber_prekeys (id, record, last_resort, created_at) VALUES (?, ?, ?, ?)',
    ).run(id, record, lastResort ? 1 : 0, now);
  }

  removeKyberPrekey(id: number): void {
    cachedStatement(this.db, 'DELETE FROM signal_kyber_prekeys WHERE id = ?').run(id);
  }

  /** Whether this (last-resort Kyber key, signed prekey, base key) was used before: a second use is a replay. */
  kyberUsed(id: number, signedPrekeyId: number, baseKey: Uint8Array): boolean {
    return (
      cachedValueStatement(
        this.db,
        'SELECT 1 FROM signal_kyber_uses WHERE kyber_id = ? AND signed_prekey_id = ? AND base_key = ?',
      ).get(id, signedPrekeyId, baseKey) !== undefined
    );
  }

  noteKyberUse(id: number, signedPrekeyId: number, baseKey: Uint8Array): void {
    cachedStatement(
      this.db,
      'INSERT OR IGNORE INTO signal_kyber_uses (kyber_id, signed_prekey_id, base_key) VALUES (?, ?, ?)',
    ).run(id, signedPrekeyId, baseKey);
  }

  /** How many one-time keys of each kind are left to hand out. */
  oneTimeCounts(): { prekeys: number; kyber: number } {
    const prekeys = cachedValueStatement(this.db, 'SELECT count(*) FROM signal_prekeys').get() as number;
    const kyber = cachedValueStatement(
      this.db,
      'SELECT count(*) FROM signal_kyber_prekeys WHERE last_resort = 0',
    ).get() as number;
    return { prekeys, kyber };
  }

  senderKey(address: string, distributionId: string): Buffer | null {
    const key = `${address}/${distributionId}`;
    const held = this.senderKeys.get(key);
    if (held) return held;
    const read = blob(
      cachedValueStatement(this.db, 'SELECT record FROM signal_sender_keys WHERE address = ? AND distribution_id = ?').get(
        address,
        distributionId,
      ),
    );
    if (read) remember(this.senderKeys, key, read);
    return read;
  }

  /** A Buffer `record` is kept as the very object given, so what was made of it (HydratedRecords) is found again by it. */
  putSenderKey(address: string, distributionId: string, bytes: Uint8Array): void {
    const record = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    cachedStatement(this.db, 'INSERT OR REPLACE INTO signal_sender_keys (address, distribution_id, record) VALUES (?, ?, ?)').run(
      address,
      distributionId,
      record,
    );
    remember(this.senderKeys, `${address}/${distributionId}`, record);
  }

  // -- the device inbox (migration 19) ----------------------------------------------------------

  putOutgoing(row: OutgoingRow): void {
    cachedStatement(
      this.db,
      `INSERT OR REPLACE INTO signal_outgoing (client_id, content, recipients, envelopes, created_at, hand_out_for)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(
      row.clientId,
      row.content,
      JSON.stringify(row.recipients),
      JSON.stringify(row.envelopes),
      row.createdAt,
      row.handOutFor,
    );
  }

  /** Whether a hand-out of this device's sender key for the conversation is still to reach the server. */
  handOutPending(conversationId: string): boolean {
    return (
      cachedValueStatement(this.db, 'SELECT 1 FROM signal_outgoing WHERE hand_out_for = ? LIMIT 1').get(conversationId) !==
      undefined
    );
  }

  removeOutgoing(clientId: string): void {
    cachedStatement(this.db, 'DELETE FROM signal_outgoing WHERE client_id = ?').run(clientId);
  }

  /** Sends the server has not confirmed, oldest first; a row that does not read back whole is dropped with a warning. */
  outgoing(onUnreadable: (clientId: string, error: unknown) => void): OutgoingRow[] {
    const rows = cachedStatement(
      this.db,
      `SELECT client_id, content, recipients, envelopes, created_at, hand_out_for FROM signal_outgoing
       ORDER BY created_at, client_id`,
    ).all() as Array<{
      client_id: string;
      content: unknown;
      recipients: string;
      envelopes: string;
      created_at: number;
      hand_out_for: string | null;
    }>;
    const read: OutgoingRow[] = [];
    for (const row of rows) {
      try {
        const content = blob(row.content);
        if (!content) throw new Error('its content is not bytes');
        read.push({
          clientId: row.client_id,
          content,
          recipients: z.array(z.string()).parse(JSON.parse(row.recipients)),
          envelopes: z.array(outgoingEnvelopeSchema).parse(JSON.parse(row.envelopes)),
          createdAt: row.created_at,
          handOutFor: z.string().nullable().parse(row.hand_out_for),
        });
      } catch (error) {
        onUnreadable(row.client_id, error);
        this.removeOutgoing(row.client_id);
      }
    }
    return read;
  }

  isInboxDone(envelopeId: string): boolean {
    return cachedValueStatement(this.db, 'SELECT 1 FROM signal_inbox_done WHERE envelope_id = ?').get(envelopeId) !== undefined;
  }

  markInboxDone(envelopeId: string, now: number): void {
    cachedStatement(this.db, 'INSERT OR IGNORE INTO signal_inbox_done (envelope_id, done_at) VALUES (?, ?)').run(envelopeId, now);
  }

  /** The server deleted these (or, for those done before `before`, surely has by now). */
  forgetInboxDone(envelopeIds: readonly string[], before: number): void {
    const forget = cachedStatement(this.db, 'DELETE FROM signal_inbox_done WHERE envelope_id = ?');
    for (const id of envelopeIds) forget.run(id);
    cachedStatement(this.db, 'DELETE FROM signal_inbox_done WHERE done_at < ?').run(before);
  }

  // -- this device's sender keys (migration 20) --------------------------------------------------

  /** The distribution id of the sender key this device writes under in the conversation, or null before its first. */
  senderKeyOf(conversationId: string): string | null {
    const id = cachedValueStatement(this.db, 'SELECT distribution_id FROM sender_key_epochs WHERE conversation_id = ?').get(
      conversationId,
    );
    return typeof id === 'string' ? id : null;
  }

  /** A new sender key for the conversation takes the place of the one before. */
  startSenderKey(conversationId: string, distributionId: string, now: number): void {
    cachedStatement(
      this.db,
      'INSERT OR REPLACE INTO sender_key_epochs (conversation_id, distribution_id, started_at) VALUES (?, ?, ?)',
    ).run(conversationId, distributionId, now);
  }

  /**
   * A device of this account was unlinked (its session ended): every sender key this device writes
   * under is retired, so the next thing sealed in each conversation starts a new one, which the
   * unlinked device never gets.
   */
  retireSenderKeys(): void {
    cachedStatement(this.db, 'DELETE FROM sender_key_epochs').run();
  }

  /** The devices this sender key was handed to (migration 26), by person then number. */
  senderKeyHolders(distributionId: string): DeviceAddress[] {
    const rows = cachedStatement(
      this.db,
      `SELECT user_id, device_number, registration_id FROM sender_key_holders WHERE distribution_id = ?
       ORDER BY user_id, device_number`,
    ).all(distributionId) as Array<{ user_id: string; device_number: number; registration_id: number }>;
    return rows.map((row) => ({ userId: row.user_id, deviceNumber: row.device_number, registrationId: row.registration_id }));
  }

  /** These devices were handed the sender key (a number a new device took replaces the one before). */
  addSenderKeyHolders(distributionId: string, devices: readonly DeviceAddress[]): void {
    const add = cachedStatement(
      this.db,
      `INSERT OR REPLACE INTO sender_key_holders (distribution_id, user_id, device_number, registration_id) VALUES (?, ?, ?, ?)`,
    );
    for (const device of devices) add.run(distributionId, device.userId, device.deviceNumber, device.registrationId);
  }

  /**
   * The conversation's members' devices as the server's last conversation_devices_changed refusal
   * said (null: it never said), checked against the protocol's schema; one that does not read back
   * is taken as never said (the next send asks again).
   */
  conversationDevices(conversationId: string): ConversationDevices | null {
    const held = this.conversationDevicesHeld.get(conversationId);
    if (held !== undefined) return held;
    const json = cachedValueStatement(this.db, 'SELECT devices FROM conversation_devices WHERE conversation_id = ?').get(
      conversationId,
    );
    const devices = typeof json === 'string' ? parsedDevices(json) : null;
    remember(this.conversationDevicesHeld, conversationId, devices);
    return devices;
  }

  setConversationDevices(conversationId: string, devices: ConversationDevices): void {
    cachedStatement(this.db, 'INSERT OR REPLACE INTO conversation_devices (conversation_id, devices) VALUES (?, ?)').run(
      conversationId,
      JSON.stringify(devices),
    );
    this.conversationDevicesHeld.delete(conversationId);
  }

  /** This device's registration id, or null before its keys were made. */
  registrationId(): number | null {
    const id = cachedValueStatement(this.db, 'SELECT registration_id FROM signal_device WHERE id = 1').get();
    return typeof id === 'number' ? id : null;
  }

  /** Sets this device's registration id once; later calls keep the first. Returns the one kept. */
  ensureRegistrationId(candidate: number): number {
    cachedStatement(
      this.db,
      `INSERT OR IGNORE INTO signal_device (id, registration_id, next_prekey_id, next_signed_prekey_id, next_kyber_prekey_id)
       VALUES (1, ?, 1, 1, 1)`,
    ).run(candidate);
    return this.registrationId()!;
  }

  /** Reserves `count` consecutive ids of a kind (wrapping within libsignal's range); answers the first. */
  takeIds(kind: PreKeyKind, count: number): number {
    const column = NEXT_ID_COLUMN[kind];
    const first = cachedValueStatement(this.db, `SELECT ${column} FROM signal_device WHERE id = 1`).get();
    if (typeof first !== 'number') throw new Error("This device's Signal state was not set up (ensureRegistrationId)");
    const start = first + count - 1 > MAX_PREKEY_ID ? 1 : first;
    cachedStatement(this.db, `UPDATE signal_device SET ${column} = ? WHERE id = 1`).run(start + count);
    return start;
  }
}
