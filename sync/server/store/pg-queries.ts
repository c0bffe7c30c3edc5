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
 * An event to store (insertEvents), with who it is hidden from (in a direct conversation
 * `hiddenFrom`, events.hidden_from; in a group `hiddenMembers`, hidden_events) and what a message
 * refers to.
 */
export interface EventToStore {
  event: ConversationEvent;
  hiddenFrom: string | null;
  hiddenMembers?: readonly string[];
  uploadIds?: readonly string[];
  markWriter?: boolean;
}

/**
 * Inserts the event (and the message's references to its uploads), moves the conversation's
 * counter to its seq and, with `markWriter`, records the sender's first message since they joined
 * (presence-rules.ts), in one statement; or throws RetryTransaction when a race was lost.
 *
 * The statement stores the event only while the conversation's counter still stands at the seq
 * before it, and takes the conversation's row lock to check that, held until the transaction
 * commits. A writer that locked the conversation first (lockConversation) always passes; one that
 * read its facts without the lock (PostgresServerStore.appendMessage's first try, one statement in
 * autocommit) passes only when no event was stored in between, and every fact an append is judged
 * on either moves with the counter (membership, periods, the log) or is held by a key checked here
 * (the sender's client id, the message id, the uploads). A unique key that is taken means a writer
 * that has committed since the facts were read won the race: the append runs again and answers as
 * the resend it now is.
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
  const { rows } = await tx
    .query<{ first_message: boolean }>(
      `WITH held AS (
       SELECT id FROM conversations WHERE id = $1 AND last_seq = $2::bigint - 1 FOR NO KEY UPDATE),
     stored AS (
       INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                           reply_to, deleted, emoji, reaction_on, payload, hidden_from, sender_device, ciphertext)
       SELECT held.id, $2::bigint, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint,
              $9::text, $10::boolean, $11::text, $12::boolean, $13::jsonb, $14::text, $18::integer, $19::text FROM held
       ON CONFLICT DO NOTHING
       RETURNING conversation_id, seq),
     counter AS (UPDATE conversations SET last_seq = $2 WHERE id = $1 AND EXISTS (SELECT 1 FROM stored)),
     refs AS (
       -- One message may carry the same upload twice; it refers to it once.
       INSERT INTO attachment_refs (upload_id, conversation_id, seq)
       SELECT DISTINCT upload_id, stored.conversation_id, stored.seq FROM stored, unnest($15::text[]) AS upload_id),
     wrote AS (
       UPDATE members SET first_message_seq = $2
       WHERE $16::boolean AND conversation_id = $1 AND user_id = $4 AND first_message_seq IS NULL
         AND EXISTS (SELECT 1 FROM stored)
       RETURNING 1),
     hidden AS (
       INSERT INTO hidden_events (conversation_id, seq, user_id)
       SELECT stored.conversation_id, stored.seq, user_id FROM stored, unnest($17::text[]) AS user_id)
     SELECT EXISTS (SELECT 1 FROM wrote) AS first_message FROM stored`,
      [
        row.conversation_id,
        row.seq,
        row.kind,
        row.sender_id,
        row.client_id,
        row.message_id,
        row.text,
        row.sent_at,
        row.reply_to,
        row.deleted,
        row.emoji,
        row.reaction_on,
        row.payload,
        hiddenFrom,
        options.uploadIds ?? [],
        options.markWriter ?? false,
        options.hiddenMembers ?? [],
        row.sender_device,
        row.ciphertext,
      ],
    )
    .catch((error: unknown) => {
      // An upload deleted since an append without the lock checked it (its foreign key).
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION)
        throw new RetryTransaction(`an upload of ${row.conversation_id}#${row.seq} is gone`);
      throw error;
    });
  const stored = rows[0];
  if (!stored) throw new RetryTransaction(`event ${row.conversation_id}#${row.seq} met a taken key or a moved counter`);
  return { firstMessage: stored.first_message };
}

// $1–$15 the events' columns side by side (and whether each marks its sender as a writer); $16,
// $17 the uploads the messages refer to, as (conversation, upload id) pairs; $18, $19 the members
// of groups they are hidden from, as (conversation, user id) pairs; $20, $21 the envelope columns.
// Types are spelled out: unnest does not take its parameters' types from the columns.
const INSERT_EVENTS = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::bigint[], $9::text[], $10::boolean[], $11::text[], $12::boolean[], $13::jsonb[],
                         $14::text[], $15::boolean[], $20::integer[], $21::text[])
      AS r(conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at, reply_to, deleted, emoji,
           reaction_on, payload, hidden_from, mark_writer, sender_device, ciphertext)),
  held AS MATERIALIZED (
    SELECT id, last_seq FROM conversations WHERE id IN (SELECT conversation_id FROM input) ORDER BY id FOR NO KEY UPDATE),
  stored AS (
    INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                        reply_to, deleted, emoji, reaction_on, payload, hidden_from, sender_device, ciphertext)
    SELECT r.conversation_id, r.seq, r.kind, r.sender_id, r.client_id, r.message_id, r.text, r.sent_at,
           r.reply_to, r.deleted, r.emoji, r.reaction_on, r.payload, r.hidden_from, r.sender_device, r.ciphertext
    FROM input r JOIN held h ON h.id = r.conversation_id AND h.last_seq = r.seq - 1
    ON CONFLICT DO NOTHING
    RETURNING conversation_id, seq, sender_id),
  counter AS (UPDATE conversations c SET last_seq = s.seq FROM stored s WHERE c.id = s.conversation_id),
  refs AS (
    -- One message may carry the same upload twice; it refers to it once.
    INSERT INTO attachment_refs (upload_id, conversation_id, seq)
    SELECT DISTINCT u.upload_id, s.conversation_id, s.seq
    FROM stored s JOIN unnest($16::text[], $17::text[]) AS u(conversation_id, upload_id) ON u.conversation_id = s.conversation_id),
  wrote AS (
    UPDATE members m SET first_message_seq = s.seq
    FROM stored s JOIN input r ON r.conversation_id = s.conversation_id
    WHERE r.mark_writer AND m.conversation_id = s.conversation_id AND m.user_id = s.sender_id AND m.first_message_seq IS NULL
    RETURNING m.conversation_id),
  hidden AS (
    INSERT INTO hidden_events (conversation_id, seq, user_id)
    SELECT s.conversation_id, s.seq, x.user_id
    FROM stored s JOIN unnest($18::text[], $19::text[]) AS x(conversation_id, user_id) ON x.conversation_id = s.conversation_id)
  SELECT s.conversation_id, EXISTS (SELECT 1 FROM wrote w WHERE w.conversation_id = s.conversation_id) AS first_message
  FROM stored s`;

/**
 * Inserts events of distinct conversations in one statement, each as insertEvent inserts one and
 * under the same rules (its counter must still stand at the seq before it; it moves in the same
 * transaction). The conversations are locked in id order, so two writers that each hold several
 * cannot deadlock. Answers the events stored, by conversation: one missing lost its race, and
 * nothing of it was written. An upload deleted since the facts were read fails the whole statement
 * with RetryTransaction (its foreign key). A message appended alone goes through insertEvent:
 * its statement costs less for one event (through this one, an append back to back took 0.07–0.18
 * ms longer here, in each of eight rounds of 1,500).
 */
export async function insertEvents(
  tx: Session,
  toStore: readonly EventToStore[],
): Promise<Map<string, { firstMessage: boolean }>> {
  const records = toStore.map(({ event, hiddenFrom }) => ({ ...toEventRecord(event), hidden_from: hiddenFrom }));
  if (new Set(records.map((row) => row.conversation_id)).size !== records.length) {
    throw new Error('insertEvents stores one event per conversation at a time');
  }
  const column = <K extends keyof (typeof records)[number]>(key: K) => records.map((row) => row[key]);
  const refs = toStore.flatMap(({ event, uploadIds }) => (uploadIds ?? []).map((id) => [event.conversationId, id] as const));
  const hidden = toStore.flatMap(({ event, hiddenMembers }) =>
    (hiddenMembers ?? []).map((userId) => [event.conversationId, userId] as const),
  );
  const { rows } = await tx
    .query<{ conversation_id: string; first_message: boolean }>(INSERT_EVENTS, [
      column('conversation_id'),
      column('seq'),
      column('kind'),
      column('sender_id'),
      column('client_id'),
      column('message_id'),
      column('text'),
      column('sent_at'),
      column('reply_to'),
      column('deleted'),
      column('emoji'),
      column('reaction_on'),
      column('payload'),
      column('hidden_from'),
      toStore.map((item) => item.markWriter ?? false),
      refs.map(([conversationId]) => conversationId),
      refs.map(([, uploadId]) => uploadId),
      hidden.map(([conversationId]) => conversationId),
      hidden.map(([, userId]) => userId),
      column('sender_device'),
      column('ciphertext'),
    ])
    .catch((error: unknown) => {
      // An upload deleted since an append without the lock checked it.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION)
        throw new RetryTransaction('an upload was deleted before its message was stored');
      throw error;
    });
  return new Map(rows.map((row) => [row.conversation_id, { firstMessage: row.first_message }]));
}
