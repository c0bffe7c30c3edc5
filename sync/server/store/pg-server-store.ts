import type pg from 'pg';
import type { Conversation, ConversationEvent, SettingRegister, User } from '../../protocol/frames.js';
import {
  inTransaction,
  PostgresConnections,
  RetryTransaction,
  withSession,
  type PostgresPoolOptions,
  type Session,
} from './pg-connections.js';
import { conversationForMemberWith, conversationsOfWith, formerConversationWith } from './pg-conversations.js';
import { appendEnvelopesWith } from './pg-envelopes.js';
import { purgeExpiredWith } from './pg-expiry.js';
import {
  conversationDevicesSql,
  memberDevicesVersionSql,
  toConversationDevices,
  type ConversationDeviceRow,
} from './conversation-devices.js';
import type { ConversationDevices } from '../../protocol/conversation-devices.js';
import { readEventsAtWith, readEventsWith } from './pg-event-log.js';
import { BatchQueue, RUN_ALONE } from './batch-queue.js';
import { appendGroupChangeWith, createConversationWith } from './pg-membership.js';
import { PostgresDeviceInbox } from './pg-device-inbox.js';
import { PostgresKeyDirectory } from './pg-key-directory.js';
import { PostgresKeyBackup } from './pg-key-backup.js';
import { LATEST_POSTGRES_VERSION, migratePostgres, postgresSchemaVersion } from './pg-migrations.js';
import { CONTENDED, raiseWatermarksWith, raiseWatermarkWith, type Receipt } from './pg-watermarks.js';
import {
  changePasswordWith,
  createSessionWith,
  endSessionsWith,
  listSessionsWith,
  useSessionWith,
  useSessionsWith,
} from './pg-sessions.js';
import { setSettingsWith } from './pg-settings.js';
import * as uploads from './pg-uploads.js';
import type {
  Contact,
  CreateResult,
  CreateUploadResult,
  DownloadableUpload,
  EventPage,
  ExpiryPass,
  GroupChangeResult,
  NewEnvelope,
  EnvelopeResult,
  NewConversationInput,
  NewGroupChange,
  ConversationPage,
  ConversationPageRequest,
  NewSession,
  NewUpload,
  NewUser,
  ServerStore,
  SessionsUse,
  SessionUse,
  SetSettingsResult,
  SettingsBudget,
  SettingsPage,
  StoredSession,
  StoredUpload,
  StoredUser,
  PlaintextHeld,
  StoreReadiness,
  WatermarkResult,
} from './server-store.js';
import { toStoredSetting, type SettingRecord } from './settings-rules.js';
import { contactsFrom, type WrittenWithRow } from './contacts.js';
import {
  blockedWithSql,
  plaintextHeldSql,
  purgePlaintextSql,
  writersOfSql,
  authorsBetweenSql,
  writtenWithSql,
  type JsonDialect,
} from './shared-sql.js';
import { toStoredUser, type UserRow } from './store-rows.js';

type ReadEventsInput = Parameters<ServerStore['readEvents']>[0];

/**
 * Envelope append runs in flight on one node at most; what arrives while one is waits and goes in
 * the next batch (batch-queue.ts), one transaction for MAX_ENVELOPE_BATCH envelopes at most, so
 * under load each envelope's share of the statements and the commit falls.
 */
const ENVELOPE_SLOTS = 1;
const MAX_ENVELOPE_BATCH = 64;
/**
 * Receipt runs in flight on one node at most; what arrives while one is waits and goes in the next
 * batch (batch-queue.ts), MAX_RECEIPT_BATCH receipts at most: every envelope a client receives is
 * acknowledged with a delivery receipt, so under load they arrive as often as envelopes do.
 */
const RECEIPT_SLOTS = 1;
const MAX_RECEIPT_BATCH = 128;

/**
 * Connects a pool to `url`, brings the schema up to date (pg-migrations.ts: under an advisory
 * lock, so nodes starting together migrate once) and returns the store. Throws for a database
 * whose schema is newer than this build (PostgresSchemaFromTheFutureError) or that cannot be reached.
 */
export async function openPostgresServerStore(url: string, options: PostgresPoolOptions = {}): Promise<PostgresServerStore> {
  const db = new PostgresConnections(url, options);
  try {
    const client = await db.connect();
    try {
      await migratePostgres(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await db.pool.end();
    throw error;
  }
  return new PostgresServerStore(db, options);
}

/**
 * The server store on PostgreSQL, for any number of server nodes sharing one database. Nothing
 * rests on there being one writer; each method relies on this isolation:
 * - appendGroupChange, appendEnvelope: one READ COMMITTED transaction that first locks the
 *   conversation's row (FOR NO KEY UPDATE), so writers of one conversation run one at a time and
 *   each reads the facts it is judged on after the one before it committed; the sequence number
 *   is taken and the counter moved on that row in the same transaction, so numbers have no gaps
 *   or duplicates and commit in order. A resend racing its original into another conversation
 *   meets the unique key (sender, client id): ON CONFLICT DO NOTHING, and the transaction runs
 *   again and answers it as the resend it is. Envelopes that waited for the node's append run go
 *   together, one per conversation, in one such transaction that locks their rows in id order
 *   (pg-envelopes.ts); one that lost such a race runs alone next.
 * - createConversation: READ COMMITTED; two creations of one id or pair are told apart by the
 *   unique keys (insert-or-nothing, then read). A direct one also holds both people's rows FOR
 *   SHARE, so a block between them is decided wholly before or after it.
 * - setSettings: READ COMMITTED, the user's row (and those of the people a block names) locked
 *   FOR NO KEY UPDATE before the registers and the user's sealed totals are read; versions from
 *   UPDATE ... RETURNING, which moves the totals by the write's difference on the same row.
 * - createUpload: READ COMMITTED, the owner's row locked FOR NO KEY UPDATE before the quota sum.
 *   deleteUpload: the upload's row locked FOR UPDATE before the reference check (a send holds it
 *   FOR KEY SHARE from its check to its commit).
 * - raiseWatermark: one statement, GREATEST on the member's row (the row lock of the UPDATE
 *   serialises receipts; a concurrent one is re-read before it is compared). Receipts that waited
 *   for the node's receipt run go together, one per member: one statement locks their rows with
 *   SKIP LOCKED and raises those it got; one whose row another transaction holds runs alone next
 *   (pg-watermarks.ts).
 * - purgeExpiredEnvelopes: READ COMMITTED; the rows each statement changes locked FOR UPDATE SKIP
 *   LOCKED, so passes on several nodes take different rows and never wait (pg-expiry.ts).
 * - readEvents: one statement (the periods, the page and the log's end in one snapshot; the
 *   people a page names besides its senders, names only, in a second). readEventsAt: one statement.
 * - getConversationForMember, getConversationSeenBy, listConversationsOf: REPEATABLE READ READ ONLY, so their
 *   statements see one snapshot (never fails for serialisation; takes no locks).
 * - the key directory: pg-key-directory.ts; the device inbox: pg-device-inbox.ts.
 * - the rest: one statement each (autocommit), unique keys where they insert.
 * Locks on several users rows, or several conversations rows, are always taken in id order, and nothing that holds a conversation's row
 * waits for a users row lock (foreign keys only take KEY SHARE), so writers cannot deadlock.
 */
export class PostgresServerStore implements ServerStore {
  /** The pool itself: the cluster bus and the directory share it. */
  readonly pool: pg.Pool;
  private readonly envelopes: BatchQueue<NewEnvelope, EnvelopeResult>;
  private readonly onEnvelopeRun: (envelopes: number) => void;
  private readonly receipts: BatchQueue<Receipt, WatermarkResult | null>;
  private readonly onReceiptRun: (receipts: number) => void;
  readonly keyDirectory: PostgresKeyDirectory;
  readonly deviceInbox: PostgresDeviceInbox;
  readonly keyBackup: PostgresKeyBackup;

  constructor(
    private readonly db: PostgresConnections,
    options: Pick<PostgresPoolOptions, 'onReceiptRun' | 'onEnvelopeRun'> = {},
  ) {
    this.pool = db.pool;
    this.keyDirectory = new PostgresKeyDirectory(db);
    this.deviceInbox = new PostgresDeviceInbox(db);
    this.keyBackup = new PostgresKeyBackup(db);
    this.onEnvelopeRun = options.onEnvelopeRun ?? (() => undefined);
    this.envelopes = new BatchQueue(
      { one: (input) => this.appendEnvelopeAlone(input), many: (inputs) => this.appendEnvelopes(inputs) },
      { slots: ENVELOPE_SLOTS, maxBatch: MAX_ENVELOPE_BATCH, keyOf: (input) => input.conversationId },
    );
    this.onReceiptRun = options.onReceiptRun ?? (() => undefined);
    this.receipts = new BatchQueue(
      { one: (input) => this.raiseWatermarkAlone(input), many: (inputs) => this.raiseWatermarks(inputs) },
      {
        slots: RECEIPT_SLOTS,
        maxBatch: MAX_RECEIPT_BATCH,
        keyOf: (input) => JSON.stringify([input.conversationId, input.userId]),
      },
    );
  }

  async createUser(input: NewUser): Promise<{ status: 'created'; user: User } | { status: 'username_taken' }> {
    const rows = await this.db.query(
      `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username) DO NOTHING RETURNING id`,
      [input.id, input.username, input.displayName, input.passwordHash, input.createdAt],
    );
    if (rows.length === 0) return { status: 'username_taken' };
    return { status: 'created', user: { id: input.id, username: input.username, displayName: input.displayName } };
  }

  async findUserByUsername(username: string): Promise<StoredUser | null> {
    const [row] = await this.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    return row ? toStoredUser(row) : null;
  }

  createSession(input: NewSession & { maxDevices: number; expiredBefore: number }): Promise<'created' | 'too_many_devices'> {
    return createSessionWith(this.db, input);
  }

  useSession(input: { tokenHash: string; now: number; expiredBefore: number; touchBefore: number }): Promise<SessionUse | null> {
    return useSessionWith(this.db, input);
  }

  useSessions(input: SessionsUse): Promise<Set<string>> {
    return useSessionsWith(this.db, input);
  }

  listSessions(userId: string, expiredBefore: number): Promise<StoredSession[]> {
    return listSessionsWith(this.db, userId, expiredBefore);
  }

  endSessions(input: { userId: string } & ({ ids: readonly string[] } | { except: string })): Promise<string[]> {
    return endSessionsWith(this.db, input);
  }

  changePassword(input: { userId: string; passwordHash: string; keepSessionId: string }): Promise<string[]> {
    return changePasswordWith(this.db, input);
  }

  async createConversation(input: NewConversationInput): Promise<CreateResult> {
    return inTransaction(this.db, (tx) => createConversationWith(tx, input));
  }

  async getConversationForMember(conversationId: string, userId: string): Promise<Conversation | null> {
    return inTransaction(this.db, (tx) => conversationForMemberWith(tx, conversationId, userId), 'REPEATABLE READ READ ONLY');
  }

  async getConversationSeenBy(conversationId: string, userId: string): Promise<Conversation | null> {
    return inTransaction(
      this.db,
      async (tx) =>
        (await conversationForMemberWith(tx, conversationId, userId)) ?? formerConversationWith(tx, conversationId, userId),
      'REPEATABLE READ READ ONLY',
    );
  }

  async listConversationsOf(userId: string, page: ConversationPageRequest): Promise<ConversationPage> {
    return inTransaction(this.db, (tx) => conversationsOfWith(tx, userId, page), 'REPEATABLE READ READ ONLY');
  }

  async appendGroupChange(input: NewGroupChange): Promise<GroupChangeResult> {
    return inTransaction(this.db, (tx) => appendGroupChangeWith(tx, input));
  }

  appendEnvelope(input: NewEnvelope): Promise<EnvelopeResult> {
    return this.envelopes.submit(input);
  }

  /** One envelope: a lost race runs the transaction again, which then answers it as the resend it is. */
  private appendEnvelopeAlone(input: NewEnvelope): Promise<EnvelopeResult> {
    this.onEnvelopeRun(1);
    return inTransaction(this.db, async (tx) => {
      const [result] = await appendEnvelopesWith(tx, [input], 'wait');
      if (!result) throw new RetryTransaction(`envelope ${input.clientId} met a taken key`);
      return result;
    });
  }

  /**
   * Envelopes of distinct conversations that waited for the append run: one transaction for them
   * all; one whose conversation another transaction held, or that lost a race, runs alone next.
   */
  private async appendEnvelopes(inputs: readonly NewEnvelope[]): Promise<Array<EnvelopeResult | typeof RUN_ALONE>> {
    this.onEnvelopeRun(inputs.length);
    const results = await inTransaction(this.db, (tx) => appendEnvelopesWith(tx, inputs, 'skip_locked'));
    return results.map((result) => result ?? RUN_ALONE);
  }

  async purgeExpiredEnvelopes(now: number, limit: number): Promise<ExpiryPass> {
    return inTransaction(this.db, (tx) => purgeExpiredWith(tx, now, limit));
  }

  async conversationDevices(conversationId: string, userId: string): Promise<ConversationDevices | null> {
    return inTransaction(this.db, async (tx) => {
      const { rows } = await tx.query<{ version: string | number }>(memberDevicesVersionSql('$1', '$2'), [
        conversationId,
        userId,
      ]);
      if (rows.length === 0) return null;
      const { rows: devices } = await tx.query<ConversationDeviceRow>(conversationDevicesSql('$1'), [conversationId]);
      return toConversationDevices(Number(rows[0]!.version), devices);
    });
  }

  async readEvents(input: ReadEventsInput): Promise<EventPage | null> {
    return withSession(this.db, (session) => readEventsWith(session, input));
  }

  async readEventsAt(requests: Parameters<ServerStore['readEventsAt']>[0]): Promise<Array<ConversationEvent | null>> {
    return withSession(this.db, (session) => readEventsAtWith(session, requests));
  }

  raiseWatermark(input: Receipt): Promise<WatermarkResult | null> {
    return this.receipts.submit(input);
  }

  private raiseWatermarkAlone(input: Receipt): Promise<WatermarkResult | null> {
    this.onReceiptRun(1);
    return withSession(this.db, (session) => raiseWatermarkWith(session, input));
  }

  /** Receipts of distinct members that waited for the receipt run: one statement for them all. */
  private async raiseWatermarks(inputs: readonly Receipt[]): Promise<Array<WatermarkResult | null | typeof RUN_ALONE>> {
    this.onReceiptRun(inputs.length);
    const results = await withSession(this.db, (session) => raiseWatermarksWith(session, inputs));
    return results.map((result) => (result === CONTENDED ? RUN_ALONE : result));
  }

  async createUpload(input: NewUpload): Promise<CreateUploadResult> {
    return uploads.createUpload(this.db, input);
  }

  async getUpload(id: string): Promise<StoredUpload | null> {
    return uploads.getUpload(this.db, id);
  }

  async completeUpload(id: string, at: number): Promise<void> {
    await uploads.completeUpload(this.db, id, at);
  }

  async deleteUpload(id: string): Promise<boolean> {
    return uploads.deleteUpload(this.db, id);
  }

  async findDownloadable(userId: string, attachmentId: string): Promise<DownloadableUpload | null> {
    return uploads.findDownloadable(this.db, userId, attachmentId);
  }

  async listExpiredUploads(before: number): Promise<string[]> {
    return uploads.listExpiredUploads(this.db, before);
  }

  async setSettings(userId: string, registers: readonly SettingRegister[], budget: SettingsBudget): Promise<SetSettingsResult> {
    return inTransaction(this.db, (tx) => setSettingsWith(tx, userId, registers, budget));
  }

  async listSettings(userId: string, afterVersion: number, limit: number): Promise<SettingsPage> {
    // One row more than asked tells whether another page exists without a COUNT.
    const rows = await this.db.query<SettingRecord>(
      'SELECT key, setting, at, by, version FROM settings WHERE user_id = $1 AND version > $2 ORDER BY version LIMIT $3',
      [userId, afterVersion, limit + 1],
    );
    return { settings: rows.slice(0, limit).map(toStoredSetting), hasMore: rows.length > limit };
  }

  async listBlockedWith(userId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(blockedWithSql('$1'), [userId]);
    return rows.map((row) => row.user_id);
  }

  async listContacts(userId: string): Promise<Contact[]> {
    return contactsFrom(await this.db.query<WrittenWithRow>(writtenWithSql('$1'), [userId]));
  }

  async authorsBetween(conversationId: string, afterSeq: number, uptoSeq: number): Promise<string[]> {
    const rows = await this.db.query<{ sender_id: string }>(authorsBetweenSql('$1', '$2', '$3'), [
      conversationId,
      afterSeq,
      uptoSeq,
    ]);
    return rows.map((row) => row.sender_id);
  }

  async listWriters(conversationId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(writersOfSql('$1'), [conversationId]);
    return rows.map((row) => row.user_id);
  }

  async getLastSeen(userId: string): Promise<number | null> {
    const [row] = await this.db.query<{ last_seen_at: number | null }>('SELECT last_seen_at FROM users WHERE id = $1', [userId]);
    return row?.last_seen_at ?? null;
  }

  async recordLastSeen(input: { userId: string; at: number }): Promise<void> {
    await this.db.query('UPDATE users SET last_seen_at = $2 WHERE id = $1', [input.userId, input.at]);
  }

  /** Whether the database holds no users, conversations or uploads (migrate-store copies only into such a one). */
  async isEmpty(): Promise<boolean> {
    const [row] = await this.db.query<{ empty: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM conversations)
              AND NOT EXISTS (SELECT 1 FROM uploads) AS empty`,
    );
    return row?.empty === true;
  }

  async ready(): Promise<StoreReadiness> {
    if (this.pool.ending || this.pool.ended) return { ok: false, reason: 'The database is closed' };
    try {
      const client = await this.db.connect();
      let version: number;
      try {
        version = await postgresSchemaVersion(client);
      } finally {
        client.release();
      }
      if (version !== LATEST_POSTGRES_VERSION) {
        return { ok: false, reason: `The schema is at version ${version}, expected ${LATEST_POSTGRES_VERSION}` };
      }
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `The database does not answer: ${(error as Error).message}` };
    }
  }

  async plaintextHeld(): Promise<PlaintextHeld> {
    return withSession(this.db, plaintextHeldWith);
  }

  async purgePlaintext(): Promise<PlaintextHeld> {
    return inTransaction(this.db, async (tx) => {
      const held = await plaintextHeldWith(tx);
      for (const sql of purgePlaintextSql(POSTGRES_JSON)) await tx.query(sql);
      return held;
    });
  }

  async close(): Promise<void> {
    if (!this.pool.ending && !this.pool.ended) await this.pool.end();
  }
}

/** How PostgreSQL reads and writes the JSON of the plaintext statements (shared-sql.ts). */
const POSTGRES_JSON: JsonDialect = {
  field: (column, name) => `${column}->>'${name}'`,
  withNullField: (column, name) => `jsonb_set(${column}, '{${name}}', 'null'::jsonb)`,
  indexHint: '',
};

async function plaintextHeldWith(session: Session): Promise<PlaintextHeld> {
  const { rows } = await session.query<{ settings: string; events: string; group_names: string }>(
    plaintextHeldSql(POSTGRES_JSON),
  );
  const row = rows[0]!;
  return { settings: Number(row.settings), events: Number(row.events), groupNames: Number(row.group_names) };
}
