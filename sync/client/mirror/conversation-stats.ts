import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';

/**
 * The newest message and the unread count are stored on each conversation row (migration 3) so
 * the conversation list is one row per conversation. These keep them true; each is a couple of
 * index lookups, run once per batch of applied events or per local change.
 */

/** How much of the newest message's text the list keeps; the list shows one line of it. */
const PREVIEW_CHARS = 160;

/**
 * The newest message (the latest unsent one if any, as they show last, else the highest seq) and
 * its preview. Run after anything that may add, change or remove it.
 */
export function refreshLastMessage(db: Db, conversationId: string): void {
  cachedStatement(
    db,
    `UPDATE conversations SET last_message_local_id = COALESCE(
       (SELECT local_id FROM messages l WHERE l.conversation_id = @id AND l.seq IS NULL ORDER BY l.local_id DESC LIMIT 1),
       (SELECT local_id FROM messages l WHERE l.conversation_id = @id AND l.seq IS NOT NULL ORDER BY l.seq DESC LIMIT 1))
     WHERE id = @id`,
  ).run({ id: conversationId });
  cachedStatement(
    db,
    `UPDATE conversations SET
       last_preview = (SELECT substr(text, 1, @chars) FROM messages WHERE local_id = conversations.last_message_local_id),
       last_sender_id = (SELECT sender_id FROM messages WHERE local_id = conversations.last_message_local_id),
       last_sender_name = (SELECT u.display_name FROM messages m JOIN users u ON u.id = m.sender_id
                           WHERE m.local_id = conversations.last_message_local_id),
       last_at = (SELECT COALESCE(sent_at, created_at) FROM messages WHERE local_id = conversations.last_message_local_id),
       last_deleted = COALESCE((SELECT deleted FROM messages WHERE local_id = conversations.last_message_local_id), 0),
       last_attachment_kind = (SELECT a.kind FROM messages m JOIN attachments a
                                 ON a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id AND a.ordinal = 0
                               WHERE m.local_id = conversations.last_message_local_id),
       last_attachment_name = (SELECT a.name FROM messages m JOIN attachments a
                                 ON a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id AND a.ordinal = 0
                               WHERE m.local_id = conversations.last_message_local_id)
     WHERE id = @id`,
  ).run({ id: conversationId, chars: PREVIEW_CHARS });
}

/** What a batch of applied events stored that the unread counts follow (event-applier.ts). */
export interface NewMessages {
  /** Seq range of the messages the batch stored. */
  fromSeq: number;
  toSeq: number;
  /** Seqs of those from someone else. */
  incomingSeqs: readonly number[];
  /** Local ids of those from someone else whose text may mention us (it has an "@"). */
  mentionCandidates: readonly number[];
}

/**
 * Adds the messages from others that a batch just applied and we have not read, and those of them
 * that mention us. Counted from what the batch stored rather than read back row by row (a table
 * lookup per message, in every catch-up transaction); `mentions_self`, the SQL function the mirror
 * registers (sync/common/mentions.ts against our username), is asked only of the candidates, as
 * they read now (an edit or delete later in the batch counts).
 */
export function countNewUnread(db: Db, conversationId: string, selfId: string, stored: NewMessages): void {
  const readSeq =
    (cachedValueStatement(db, 'SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?').get(
      conversationId,
      selfId,
    ) as number | undefined) ?? 0;
  let unread = 0;
  for (const seq of stored.incomingSeqs) if (seq > readSeq) unread += 1;
  if (unread === 0) return;
  const mentioned =
    stored.mentionCandidates.length === 0
      ? 0
      : (cachedValueStatement(
          db,
          `SELECT COUNT(*) FROM messages x
           WHERE x.local_id IN (SELECT value FROM json_each(?)) AND x.conversation_id = ? AND x.seq BETWEEN ? AND ?
             AND x.seq > ? AND x.sender_id != ? AND instr(x.text, '@') > 0 AND mentions_self(x.text) = 1`,
        ).get(JSON.stringify(stored.mentionCandidates), conversationId, stored.fromSeq, stored.toSeq, readSeq, selfId) as number);
  cachedStatement(
    db,
    'UPDATE conversations SET unread_count = unread_count + ?, unread_mentions = unread_mentions + ? WHERE id = ?',
  ).run(unread, mentioned, conversationId);
}

/** After our read watermark moved: count what is still unread (usually nothing, so cheap). */
export function recountUnread(db: Db, conversationId: string, selfId: string): void {
  cachedStatement(
    db,
    `UPDATE conversations SET unread_count = unread.n, unread_mentions = unread.mentioned
     FROM (
       SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN instr(x.text, '@') > 0 THEN mentions_self(x.text) ELSE 0 END), 0) AS mentioned FROM messages x
       WHERE x.conversation_id = @id AND x.sender_id != @self
         AND x.seq > COALESCE((SELECT read_seq FROM members WHERE conversation_id = @id AND user_id = @self), 0)
     ) AS unread
     WHERE id = @id`,
  ).run({ id: conversationId, self: selfId });
}
