/**
 * A linked device's history hand-over (docs/e2ee-design.md, "History for new devices"): the linking
 * device copies what its mirror shows into a fresh SQLite file of the same schema, encrypted under
 * a random key (SQLCipher's authenticated pages), and the new device merges that file into its own
 * mirror in one transaction. A copy of tables, SQL to SQL, keeps 100,000 messages to seconds where
 * a row-by-row JSON export would parse and validate each of them twice.
 *
 * Only what the person sees goes: conversations, members, users, messages the server stored, their
 * versions, reactions, pins, polls and votes, notices, attachment descriptors, events held for a message not yet
 * here, envelopes still waiting for their key, and the sender-key records received from others. Never
 * this device's ratchet state, its own sender keys, its outbox or local secrets (file keys, drafts,
 * the session).
 */
import { existsSync, rmSync } from 'node:fs';
import { cachedStatement, openDatabase, type Db, type OpenOptions } from '../../node/sqlite.js';
import { refreshLastMessage, recountUnread } from './conversation-stats.js';
import { MIRROR_MIGRATIONS } from './migrations.js';
import type { MessageSearch } from './search.js';
import type { SettingsStore } from './settings-store.js';

const ATTACHED = 'history_export';

/** Tables whose rows belong to one conversation, copied whole (messages apart: their local ids differ per device). */
const CONVERSATION_TABLES = [
  'members',
  'message_versions',
  'reactions',
  'pins',
  'notices',
  'held_events',
  'envelopes_waiting',
  'attachments',
  'message_state',
  'disappeared',
  'read_times',
] as const;

/** Copied as they are, except for what is this device's own (see `copyInto`). */
const EXPORTED_TABLES = ['users', 'conversations', 'messages', ...CONVERSATION_TABLES, 'signal_sender_keys'] as const;

export interface HistoryExportOptions {
  /** Sender-key records never handed over: this device's own chains, and any under the new device's address. */
  ownAddresses: readonly string[];
}

export interface HistoryImportResult {
  conversations: number;
  messages: number;
}

export class MirrorHistory {
  constructor(
    private readonly db: Db,
    private readonly search: MessageSearch,
    /** Registers this device holds win over the export's copy of what they show on a conversation row. */
    private readonly settings: Pick<SettingsStore, 'showOn'>,
    private readonly openedWith: OpenOptions,
  ) {}

  /** Writes the export to `path` (which must not exist), encrypted under `key` (32 bytes). */
  exportTo(path: string, key: Uint8Array, options: HistoryExportOptions): void {
    if (existsSync(path)) throw new Error(`${path} already exists`);
    // The export's schema is this build's, made by the same migrations: its columns line up with ours.
    const created = openDatabase(path, MIRROR_MIGRATIONS, { ...this.nativeOption(), key });
    created.pragma('journal_mode = DELETE');
    created.close();
    try {
      this.withAttached(path, key, () =>
        // One read of the mirror: the cursors and the sender-key records match the messages.
        this.db.transaction(() => {
          for (const table of EXPORTED_TABLES) this.copyOut(table, options);
        })(),
      );
    } catch (error) {
      rmSync(path, { force: true });
      throw error;
    }
  }

  /**
   * Merges an export into this mirror, in one transaction. Each exported conversation's history
   * replaces what this mirror has of it (messages not yet sent from here stay), and its cursor becomes
   * the export's, so a catch-up brings what came after. An export from an older build is migrated
   * first; one from a newer build is refused (DatabaseFromTheFutureError).
   */
  importFrom(path: string, key: Uint8Array, selfId: string): HistoryImportResult {
    // Opening runs the migrations an older export lacks, and refuses one from the future.
    openDatabase(path, MIRROR_MIGRATIONS, { ...this.nativeOption(), key }).close();
    return this.withAttached(path, key, () => {
      const run = () => {
        const conversations = this.db.prepare(`SELECT id FROM ${ATTACHED}.conversations`).pluck().all() as string[];
        this.copyUsersAndSenderKeys();
        let messages = 0;
        for (const conversationId of conversations) {
          messages += this.replaceConversation(conversationId, selfId);
          // A register merged here before the export came (blocking someone, say) is not merged
          // again by the next pull, so the row must show it now, not the exporting device's older copy.
          this.settings.showOn(conversationId);
        }
        return { conversations: conversations.length, messages };
      };
      return this.db.transaction(() => {
        const result = run();
        this.search.flush();
        return result;
      })();
    });
  }

  private copyOut(table: (typeof EXPORTED_TABLES)[number], options: HistoryExportOptions): void {
    const columns = this.columnsOf(table);
    const list = columns.join(', ');
    const filters: Record<string, string> = {
      // Only what the server stored: a message still in the outbox is this device's to send.
      messages: 'WHERE seq IS NOT NULL',
      signal_sender_keys: 'WHERE address NOT IN (SELECT value FROM json_each(?))',
    };
    const parameters = table === 'signal_sender_keys' ? [JSON.stringify(options.ownAddresses)] : [];
    this.db
      .prepare(`INSERT INTO ${ATTACHED}.${table} (${list}) SELECT ${list} FROM main.${table} ${filters[table] ?? ''}`)
      .run(...parameters);
    if (table === 'conversations') this.db.prepare(`UPDATE ${ATTACHED}.conversations SET draft_preview = NULL`).run();
    if (table === 'attachments') {
      // The new device has none of the bytes, and uploads nothing of these: it downloads them on demand.
      this.db
        .prepare(
          `UPDATE ${ATTACHED}.attachments SET download_state = 'none', download_error = NULL, upload_url = NULL,
             upload_offset = 0, upload_state = CASE WHEN upload_state IS NULL THEN NULL ELSE 'done' END, upload_error = NULL`,
        )
        .run();
    }
    if (table === 'attachments' || table === 'message_state') {
      // What belongs to a message still in the outbox stays with it, on this device.
      this.db
        .prepare(
          `DELETE FROM ${ATTACHED}.${table} WHERE NOT EXISTS (SELECT 1 FROM ${ATTACHED}.messages m
             WHERE m.conversation_id = ${table}.conversation_id AND m.client_message_id = ${table}.message_id)`,
        )
        .run();
    }
  }

  private copyUsersAndSenderKeys(): void {
    for (const table of ['users', 'signal_sender_keys']) {
      const list = this.columnsOf(table).join(', ');
      // What this device already has is as new as the export's, or newer.
      this.db.prepare(`INSERT OR IGNORE INTO main.${table} (${list}) SELECT ${list} FROM ${ATTACHED}.${table}`).run();
    }
  }

  /** One conversation's history in place of this mirror's; returns how many messages it brought. */
  private replaceConversation(conversationId: string, selfId: string): number {
    const replaced = this.db
      .prepare('SELECT local_id FROM messages WHERE conversation_id = ? AND seq IS NOT NULL')
      .pluck()
      .all(conversationId) as number[];
    for (const localId of replaced) this.search.removed(localId);
    this.db.prepare('DELETE FROM messages WHERE conversation_id = ? AND seq IS NOT NULL').run(conversationId);
    // Watermarks only move forward: this device may have heard newer ones than the export holds.
    const watermarks = this.db
      .prepare('SELECT user_id, delivered_seq, read_seq FROM members WHERE conversation_id = ?')
      .all(conversationId) as Array<{ user_id: string; delivered_seq: number; read_seq: number }>;
    for (const table of CONVERSATION_TABLES) {
      const kept =
        table === 'attachments' || table === 'message_state'
          ? ' AND message_id NOT IN (SELECT client_message_id FROM messages WHERE conversation_id = ?)'
          : '';
      this.db
        .prepare(`DELETE FROM main.${table} WHERE conversation_id = ?${kept}`)
        .run(...(kept ? [conversationId, conversationId] : [conversationId]));
    }

    const conversationColumns = this.columnsOf('conversations').filter((column) => column !== 'draft_preview');
    const exists = cachedStatement(this.db, 'SELECT 1 FROM conversations WHERE id = ?').get(conversationId) !== undefined;
    if (exists) {
      const assignments = conversationColumns
        .filter((column) => column !== 'id')
        .map((column) =>
          column === 'known_seq' ? 'known_seq = MAX(main.conversations.known_seq, e.known_seq)' : `${column} = e.${column}`,
        );
      this.db
        .prepare(
          `UPDATE main.conversations SET ${assignments.join(', ')} FROM ${ATTACHED}.conversations e WHERE e.id = main.conversations.id AND e.id = ?`,
        )
        .run(conversationId);
    } else {
      const list = conversationColumns.join(', ');
      this.db
        .prepare(`INSERT INTO main.conversations (${list}) SELECT ${list} FROM ${ATTACHED}.conversations WHERE id = ?`)
        .run(conversationId);
    }

    // New local ids, in the export's order; a message already here (sent from here, not yet stored) stays.
    const messageColumns = this.columnsOf('messages').filter((column) => column !== 'local_id');
    const list = messageColumns.join(', ');
    const inserted = this.db
      .prepare(
        `INSERT OR IGNORE INTO main.messages (${list}) SELECT ${list} FROM ${ATTACHED}.messages WHERE conversation_id = ? ORDER BY local_id`,
      )
      .run(conversationId).changes;
    for (const table of CONVERSATION_TABLES) {
      const columns = this.columnsOf(table).join(', ');
      this.db
        .prepare(
          `INSERT OR IGNORE INTO main.${table} (${columns}) SELECT ${columns} FROM ${ATTACHED}.${table} WHERE conversation_id = ?`,
        )
        .run(conversationId);
    }
    const raise = this.db.prepare(
      `UPDATE main.members SET delivered_seq = MAX(delivered_seq, ?), read_seq = MAX(read_seq, ?)
       WHERE conversation_id = ? AND user_id = ?`,
    );
    for (const held of watermarks) raise.run(held.delivered_seq, held.read_seq, conversationId, held.user_id);
    const localIds = this.db
      .prepare('SELECT local_id FROM messages WHERE conversation_id = ? AND seq IS NOT NULL')
      .pluck()
      .all(conversationId) as number[];
    for (const localId of localIds) this.search.touchedRow(localId);
    refreshLastMessage(this.db, conversationId);
    recountUnread(this.db, conversationId, selfId);
    return inserted;
  }

  private columnsOf(table: string): string[] {
    return (this.db.pragma(`${ATTACHED}.table_info(${table})`) as { name: string }[]).map((column) => column.name);
  }

  private withAttached<T>(path: string, key: Uint8Array, work: () => T): T {
    // SQLCipher's format for the attached file (harmless on a mirror opened without a key).
    this.db.pragma("cipher = 'sqlcipher'");
    this.db.prepare(`ATTACH DATABASE ? AS ${ATTACHED} KEY ?`).run(path, `x'${Buffer.from(key).toString('hex')}'`);
    try {
      return work();
    } finally {
      this.db.prepare(`DETACH DATABASE ${ATTACHED}`).run();
    }
  }

  private nativeOption(): OpenOptions {
    return this.openedWith.nativeBinding ? { nativeBinding: this.openedWith.nativeBinding } : {};
  }
}
