import { cachedStatement, type Db } from '../../node/sqlite.js';

/**
 * The newest message and the unread count are stored on each conversation row (migration 3) so
 * the conversation list is one row per conversation. These keep them true; each is a couple of
 * index lookups, run once per batch of applied events or per local change.
 */

/** The newest message: the latest unsent one if any (they show last), else the highest seq. */
export function refreshLastMessage(db: Db, conversationId: string): void {
  cachedStatement(
    db,
    `UPDATE conversations SET last_message_local_id = COALESCE(
       (SELECT local_id FROM messages l WHERE l.conversation_id = @id AND l.seq IS NULL ORDER BY l.local_id DESC LIMIT 1),
       (SELECT local_id FROM messages l WHERE l.conversation_id = @id AND l.seq IS NOT NULL ORDER BY l.seq DESC LIMIT 1))
     WHERE id = @id`,
  ).run({ id: conversationId });
}

/** Adds the messages from others that a batch just applied (seqs in [fromSeq, toSeq]) and we have not read. */
export function countNewUnread(db: Db, conversationId: string, selfId: string, fromSeq: number, toSeq: number): void {
  cachedStatement(
    db,
    `UPDATE conversations SET unread_count = unread_count + (
       SELECT COUNT(*) FROM messages x
       WHERE x.conversation_id = @id AND x.seq BETWEEN @from AND @to AND x.sender_id != @self
         AND x.seq > COALESCE((SELECT read_seq FROM members WHERE conversation_id = @id AND user_id = @self), 0))
     WHERE id = @id`,
  ).run({ id: conversationId, self: selfId, from: fromSeq, to: toSeq });
}

/** After our read watermark moved: count what is still unread (usually nothing, so cheap). */
export function recountUnread(db: Db, conversationId: string, selfId: string): void {
  cachedStatement(
    db,
    `UPDATE conversations SET unread_count = (
       SELECT COUNT(*) FROM messages x
       WHERE x.conversation_id = @id AND x.sender_id != @self
         AND x.seq > COALESCE((SELECT read_seq FROM members WHERE conversation_id = @id AND user_id = @self), 0))
     WHERE id = @id`,
  ).run({ id: conversationId, self: selfId });
}
