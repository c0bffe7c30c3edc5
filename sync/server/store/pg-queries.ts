import type { ConversationEvent } from '../../protocol/frames.js';
import { RetryTransaction, type Session } from './pg-connections.js';
import { groupBlockedSql, groupBlockersSql } from './shared-sql.js';
import { toEventRecord } from './store-rows.js';

/**
 * Statements and SQL pieces the PostgreSQL store's writers share. The facts a write is judged on
 * are read by one statement each, as JSON columns built from these pieces, after the writer holds
 * the conversation (lockConversation): every writer of a conversation takes that lock first, so
 * in READ COMMITTED each later statement sees whatever the writer before it committed.
 */

/** The sender's event under a client id, in whichever conversation: the row as an EventRecord. */
export function earlierEventJson(sender: string, clientId: string): string {
  return `(SELECT to_jsonb(e) FROM events e WHERE e.sender_id = ${sender} AND e.client_id = ${clientId})`;
}

/** A person's visibility periods in a conversation, as a JSON array of Period. */
export function periodsJson(conversation: string, user: string): string {
  return `(SELECT COALESCE(jsonb_agg(jsonb_build_object('from_seq', p.from_seq, 'to_seq', p.to_seq)), '[]')
           FROM member_periods p WHERE p.conversation_id = ${conversation} AND p.user_id = ${user})`;
}

/**
 * Who hears of what `user` stores in a conversation, as two columns: `member_ids`, the members in
 * join order (text[]), and `blocked_peer`, the other person of a direct conversation when a block
 * stands between them and `user` (what `user` stores there now is hidden from them; NULL in groups
 * and when no block stands). The block check never runs for a group: its join finds no row there.
 */
export function audienceColumns(conversation: string, user: string): string {
  return `(SELECT COALESCE(array_agg(user_id ORDER BY join_order), '{}') FROM members
           WHERE conversation_id = ${conversation}) AS member_ids,
          (SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conversation_id
           WHERE m.conversation_id = ${conversation} AND c.kind = 'direct' AND m.user_id <> ${user} AND EXISTS (
             SELECT 1 FROM blocks b
             WHERE (b.blocker_id = ${user} AND b.blocked_id = m.user_id) OR (b.blocker_id = m.user_id AND b.blocked_id = ${user}))
          ) AS blocked_peer`;
}

export interface Audience {
  member_ids: string[];
  blocked_peer: string | null;
}

/** Column `group_blockers` (text[]): the members of a group who have blocked `user` (what `user` stores there now is hidden from them). */
export function groupBlockersColumn(conversation: string, user: string): string {
  return `ARRAY(${groupBlockersSql(conversation, user)}) AS group_blockers`;
}

/** Column `group_blocked` (text[]): the members of a group whom `user` has blocked (`user`'s watermark moves are not theirs). */
export function groupBlockedColumn(conversation: string, user: string): string {
  return `ARRAY(${groupBlockedSql(conversation, user)}) AS group_blocked`;
}

/** Who hears of a new event: the members, but never those it is hidden from. */
export function recipientsOf(
  memberIds: readonly string[],
  hiddenFrom: string | null,
  hiddenMembers: readonly string[] = [],
): string[] {
  return memberIds.filter((userId) => userId !== hiddenFrom && !hiddenMembers.includes(userId));
}

/**
 * Takes the conversation's row lock until the transaction ends (FOR NO KEY UPDATE, as the UPDATE
 * of its counter would): every writer of the conversation does this first, so they run one at a
 * time and each sees what the one before committed. Foreign keys that point at the row only take
 * KEY SHARE locks, which this does not block. Answers the conversation's last seq (null: no such
 * conversation), which no other writer can move before this transaction ends.
 */
export async function lockConversation(tx: Session, conversationId: string): Promise<number | null> {
  const { rows } = await tx.query<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = $1 FOR NO KEY UPDATE', [
    conversationId,
  ]);
  return rows[0]?.last_seq ?? null;
}

/** The seq the next event of a conversation this transaction locked takes (lockConversation's answer). */
export function seqAfter(lastSeq: number | null, conversationId: string): number {
  if (lastSeq === null) throw new Error(`Conversation ${conversationId} vanished while it was locked`);
  return lastSeq + 1;
}

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Inserts the event (and an envelope's references to its uploads), moves the conversation's counter
 * to its seq and, with `markWriter`, records the sender's first envelope since they joined
 * (presence-rules.ts), in one statement; or throws RetryTransaction when a race was lost.
 *
 * Every writer locked the conversation first (lockConversation), so its counter still stands at the
 * seq before the event: the statement checks that under the row's lock all the same, and stores
 * nothing otherwise. A unique key that is taken (the sender's client id, used by a resend racing
 * into another conversation) means a writer that has committed since won the race: the append runs
 * again and answers as the resend it now is.
 *
 * The counter moves in the transaction that stores the event, under the conversation's row lock
 * until it commits: a rolled-back insert takes its number back, so a number is never skipped and
 * never handed out twice, and events commit in the order of their numbers.
 */
export async function insertEvent(
  tx: Session,
  event: ConversationEvent,
  hiddenFrom: string | null,
  options: { hiddenMembers?: readonly string[]; uploadIds?: readonly string[]; markWriter?: boolean } = {},
): Promise<{ firstMessage: boolean }> {
  const row = toEventRecord(event);
  // Types are spelled out: an INSERT ... SELECT does not take its parameters' types from the columns.
  // text: '' (NOT NULL), as no event stored now has any (store-rows.ts: EventRecord).
  const { rows } = await tx
    .query<{ first_message: boolean }>(
      `WITH held AS (
       SELECT id FROM conversations WHERE id = $1 AND last_seq = $2::bigint - 1 FOR NO KEY UPDATE),
     stored AS (
       INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                           deleted, payload, hidden_from, sender_device, ciphertext, expires_in_ms)
       SELECT held.id, $2::bigint, $3::text, $4::text, $5::text, $6::text, '', $7::bigint,
              $8::boolean, $9::jsonb, $10::text, $11::integer, $12::text, $16::bigint FROM held
       ON CONFLICT DO NOTHING
       RETURNING conversation_id, seq),
     counter AS (UPDATE conversations SET last_seq = $2 WHERE id = $1 AND EXISTS (SELECT 1 FROM stored)),
     refs AS (
       -- One envelope may name the same upload twice; it refers to it once.
       INSERT INTO attachment_refs (upload_id, conversation_id, seq)
       SELECT DISTINCT upload_id, stored.conversation_id, stored.seq FROM stored, unnest($13::text[]) AS upload_id),
     wrote AS (
       UPDATE members SET first_message_seq = $2
       WHERE $14::boolean AND conversation_id = $1 AND user_id = $4 AND first_message_seq IS NULL
         AND EXISTS (SELECT 1 FROM stored)
       RETURNING 1),
     hidden AS (
       INSERT INTO hidden_events (conversation_id, seq, user_id)
       SELECT stored.conversation_id, stored.seq, user_id FROM stored, unnest($15::text[]) AS user_id)
     SELECT EXISTS (SELECT 1 FROM wrote) AS first_message FROM stored`,
      [
        row.conversation_id,
        row.seq,
        row.kind,
        row.sender_id,
        row.client_id,
        row.message_id,
        row.sent_at,
        row.deleted,
        row.payload,
        hiddenFrom,
        row.sender_device,
        row.ciphertext,
        options.uploadIds ?? [],
        options.markWriter ?? false,
        options.hiddenMembers ?? [],
        row.expires_in_ms,
      ],
    )
    .catch((error: unknown) => {
      // An upload gone since it was checked (its foreign key): the transaction runs again and refuses it.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION)
        throw new RetryTransaction(`an upload of ${row.conversation_id}#${row.seq} is gone`);
      throw error;
    });
  const stored = rows[0];
  if (!stored) throw new RetryTransaction(`event ${row.conversation_id}#${row.seq} met a taken key or a moved counter`);
  return { firstMessage: stored.first_message };
}
