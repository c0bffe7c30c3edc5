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

/** An event to store, with who it is hidden from and what it refers to (insertEvents). */
export interface EventToInsert {
  event: ConversationEvent;
  /** The other person of a direct conversation it is hidden from (a block), or null. */
  hiddenFrom: string | null;
  /** The members of a group it is hidden from. */
  hiddenMembers?: readonly string[];
  /** The uploads an envelope refers to. */
  uploadIds?: readonly string[];
  /** Whether it is its sender's first writing since they joined, if none came before (presence-rules.ts). */
  markWriter?: boolean;
}

// One row per event, of distinct conversations, side by side: $1–$14 the columns and whether it
// marks its sender as a writer; $15, $16 the (conversation, upload id) pairs of its references;
// $17, $18 the (conversation, user id) pairs of the group members it is hidden from. Types are
// spelled out: an INSERT ... SELECT does not take its parameters' types from the columns. text: ''
// (NOT NULL), as no event stored now has any (store-rows.ts: EventRecord).
const INSERT_EVENTS = `
  WITH r AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                         $8::boolean[], $9::jsonb[], $10::text[], $11::integer[], $12::text[], $13::bigint[], $14::boolean[])
      AS r(conversation_id, seq, kind, sender_id, client_id, message_id, sent_at, deleted, payload, hidden_from,
           sender_device, ciphertext, expires_in_ms, mark_writer)),
  held AS (
    SELECT c.id FROM conversations c JOIN r ON r.conversation_id = c.id AND c.last_seq = r.seq - 1
    ORDER BY c.id FOR NO KEY UPDATE OF c),
  stored AS (
    INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                        deleted, payload, hidden_from, sender_device, ciphertext, expires_in_ms)
    SELECT r.conversation_id, r.seq, r.kind, r.sender_id, r.client_id, r.message_id, '', r.sent_at,
           r.deleted, r.payload, r.hidden_from, r.sender_device, r.ciphertext, r.expires_in_ms
    FROM held JOIN r ON r.conversation_id = held.id
    ON CONFLICT DO NOTHING
    RETURNING conversation_id, seq, sender_id),
  counter AS (UPDATE conversations c SET last_seq = s.seq FROM stored s WHERE c.id = s.conversation_id),
  refs AS (
    -- One envelope may name the same upload twice; it refers to it once.
    INSERT INTO attachment_refs (upload_id, conversation_id, seq)
    SELECT DISTINCT a.upload_id, s.conversation_id, s.seq
    FROM stored s JOIN unnest($15::text[], $16::text[]) AS a(conversation_id, upload_id) ON a.conversation_id = s.conversation_id),
  wrote AS (
    UPDATE members m SET first_message_seq = s.seq
    FROM stored s JOIN r ON r.conversation_id = s.conversation_id
    WHERE r.mark_writer AND m.conversation_id = s.conversation_id AND m.user_id = s.sender_id AND m.first_message_seq IS NULL
    RETURNING m.conversation_id),
  hidden AS (
    INSERT INTO hidden_events (conversation_id, seq, user_id)
    SELECT s.conversation_id, s.seq, x.user_id
    FROM stored s JOIN unnest($17::text[], $18::text[]) AS x(conversation_id, user_id) ON x.conversation_id = s.conversation_id)
  SELECT s.conversation_id, EXISTS (SELECT 1 FROM wrote w WHERE w.conversation_id = s.conversation_id) AS first_message
  FROM stored s`;

/**
 * Inserts events of distinct conversations (and an envelope's references to its uploads), moves
 * each conversation's counter to its event's seq and, with `markWriter`, records the sender's first
 * envelope since they joined (presence-rules.ts), in one statement. Answers, for each, whether it
 * was its sender's first, or null when it lost a race and nothing of it was stored.
 *
 * Every writer locked the conversation first (lockConversation), so its counter still stands at the
 * seq before the event: the statement checks that under the row's lock all the same, and stores
 * nothing otherwise. A unique key that is taken (the sender's client id, used by a resend racing
 * into another conversation) means a writer that has committed since won the race: that append
 * runs again and answers as the resend it now is. An upload gone since it was checked (its foreign
 * key) throws RetryTransaction: the transaction runs again and refuses it.
 *
 * The counter moves in the transaction that stores the event, under the conversation's row lock
 * until it commits: a rolled-back insert takes its number back, so a number is never skipped and
 * never handed out twice, and events commit in the order of their numbers.
 */
export async function insertEvents(
  tx: Session,
  toInsert: readonly EventToInsert[],
): Promise<Array<{ firstMessage: boolean } | null>> {
  const records = toInsert.map(({ event }) => toEventRecord(event));
  const ids = records.map((row) => row.conversation_id);
  if (new Set(ids).size !== ids.length) throw new Error('Events inserted together must be of distinct conversations');
  const refs = toInsert.flatMap(({ event, uploadIds }) => (uploadIds ?? []).map((id) => [event.conversationId, id] as const));
  const hidden = toInsert.flatMap(({ event, hiddenMembers }) =>
    (hiddenMembers ?? []).map((userId) => [event.conversationId, userId] as const),
  );
  const column = <K extends keyof (typeof records)[number]>(key: K) => records.map((row) => row[key]);
  const { rows } = await tx
    .query<{ conversation_id: string; first_message: boolean }>(INSERT_EVENTS, [
      ids,
      column('seq'),
      column('kind'),
      column('sender_id'),
      column('client_id'),
      column('message_id'),
      column('sent_at'),
      column('deleted'),
      column('payload'),
      toInsert.map(({ hiddenFrom }) => hiddenFrom),
      column('sender_device'),
      column('ciphertext'),
      column('expires_in_ms'),
      toInsert.map(({ markWriter }) => markWriter ?? false),
      refs.map(([conversationId]) => conversationId),
      refs.map(([, uploadId]) => uploadId),
      hidden.map(([conversationId]) => conversationId),
      hidden.map(([, userId]) => userId),
    ])
    .catch((error: unknown) => {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION)
        throw new RetryTransaction(`an upload of an event in ${ids.join(', ')} is gone`);
      throw error;
    });
  const stored = new Map(rows.map((row) => [row.conversation_id, { firstMessage: row.first_message }]));
  return ids.map((id) => stored.get(id) ?? null);
}

/** One event (insertEvents), or RetryTransaction when it lost a race. */
export async function insertEvent(tx: Session, toInsert: EventToInsert): Promise<{ firstMessage: boolean }> {
  const [stored] = await insertEvents(tx, [toInsert]);
  if (!stored) {
    const { conversationId, seq } = toInsert.event;
    throw new RetryTransaction(`event ${conversationId}#${seq} met a taken key or a moved counter`);
  }
  return stored;
}
