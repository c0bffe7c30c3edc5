import type { SearchResult } from '../../app-api/contract.js';
import { ftsQuery, queryWords, snippet } from '../../common/search-text.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';

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
 * Every such write in the mirror notes the message; the index follows at the end of the
 * transaction (MessageSearch.flush), so it commits with the writes it follows. (Migration 7 had
 * triggers note them; row triggers on `messages` alone cost a fifth of catch-up's throughput.)
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

/**
 * Searches every message in this profile (the FTS5 index of migration 7): the words typed, each
 * as a prefix, in any order, newest first. Whatever was typed is a search for its words, never
 * query syntax (see ftsQuery). Own messages not yet sent are found too.
 */
export class MessageSearch implements SearchNotes {
  private readonly touchedMessages = new Map<string, readonly [conversationId: string, messageId: string]>();
  private readonly removedRows = new Set<number>();
  private readonly touchedRows = new Set<number>();

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
    if (this.removedRows.size > 0) {
      cachedStatement(
        this.db,
        `DELETE FROM message_search WHERE rowid IN (
           SELECT r.value FROM json_each(?) r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.local_id = r.value))`,
      ).run(JSON.stringify([...this.removedRows]));
    }
    if (this.touchedMessages.size > 0) {
      // Noted by conversation and message id: found by their local ids, in one statement.
      const found = cachedStatement(
        this.db,
        `SELECT m.local_id FROM json_each(?) k
         JOIN messages m ON m.conversation_id = k.value ->> 0 AND m.client_message_id = k.value ->> 1`,
      )
        .pluck()
        .all(JSON.stringify([...this.touchedMessages.values()])) as number[];
      for (const localId of found) this.touchedRows.add(localId);
    }
    if (this.touchedRows.size > 0) {
      // One statement each for the whole transaction's messages: set-based, as a catch-up page
      // writes up to 2,000 of them (row by row from here cost half as much again).
      const ids = JSON.stringify([...this.touchedRows]);
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
    this.forget();
  }

  search(query: string, selfId: string, limit: number): SearchResult[] {
    const fts = ftsQuery(query);
    if (fts === null) return [];
    this.flush();
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
       FROM (SELECT rowid FROM message_search WHERE message_search MATCH ? ORDER BY rowid DESC LIMIT ?) AS hit
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
