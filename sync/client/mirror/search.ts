import type { SearchResult } from '../../app-api/contract.js';
import { ftsQuery, queryWords, snippet } from '../../common/search-text.js';
import { BOUND_LIMIT, cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';

interface HitRow {
  conversation_id: string;
  client_message_id: string;
  sender_id: string;
  sender_name: string | null;
  text: string;
  names: string | null;
  at: number;
  title: string | null;
}

/**
 * What a write that changes a message's text, its deletion or its files tells the search index.
 * Every such write in the mirror notes the message; at the end of the transaction
 * (MessageSearch.flush) the index follows for the messages it already holds, so it commits with the
 * writes it follows. Messages newer than the index (above its watermark) are indexed later, from
 * what they are then (MessageSearch.indexPending). (Migration 7 had triggers note them; row triggers
 * on `messages` alone cost a fifth of catch-up's throughput.)
 */
export interface SearchNotes {
  /** The message's text, deletion or files may have changed (or it is new). */
  touched(conversationId: string, messageId: string): void;
  /**
   * The same, from a writer that has the row's local id at hand (the applier: a message stored, an
   * edit or delete applied): flushed by id, without a lookup by conversation and message id.
   */
  touchedRow(localId: number): void;
  /** The message's row is gone (its local id, read before the delete). */
  removed(localId: number): void;
}

/** Where the index's watermark is kept (migration 13): every message at or below it is indexed. */
const INDEXED_TO = 'search_indexed_to';

/**
 * Searches every message in this profile (the FTS5 index of migration 7): the words typed, each
 * as a prefix, in any order, newest first. Whatever was typed is a search for its words, never
 * query syntax (see ftsQuery). Own messages not yet sent are found too.
 *
 * The index holds every message up to a watermark (a local id) as it is now; messages above it
 * (newly written: local ids only grow, apart from the newest row's id after that row is removed)
 * are indexed after the transactions that wrote them, in chunks (indexPending), so a catch-up's
 * thousands of messages do not wait for their FTS5 writes. A search first indexes whatever is still
 * above the watermark, so it never misses a message, however new.
 */
export class MessageSearch implements SearchNotes {
  private readonly touchedMessages = new Map<string, readonly [conversationId: string, messageId: string]>();
  private readonly removedRows = new Set<number>();
  private readonly touchedRows = new Set<number>();
  private pendingListener: (() => void) | null = null;

  constructor(private readonly db: Db) {}

  touched(conversationId: string, messageId: string): void {
    this.touchedMessages.set(`${conversationId}\u0000${messageId}`, [conversationId, messageId]);
  }

  removed(localId: number): void {
    this.removedRows.add(localId);
  }

  touchedRow(localId: number): void {
    this.touchedRows.add(localId);
  }

  /**
   * Brings the index up to date with the noted messages: run at the end of every mirror
   * transaction. Each note is re-read from the mirror as it is now, so a note left by a write that
   * was rolled back changes nothing.
   */
  flush(): void {
    if (this.touchedMessages.size === 0 && this.removedRows.size === 0 && this.touchedRows.size === 0) return;
    const indexedTo = this.indexedTo();
    // Above the watermark nothing is in the index yet: indexPending takes those rows as they end up.
    const removed = [...this.removedRows].filter((localId) => localId <= indexedTo);
    if (removed.length > 0) {
      cachedStatement(
        this.db,
        `DELETE FROM message_search WHERE rowid IN (
           SELECT r.value FROM json_each(?) r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.local_id = r.value))`,
      ).run(JSON.stringify(removed));
    }
    if (this.touchedMessages.size > 0) {
      // Noted by conversation and message id: found by their local ids, in one statement.
      const found = cachedValueStatement(
        this.db,
        `SELECT m.local_id FROM json_each(?) k
         JOIN messages m ON m.conversation_id = k.value ->> 0 AND m.client_message_id = k.value ->> 1`,
      ).all(JSON.stringify([...this.touchedMessages.values()])) as number[];
      for (const localId of found) this.touchedRows.add(localId);
    }
    const touched = [...this.touchedRows].filter((localId) => localId <= indexedTo);
    if (touched.length < this.touchedRows.size) this.pendingListener?.();
    if (touched.length > 0) {
      // One statement each for the whole transaction's messages: set-based (row by row from here
      // cost half as much again).
      const ids = JSON.stringify(touched);
      cachedStatement(
        this.db,
        `DELETE FROM message_search WHERE rowid IN (
           SELECT m.local_id FROM json_each(?) r JOIN messages m ON m.local_id = r.value WHERE m.deleted = 1)`,
      ).run(ids);
      cachedStatement(
        this.db,
        `INSERT OR REPLACE INTO message_search (rowid, text, names)
         SELECT m.local_id, m.text, COALESCE((SELECT group_concat(a.name, ' ') FROM attachments a
                  WHERE a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id), '')
         FROM json_each(?) r
         JOIN messages m ON m.local_id = r.value
         WHERE m.deleted = 0`,
      ).run(ids);
    }
    this.forget();
  }

  /** Drops the notes (after a rollback, or once flushed). */
  forget(): void {
    this.touchedMessages.clear();
    this.removedRows.clear();
    this.touchedRows.clear();
  }

  /** Forgets every message (the account's mirror is being wiped). */
  clear(): void {
    cachedStatement(this.db, "INSERT INTO message_search (message_search) VALUES ('delete-all')").run();
    this.setIndexedTo(0);
    this.forget();
  }

  /**
   * Called when messages above the watermark were written (from inside the transaction that wrote
   * them: the listener only schedules indexPending, which finds nothing if it was rolled back).
   */
  onPending(listener: (() => void) | null): void {
    this.pendingListener = listener;
  }

  /**
   * Indexes up to `limit` of the messages above the watermark, as they are now, and moves it past
   * them, in one transaction. Returns whether any are left.
   */
  indexPending(limit: number): boolean {
    return this.db.transaction(() => {
      const from = this.indexedTo();
      const to = cachedValueStatement(
        this.db,
        `SELECT MAX(local_id) FROM (SELECT local_id FROM messages WHERE local_id > ? ORDER BY local_id ${BOUND_LIMIT})`,
      ).get(from, limit) as number | null;
      if (to === null) return false;
      cachedStatement(
        this.db,
        `INSERT OR REPLACE INTO message_search (rowid, text, names)
         SELECT m.local_id, m.text, COALESCE((SELECT group_concat(a.name, ' ') FROM attachments a
                  WHERE a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id), '')
         FROM messages m WHERE m.local_id > ? AND m.local_id <= ? AND m.deleted = 0`,
      ).run(from, to);
      this.setIndexedTo(to);
      return cachedStatement(this.db, 'SELECT 1 FROM messages WHERE local_id > ? LIMIT 1').get(to) !== undefined;
    })();
  }

  /** The watermark as stored (absent: nothing is indexed yet, as after the account's mirror was wiped). */
  private indexedTo(): number {
    const row = cachedStatement(this.db, 'SELECT value FROM meta WHERE key = ?').get(INDEXED_TO) as { value: string } | undefined;
    if (row === undefined) return 0;
    const value = Number(row.value);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`The search index's watermark is malformed: ${row.value}`);
    return value;
  }

  private setIndexedTo(localId: number): void {
    cachedStatement(
      this.db,
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(INDEXED_TO, String(localId));
  }

  search(query: string, selfId: string, limit: number): SearchResult[] {
    const fts = ftsQuery(query);
    if (fts === null) return [];
    this.flush();
    // Whatever is not indexed yet is indexed now: a search never misses a message, however new.
    this.indexPending(Number.MAX_SAFE_INTEGER);
    const words = queryWords(query);
    const rows = cachedStatement(
      this.db,
      // rowid order is the order messages reached this mirror: newest first without sorting every
      // match; the page is then put in time order (history caught up later arrives later).
      `SELECT m.conversation_id, m.client_message_id, m.sender_id, u.display_name AS sender_name, m.text,
              (SELECT group_concat(a.name, ' ') FROM attachments a
                WHERE a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id) AS names,
              COALESCE(m.sent_at, m.created_at) AS at,
              COALESCE(c.name, (SELECT display_name FROM users WHERE id = c.peer_id)) AS title
       FROM (SELECT rowid FROM message_search WHERE message_search MATCH ? ORDER BY rowid DESC ${BOUND_LIMIT}) AS hit
       JOIN messages m ON m.local_id = hit.rowid
       JOIN conversations c ON c.id = m.conversation_id
       LEFT JOIN users u ON u.id = m.sender_id
       WHERE m.deleted = 0`,
    ).all(fts, limit) as HitRow[];
    return rows
      .sort((a, b) => b.at - a.at)
      .map((row) => ({
        conversationId: row.conversation_id,
        conversationTitle: row.title ?? '',
        messageId: row.client_message_id,
        senderName: row.sender_name ?? '',
        own: row.sender_id === selfId,
        at: row.at,
        // A match in a file name only: show the names when there is no text to show.
        snippet: snippet(row.text.trim() === '' ? (row.names ?? '') : row.text, words),
      }));
  }
}
