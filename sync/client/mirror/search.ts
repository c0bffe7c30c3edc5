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
 * Searches every message in this profile (the FTS5 index of migration 7): the words typed, each
 * as a prefix, in any order, newest first. Whatever was typed is a search for its words, never
 * query syntax (see ftsQuery). Own messages not yet sent are found too.
 */
export class MessageSearch {
  constructor(private readonly db: Db) {}

  /**
   * Brings the index up to date with the messages the triggers noted (see migration 7): run at the
   * end of every mirror transaction, so it commits with the writes it follows, and before a search.
   */
  flush(): void {
    const pending = cachedStatement(this.db, 'SELECT EXISTS (SELECT 1 FROM search_pending) AS any').get() as { any: number };
    if (!pending.any) return;
    cachedStatement(
      this.db,
      `DELETE FROM message_search WHERE rowid IN (
         SELECT p.local_id FROM search_pending p WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.local_id = p.local_id))`,
    ).run();
    cachedStatement(
      this.db,
      `INSERT OR REPLACE INTO message_search (rowid, text, names)
       SELECT m.local_id, CASE WHEN m.deleted THEN '' ELSE m.text END,
              CASE WHEN m.deleted THEN '' ELSE COALESCE((SELECT group_concat(a.name, ' ') FROM attachments a
                WHERE a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id), '') END
       FROM search_pending p JOIN messages m ON m.local_id = p.local_id`,
    ).run();
    cachedStatement(this.db, 'DELETE FROM search_pending').run();
  }

  /** Forgets every message (the account's mirror is being wiped). */
  clear(): void {
    cachedStatement(this.db, "INSERT INTO message_search (message_search) VALUES ('delete-all')").run();
    cachedStatement(this.db, 'DELETE FROM search_pending').run();
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
