import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';
import { UNREAD_MISSED_CALLS_SQL } from './call-entries.js';

/**
 * The newest message and the unread count are stored on each conversation row (migration 3) so
 * the conversation list is one row per conversation. These keep them true; each is a couple of
 * index lookups, run once per batch of applied events or per local change.
 */

/** How much of the newest message's text the list keeps; the list shows one line of it. */
const PREVIEW_CHARS = 160;

/**
 * The newest message (the latest unsent one if any, as they show last, else the highest seq) and
 * its preview, as one SET clause over the conversation @id: the newest message's row is found once.
 */
const NEWEST_MESSAGE_SET = `(last_message_local_id, last_preview, last_sender_id, last_sender_name, last_at, last_deleted,
                             last_attachment_kind, last_attachment_name) = (
     SELECT m.local_id, substr(m.text, 1, @chars), m.sender_id, u.display_name, COALESCE(m.sent_at, m.created_at),
            COALESCE(m.deleted, 0), a.kind, a.name
     FROM (SELECT COALESCE(
             (SELECT local_id FROM messages l WHERE l.conversation_id = @id AND l.seq IS NULL ORDER BY l.local_id DESC LIMIT 1),
             (SELECT local_id FROM messages l WHERE l.conversation_id = @id AND l.seq IS NOT NULL ORDER BY l.seq DESC LIMIT 1)
           ) AS local_id) AS newest
     LEFT JOIN messages m ON m.local_id = newest.local_id
     LEFT JOIN users u ON u.id = m.sender_id
     LEFT JOIN attachments a ON a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id AND a.ordinal = 0)`;

/** The newest message and its preview. Run after anything that may add, change or remove it. */
export function refreshLastMessage(db: Db, conversationId: string): void {
  cachedStatement(db, `UPDATE conversations SET ${NEWEST_MESSAGE_SET} WHERE id = @id`).run({
    id: conversationId,
    chars: PREVIEW_CHARS,
  });
}

/**
 * The message just composed here (by its local id) is the conversation's newest: the highest local
 * id among the unsent, which show last. Its preview and the activity are written together, one
 * write of the row, without searching the conversation's messages as refreshLastMessage does.
 */
export function noteComposed(db: Db, conversationId: string, localId: number, at: number): void {
  cachedStatement(
    db,
    `UPDATE conversations SET (last_message_local_id, last_preview, last_sender_id, last_sender_name, last_at, last_deleted,
                               last_attachment_kind, last_attachment_name) = (
       SELECT m.local_id, substr(m.text, 1, @chars), m.sender_id, u.display_name, COALESCE(m.sent_at, m.created_at),
              m.deleted, a.kind, a.name
       FROM messages m
       LEFT JOIN users u ON u.id = m.sender_id
       LEFT JOIN attachments a ON a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id AND a.ordinal = 0
       WHERE m.local_id = @localId),
       last_activity_at = MAX(last_activity_at, @at)
     WHERE id = @id`,
  ).run({ id: conversationId, localId, at, chars: PREVIEW_CHARS });
}

/** What the archive check needs of a conversation that just received messages. */
export interface ActivityRow {
  archived: number;
  archived_seq: number;
  muted: number;
  last_incoming_seq: number;
}

/** What a batch of applied events stored that the conversation's row follows (event-applier.ts). */
export interface NewMessages {
  conversationId: string;
  selfId: string;
  /** Seq range of the messages the batch stored. */
  fromSeq: number;
  toSeq: number;
  /** When the newest of them was sent. */
  at: number;
  /** The newest from someone else, 0 if none. */
  incomingSeq: number;
  /** Seqs of those from someone else, none if the batch brought only ours. */
  incomingSeqs: readonly number[];
  /** Local ids of those from someone else whose text may mention us (it has an "@"). */
  mentionCandidates: readonly number[];
}

/**
 * A batch just applied messages: the conversation's activity moves up, the messages from others
 * we have not read are added to the unread count, with those that mention us, and the newest
 * message is found again, in one write of the row. The unread are counted from what the batch stored rather than read back row by row (a
 * table lookup per message, in every catch-up transaction); `mentions_self`, the SQL function the
 * mirror registers (sync/common/mentions.ts against our username), is asked only of the
 * candidates, as they read now (an edit or delete later in the batch counts).
 */
export function noteNewMessages(db: Db, stored: NewMessages): ActivityRow | undefined {
  const readSeq =
    stored.incomingSeqs.length === 0
      ? 0
      : ((cachedValueStatement(db, 'SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?').get(
          stored.conversationId,
          stored.selfId,
        ) as number | undefined) ?? 0);
  let unread = 0;
  for (const seq of stored.incomingSeqs) if (seq > readSeq) unread += 1;
  const mentioned =
    unread === 0 || stored.mentionCandidates.length === 0
      ? 0
      : (cachedValueStatement(
          db,
          `SELECT COUNT(*) FROM messages x
           WHERE x.local_id IN (SELECT value FROM json_each(?)) AND x.conversation_id = ? AND x.seq BETWEEN ? AND ?
             AND x.seq > ? AND x.sender_id != ? AND instr(x.text, '@') > 0 AND mentions_self(x.text) = 1`,
        ).get(
          JSON.stringify(stored.mentionCandidates),
          stored.conversationId,
          stored.fromSeq,
          stored.toSeq,
          readSeq,
          stored.selfId,
        ) as number);
  return cachedStatement(
    db,
    `UPDATE conversations SET last_activity_at = MAX(last_activity_at, @at), last_incoming_seq = MAX(last_incoming_seq, @incoming),
       unread_count = unread_count + @unread, unread_mentions = unread_mentions + @mentioned, ${NEWEST_MESSAGE_SET}
     WHERE id = @id
     RETURNING archived, archived_seq, muted, last_incoming_seq`,
  ).get({ id: stored.conversationId, at: stored.at, incoming: stored.incomingSeq, unread, mentioned, chars: PREVIEW_CHARS }) as
    ActivityRow | undefined;
}

/** After our read watermark moved: count what is still unread (usually nothing, so cheap), missed calls with the messages. */
export function recountUnread(db: Db, conversationId: string, selfId: string): void {
  cachedStatement(
    db,
    `UPDATE conversations SET unread_count = unread.n + ${UNREAD_MISSED_CALLS_SQL}, unread_mentions = unread.mentioned
     FROM (
       SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN instr(x.text, '@') > 0 THEN mentions_self(x.text) ELSE 0 END), 0) AS mentioned FROM messages x
       WHERE x.conversation_id = @id AND x.sender_id != @self
         AND x.seq > COALESCE((SELECT read_seq FROM members WHERE conversation_id = @id AND user_id = @self), 0)
     ) AS unread
     WHERE id = @id`,
  ).run({ id: conversationId, self: selfId });
}
