import Database from 'better-sqlite3-multiple-ciphers';
import { settingSchema, type ConversationEvent, type OnlineVisibility } from '../../sync/protocol/frames.js';
import { countsAsWriting, DEFAULT_ONLINE_VISIBILITY } from '../../sync/protocol/presence-rules.js';
import { toEvent, type EventRow } from '../../sync/server/store/sqlite-rows.js';
import { MEMBER_COUNT_MISMATCHES, type MemberCountMismatch } from '../support/db-invariants.js';

/**
 * A read-only handle on the server's database, for what no member's view shows: a group's whole
 * log (every reader sees only their visibility periods, and edits of messages from outside them
 * without their text) and its lastSeq. Opened per quiet point and closed after it: the server
 * may restart in between.
 */
export class ServerInspector {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  close(): void {
    this.db.close();
  }

  /** null when the server has no such conversation. */
  lastSeq(conversationId: string): number | null {
    const row = this.db.prepare('SELECT last_seq FROM conversations WHERE id = ?').get(conversationId) as
      { last_seq: number } | undefined;
    return row?.last_seq ?? null;
  }

  /** Every conversation's last seq, by id: where each log stood at one moment. */
  lastSeqs(): Map<string, number> {
    const rows = this.db.prepare('SELECT id, last_seq FROM conversations').all() as Array<{ id: string; last_seq: number }>;
    return new Map(rows.map((row) => [row.id, row.last_seq]));
  }

  /** An upload's row: who made it, what was declared, and whether every byte arrived verified. */
  upload(id: string): { ownerId: string; sha256: string; size: number; completed: boolean } | null {
    const row = this.db.prepare('SELECT owner_id, sha256, size, completed_at FROM uploads WHERE id = ?').get(id) as
      { owner_id: string; sha256: string; size: number; completed_at: number | null } | undefined;
    return row ? { ownerId: row.owner_id, sha256: row.sha256, size: row.size, completed: row.completed_at !== null } : null;
  }

  /** The events stored away from someone (a block stood): seq → who never gets it, in id order. */
  hiddenEvents(conversationId: string): Map<number, string[]> {
    const rows = this.db
      .prepare(
        `SELECT seq, hidden_from AS user_id FROM events WHERE conversation_id = ? AND hidden_from IS NOT NULL
         UNION SELECT seq, user_id FROM hidden_events WHERE conversation_id = ?
         ORDER BY seq, user_id`,
      )
      .all(conversationId, conversationId) as Array<{ seq: number; user_id: string }>;
    const hidden = new Map<number, string[]>();
    for (const row of rows) hidden.set(row.seq, [...(hidden.get(row.seq) ?? []), row.user_id]);
    return hidden;
  }

  /** The member a direct conversation is not announced to (it began while a block stood); null for none. */
  conversationHiddenFrom(conversationId: string): string | null {
    const row = this.db.prepare('SELECT hidden_from FROM conversations WHERE id = ?').get(conversationId) as
      { hidden_from: string | null } | undefined;
    return row?.hidden_from ?? null;
  }

  /**
   * The current members of the conversation who have written there since they (last) joined,
   * read from the log and the periods (presence-rules.ts: countsAsWriting), not from the store's
   * own bookkeeping of it.
   */
  writers(conversationId: string): Set<string> {
    const since = new Map(
      (
        this.db
          .prepare(
            `SELECT p.user_id, p.from_seq FROM member_periods p
             JOIN members m ON m.conversation_id = p.conversation_id AND m.user_id = p.user_id
             WHERE p.conversation_id = ? AND p.to_seq IS NULL`,
          )
          .all(conversationId) as Array<{ user_id: string; from_seq: number }>
      ).map((row) => [row.user_id, row.from_seq]),
    );
    const events = this.db
      .prepare('SELECT seq, kind, sender_id FROM events WHERE conversation_id = ?')
      .all(conversationId) as Array<{
      seq: number;
      kind: ConversationEvent['kind'];
      sender_id: string;
    }>;
    const writers = new Set<string>();
    for (const event of events) {
      const from = since.get(event.sender_id);
      if (from !== undefined && event.seq >= from && countsAsWriting(event.kind)) writers.add(event.sender_id);
    }
    return writers;
  }

  /** "Show when I'm online" as the user's register on the server holds it (the default when none). */
  showOnline(userId: string): OnlineVisibility {
    const row = this.db.prepare(`SELECT setting FROM settings WHERE user_id = ? AND key = 'show_online'`).get(userId) as
      { setting: string } | undefined;
    if (!row) return DEFAULT_ONLINE_VISIBILITY;
    const setting = settingSchema.parse(JSON.parse(row.setting));
    return setting.kind === 'show_online' ? setting.value : DEFAULT_ONLINE_VISIBILITY;
  }

  /** Every standing block, as `blocker blocked`. */
  blocks(): Set<string> {
    const rows = this.db.prepare('SELECT blocker_id, blocked_id FROM blocks').all() as Array<{
      blocker_id: string;
      blocked_id: string;
    }>;
    return new Set(rows.map((row) => `${row.blocker_id} ${row.blocked_id}`));
  }

  /** Every event of the conversation, in seq order, as stored. */
  log(conversationId: string): ConversationEvent[] {
    const rows = this.db.prepare('SELECT * FROM events WHERE conversation_id = ? ORDER BY seq').all(conversationId) as EventRow[];
    return rows.map(toEvent);
  }

  /** The conversations whose stored member count is not their members rows (none, when all is well). */
  memberCountMismatches(): MemberCountMismatch[] {
    return this.db.prepare(MEMBER_COUNT_MISMATCHES).all() as MemberCountMismatch[];
  }
}
