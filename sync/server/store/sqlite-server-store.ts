import { refused } from './append-rules.js';
import { join } from 'node:path';
import { type Conversation, type ConversationEvent, type SettingRegister, type User } from '../../protocol/frames.js';
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from '../../node/background-checkpoints.js';
import { ensurePrivateDir, ensurePrivateFile } from '../../node/private-files.js';
import { openDatabase, schemaVersion, type Db } from '../../node/sqlite.js';
import {
  type Contact,
  type CreateResult,
  type CreateUploadResult,
  type DownloadableUpload,
  type EventAt,
  type EventPage,
  type ExpiryPass,
  type GroupChangeResult,
  type NewEnvelope,
  type EnvelopeResult,
  type NewConversationInput,
  type NewGroupChange,
  type ConversationPage,
  type ConversationPageRequest,
  type NewSession,
  type NewUpload,
  type NewUser,
  type ServerStore,
  type SessionsUse,
  type SessionUse,
  type SetSettingsResult,
  type SettingsBudget,
  type SettingsPage,
  type StoredSession,
  type StoredUpload,
  type StoredUser,
  type PlaintextHeld,
  type StoreReadiness,
  type WatermarkResult,
} from './server-store.js';
import { plaintextHeldSql, purgePlaintextSql, type JsonDialect } from './shared-sql.js';
import { contactsFrom, type WrittenWithRow } from './contacts.js';
import {
  BEFORE_FIRST,
  candidatesFor,
  cutConversationPage,
  toConversationPage,
  type CurrentConversationRow,
  type FormerConversationRow,
} from './conversation-page.js';
import { cutPage, markHidden, pageWindow, usersNamedIn, withFrozen, type FrozenWatermarks } from './event-visibility.js';
import { appendEnvelopeIn } from './sqlite-envelopes.js';
import { purgeExpiredIn } from './sqlite-expiry.js';
import { memberDevicesVersionSql, toConversationDevices, type ConversationDeviceRow } from './conversation-devices.js';
import type { ConversationDevices } from '../../protocol/conversation-devices.js';
import { memberIds, periodsIn } from './sqlite-event-log.js';
import { blockedPeerIn, blockedWithIn, frozenWatermarksIn, listSettingsIn, setSettingsIn } from './sqlite-settings.js';
import { appendGroupChangeIn, createConversationIn } from './sqlite-membership.js';
import { serverMigrations } from './sqlite-migrations.js';
import { eventRowOf, toEvent } from './sqlite-rows.js';
import {
  toConversation,
  toFormerConversation,
  toMember,
  toStoredUser,
  toUser,
  type ConversationRow,
  type MemberConversationRow,
  type MemberRow,
  type UserRow,
} from './store-rows.js';
import { SqliteDeviceInbox } from './sqlite-device-inbox.js';
import { SqliteKeyDirectory } from './sqlite-key-directory.js';
import { SqliteKeyBackup } from './sqlite-key-backup.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import { createUploadIn, findDownloadableIn, getUploadIn } from './sqlite-uploads.js';

export const SERVER_DATABASE_FILE = 'server.sqlite';

/**
 * Opens `<dataDir>/server.sqlite` (creating the folder and file if needed) at the latest schema.
 * The folder is 0700 and the file 0600 whatever the umask (SQLite gives its -wal and -shm the
 * database's mode), and deleted content is overwritten, so an envelope deleted for everyone (or
 * what purge-plaintext deleted) does not linger in free pages.
 * A running server checkpoints it from a worker thread (`backgroundCheckpoints`, with where its
 * failures are reported); tests and tools leave that to SQLite.
 */
export function openSqliteServerStore(
  dataDir: string,
  options: { backgroundCheckpoints?: { onError: (error: Error) => void } } = {},
): SqliteServerStore {
  ensurePrivateDir(dataDir);
  const path = join(dataDir, SERVER_DATABASE_FILE);
  ensurePrivateFile(path);
  const db = openDatabase(path, serverMigrations, { secureDelete: true });
  const checkpoints = options.backgroundCheckpoints ? startBackgroundCheckpoints(db, options.backgroundCheckpoints) : null;
  return new SqliteServerStore(db, checkpoints);
}

/**
 * better-sqlite3 is synchronous and single-connection, so every transaction here runs to completion
 * before any other JavaScript does: that alone serialises sequence numbers. Write transactions still
 * use BEGIN IMMEDIATE so that a second process on the same file waits instead of failing mid-way.
 */
export class SqliteServerStore implements ServerStore {
  private readonly statements: Statements;
  private readonly sessions: SqliteSessions;
  readonly keyDirectory: SqliteKeyDirectory;
  readonly deviceInbox: SqliteDeviceInbox;
  readonly keyBackup: SqliteKeyBackup;

  constructor(
    private readonly db: Db,
    private readonly checkpoints: BackgroundCheckpoints | null = null,
  ) {
    this.statements = prepareStatements(db);
    this.sessions = new SqliteSessions(db);
    this.keyDirectory = new SqliteKeyDirectory(db);
    this.deviceInbox = new SqliteDeviceInbox(db);
    this.keyBackup = new SqliteKeyBackup(db);
  }

  async createUser(input: NewUser): Promise<{ status: 'created'; user: User } | { status: 'username_taken' }> {
    try {
      this.statements.insertUser.run(input);
    } catch (error) {
      if (isUniqueViolation(error, 'users.username')) return { status: 'username_taken' };
      throw error;
    }
    return { status: 'created', user: { id: input.id, username: input.username, displayName: input.displayName } };
  }

  async findUserByUsername(username: string): Promise<StoredUser | null> {
    const row = this.statements.userByUsername.get(username) as UserRow | undefined;
    return row ? toStoredUser(row) : null;
  }

  async createSession(
    input: NewSession & { maxDevices: number; expiredBefore: number },
  ): Promise<'created' | 'too_many_devices'> {
    return this.sessions.create(input);
  }

  async useSession(input: {
    tokenHash: string;
    now: number;
    expiredBefore: number;
    touchBefore: number;
  }): Promise<SessionUse | null> {
    return this.sessions.use(input);
  }

  async useSessions(input: SessionsUse): Promise<Set<string>> {
    return this.sessions.useMany(input);
  }

  async listSessions(userId: string, expiredBefore: number): Promise<StoredSession[]> {
    return this.sessions.list(userId, expiredBefore);
  }

  async endSessions(input: { userId: string } & ({ ids: readonly string[] } | { except: string })): Promise<string[]> {
    return this.sessions.end(input);
  }

  async changePassword(input: { userId: string; passwordHash: string; keepSessionId: string }): Promise<string[]> {
    return this.sessions.changePassword(input);
  }

  async createConversation(input: NewConversationInput): Promise<CreateResult> {
    return this.db.transaction(() => createConversationIn(this.statements, input)).immediate();
  }

  async getConversationForMember(conversationId: string, userId: string): Promise<Conversation | null> {
    const run = this.db.transaction((): Conversation | null => this.conversationForMember(conversationId, userId));
    return run.deferred();
  }

  async getConversationSeenBy(conversationId: string, userId: string): Promise<Conversation | null> {
    const run = this.db.transaction((): Conversation | null => {
      const current = this.conversationForMember(conversationId, userId);
      if (current) return current;
      const former = this.statements.formerConversation.get({ conversationId, userId }) as FormerConversationRow | undefined;
      return former ? toFormerConversation(former, former.last_visible_seq) : null;
    });
    return run.deferred();
  }

  async listConversationsOf(userId: string, page: ConversationPageRequest): Promise<ConversationPage> {
    const run = this.db.transaction((): ConversationPage => {
      const after = page.after ?? BEFORE_FIRST;
      const limit = candidatesFor(page);
      const cut = cutConversationPage(
        this.statements.conversationsOf.all({ userId, after, limit }) as CurrentConversationRow[],
        this.statements.formerConversationsOf.all({ userId, after, limit }) as FormerConversationRow[],
        page,
      );
      const last = cut.ids.at(-1);
      if (last === undefined || cut.current.length === 0) return toConversationPage(cut, [], new Map());
      const members = this.statements.membersOfConversationsOf.all({ userId, after, last }) as MemberRow[];
      return toConversationPage(cut, members, frozenWatermarksIn(this.statements, userId, { after, last }));
    });
    return run.deferred();
  }

  async appendGroupChange(input: NewGroupChange): Promise<GroupChangeResult> {
    if (this.neverIn(input.conversationId, input.senderId)) return refused('conversation_not_found');
    return this.db.transaction(() => appendGroupChangeIn(this.statements, input)).immediate();
  }

  async appendEnvelope(input: NewEnvelope): Promise<EnvelopeResult> {
    if (this.neverIn(input.conversationId, input.senderId)) return refused('conversation_not_found');
    return this.db.transaction(() => appendEnvelopeIn(this.statements, input)).immediate();
  }

  async purgeExpiredEnvelopes(now: number, limit: number): Promise<ExpiryPass> {
    return this.db.transaction(() => purgeExpiredIn(this.statements, now, limit)).immediate();
  }

  async conversationDevices(conversationId: string, userId: string): Promise<ConversationDevices | null> {
    return this.db.transaction(() => {
      // The SQL names the member before the conversation.
      const version = this.db.prepare(memberDevicesVersionSql('?', '?')).get(userId, conversationId) as
        { version: number } | undefined;
      if (!version) return null;
      const rows = this.statements.conversationDevices.all(conversationId) as ConversationDeviceRow[];
      return toConversationDevices(version.version, rows);
    })();
  }

  /**
   * Someone who never was in the conversation (a made-up id, someone else's): refused on one read,
   * without the write lock every writer waits for. Whoever was in it goes on to the transaction,
   * where a resend of what they stored then is still answered.
   */
  private neverIn(conversationId: string, userId: string): boolean {
    return this.statements.hasPeriod.get(conversationId, userId) === undefined;
  }

  async readEvents(input: {
    conversationId: string;
    userId: string;
    afterSeq: number;
    limit: number;
  }): Promise<EventPage | null> {
    const run = this.db.transaction((): EventPage | null => {
      const { conversationId, userId, afterSeq, limit } = input;
      const periods = periodsIn(this.statements, conversationId, userId);
      if (periods.length === 0) return null;
      const window = pageWindow(periods, afterSeq);
      if (!window) return { events: [], hasMore: false, users: [] };
      const { untilSeq } = window;
      const served = this.statements.firstServedAfter.get({ conversationId, userId, afterSeq: window.afterSeq, untilSeq }) as
        { seq: number } | undefined;
      // One row more than asked tells whether another page exists without a COUNT.
      const read = served
        ? (this.statements.eventsBetween.all(conversationId, served.seq - 1, untilSeq, limit + 1) as unknown[][]).map(eventRowOf)
        : [];
      // Those of them hidden from the reader in a group: one range of hidden_events, empty unless a block hid some.
      const last = read.at(-1);
      const rows = last
        ? markHidden(read, this.statements.hiddenSeqsIn.all(conversationId, userId, read[0]!.seq, last.seq) as number[])
        : read;
      const lastSeq = () => (this.statements.conversationById.get(conversationId) as ConversationRow).last_seq;
      const { rows: kept, ...page } = cutPage(rows, input, window, lastSeq);
      const events = kept.map(toEvent);
      return { ...page, events, users: this.usersNamedIn(events) };
    });
    return run.deferred();
  }

  async readEventsAt(requests: readonly EventAt[]): Promise<Array<ConversationEvent | null>> {
    // In process, a page of one costs what one row does, and readEvents' own rules decide.
    const events: Array<ConversationEvent | null> = [];
    for (const { conversationId, userId, seq } of requests) {
      const page = await this.readEvents({ conversationId, userId, afterSeq: seq - 1, limit: 1 });
      const event = page?.events[0];
      events.push(event?.seq === seq ? event : null);
    }
    return events;
  }

  async raiseWatermark(input: {
    conversationId: string;
    userId: string;
    kind: 'delivered' | 'read';
    seq: number;
  }): Promise<WatermarkResult | null> {
    const run = this.db.transaction((): WatermarkResult | null => {
      const row = this.statements.watermark.get(input.conversationId, input.userId) as
        { delivered_seq: number; read_seq: number; last_seq: number } | undefined;
      if (!row) return null;
      // A receipt cannot vouch for events that do not exist yet.
      const seq = Math.min(input.seq, row.last_seq);
      const readSeq = input.kind === 'read' ? Math.max(row.read_seq, seq) : row.read_seq;
      // Whoever has read an event has also received it.
      const deliveredSeq = Math.max(row.delivered_seq, input.kind === 'delivered' ? seq : 0, readSeq);
      const moved = deliveredSeq !== row.delivered_seq || readSeq !== row.read_seq;
      if (moved) {
        this.statements.updateWatermark.run({
          conversationId: input.conversationId,
          userId: input.userId,
          deliveredSeq,
          readSeq,
        });
      }
      // While a block stands between the two people of a direct conversation, neither hears the
      // other's receipts; in a group, those the user blocked do not hear theirs.
      const hiddenFrom = blockedPeerIn(this.statements, input.conversationId, input.userId);
      const blocked =
        hiddenFrom === null
          ? (this.statements.groupBlocked.all({ conversationId: input.conversationId, userId: input.userId }) as string[])
          : [hiddenFrom];
      const recipients = memberIds(this.statements, input.conversationId).filter((id) => !blocked.includes(id));
      return {
        deliveredSeq,
        readSeq,
        before: { deliveredSeq: row.delivered_seq, readSeq: row.read_seq },
        moved,
        memberIds: recipients,
      };
    });
    return run.immediate();
  }

  async authorsBetween(conversationId: string, afterSeq: number, uptoSeq: number): Promise<string[]> {
    return this.statements.authorsBetween.all(conversationId, afterSeq, uptoSeq) as string[];
  }

  async createUpload(input: NewUpload): Promise<CreateUploadResult> {
    return this.db.transaction(() => createUploadIn(this.statements, input)).immediate();
  }

  async getUpload(id: string): Promise<StoredUpload | null> {
    return getUploadIn(this.statements, id);
  }

  async completeUpload(id: string, at: number): Promise<void> {
    this.statements.completeUpload.run(at, id);
  }

  async deleteUpload(id: string): Promise<boolean> {
    // One statement: the reference check is part of the DELETE itself.
    return this.statements.deleteUnreferencedUpload.run(id).changes > 0;
  }

  async findDownloadable(userId: string, attachmentId: string): Promise<DownloadableUpload | null> {
    return findDownloadableIn(this.statements, userId, attachmentId);
  }

  async listExpiredUploads(before: number): Promise<string[]> {
    return (this.statements.expiredUploads.all(before) as { id: string }[]).map((row) => row.id);
  }

  async setSettings(userId: string, registers: readonly SettingRegister[], budget: SettingsBudget): Promise<SetSettingsResult> {
    return this.db.transaction(() => setSettingsIn(this.statements, userId, registers, budget)).immediate();
  }

  async listSettings(userId: string, afterVersion: number, limit: number): Promise<SettingsPage> {
    return listSettingsIn(this.statements, userId, afterVersion, limit);
  }

  async listBlockedWith(userId: string): Promise<string[]> {
    return blockedWithIn(this.statements, userId);
  }

  async listContacts(userId: string): Promise<Contact[]> {
    return contactsFrom(this.statements.writtenWith.all({ userId }) as WrittenWithRow[]);
  }

  async listWriters(conversationId: string): Promise<string[]> {
    return (this.statements.writersOf.all(conversationId) as { user_id: string }[]).map((row) => row.user_id);
  }

  async getLastSeen(userId: string): Promise<number | null> {
    const row = this.statements.lastSeen.get(userId) as { last_seen_at: number | null } | undefined;
    return row?.last_seen_at ?? null;
  }

  async recordLastSeen(input: { userId: string; at: number }): Promise<void> {
    this.statements.recordLastSeen.run(input);
  }

  async ready(): Promise<StoreReadiness> {
    if (!this.db.open) return { ok: false, reason: 'The database is closed' };
    try {
      this.db.prepare('SELECT 1').get();
      const version = schemaVersion(this.db);
      const latest = serverMigrations.at(-1)?.version ?? 0;
      if (version !== latest) return { ok: false, reason: `The schema is at version ${version}, expected ${latest}` };
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `The database does not answer: ${(error as Error).message}` };
    }
  }

  async plaintextHeld(): Promise<PlaintextHeld> {
    return plaintextHeldIn(this.db);
  }

  async purgePlaintext(): Promise<PlaintextHeld> {
    return this.db
      .transaction(() => {
        const held = plaintextHeldIn(this.db);
        for (const sql of purgePlaintextSql(SQLITE_JSON)) this.db.prepare(sql).run();
        return held;
      })
      .immediate();
  }

  async close(): Promise<void> {
    // The worker's connection goes first, so closing the last one checkpoints the WAL into the file.
    await this.checkpoints?.close();
    if (this.db.open) this.db.close();
  }

  private usersNamedIn(events: ConversationEvent[]): User[] {
    const ids = usersNamedIn(events);
    if (ids.length === 0) return [];
    return (this.statements.usersIn.all(JSON.stringify(ids)) as UserRow[]).map(toUser);
  }

  private conversationForMember(conversationId: string, userId: string): Conversation | null {
    const row = this.statements.conversationForMember.get({ conversationId, userId }) as MemberConversationRow | undefined;
    return row ? this.loadConversation(row, frozenWatermarksIn(this.statements, userId, { conversationId })) : null;
  }

  private loadConversation(row: MemberConversationRow, frozen: FrozenWatermarks): Conversation {
    const members = (this.statements.membersOf.all(row.id) as MemberRow[]).map(toMember);
    return toConversation(row, withFrozen(members, frozen.get(row.id)));
  }
}

/** How SQLite reads and writes the JSON of the plaintext statements (shared-sql.ts). */
const SQLITE_JSON: JsonDialect = {
  field: (column, name) => `json_extract(${column}, '$.${name}')`,
  // An SQL NULL set into JSON is a JSON null.
  withNullField: (column, name) => `json_set(${column}, '$.${name}', NULL)`,
  indexHint: 'INDEXED BY events_kept_in_clear',
};

/** What the server database holds in the clear (ServerStore.plaintextHeld): migrate-store asks it too, before it copies. */
export function plaintextHeldIn(db: Db): PlaintextHeld {
  const row = db.prepare(plaintextHeldSql(SQLITE_JSON)).get() as { settings: number; events: number; group_names: number };
  return { settings: row.settings, events: row.events, groupNames: row.group_names };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  return (
    error instanceof Error && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' && error.message.includes(column)
  );
}
