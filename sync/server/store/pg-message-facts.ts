import type { MessageEvent } from '../../protocol/frames.js';
import { countsAsWriting } from '../../protocol/presence-rules.js';
import { judgeMessage, newMessageEvent, type ForwardSourceFacts } from './append-rules.js';
import type { HiddenFacts, Period } from './event-visibility.js';
import type { Session } from './pg-connections.js';
import {
  audienceColumns,
  earlierEventJson,
  groupBlockersColumn,
  periodsJson,
  recipientsOf,
  seqAfter,
  type Audience,
  type EventToStore,
} from './pg-queries.js';
import type { AppendResult, NewMessage } from './server-store.js';
import { hiddenInGroupSql } from './shared-sql.js';
import { toEvent, toEventRecord, toStoredUpload, type EventRecord, type UploadRow } from './store-rows.js';

/**
 * The facts a new message is judged on (append-rules.ts), as the PostgreSQL store reads them, and
 * the rules' verdict on them.
 */

export interface MessageFactsRow extends Audience {
  last_seq: number | null;
  earlier: EventRecord | null;
  is_member: boolean;
  message_id_taken: boolean;
  reply_target: HiddenFacts | null;
  group_blockers: string[];
  sender_periods: Period[];
  uploads: UploadRow[];
}

/** The facts a message is judged on (MessageFactsRow), for the message the arguments name (SQL expressions). */
export function messageFactsColumns(
  conversation: string,
  sender: string,
  clientId: string,
  replyTo: string,
  uploadIds: string,
): string {
  return `(SELECT last_seq FROM conversations WHERE id = ${conversation}) AS last_seq,
         ${earlierEventJson(sender, clientId)} AS earlier,
         EXISTS (SELECT 1 FROM members WHERE conversation_id = ${conversation} AND user_id = ${sender}) AS is_member,
         ${audienceColumns(conversation, sender)},
         ${groupBlockersColumn(conversation, sender)},
         EXISTS (SELECT 1 FROM events
                 WHERE conversation_id = ${conversation} AND message_id = ${clientId} AND kind = 'message') AS message_id_taken,
         (SELECT jsonb_build_object('seq', t.seq, 'hidden_from', t.hidden_from,
                                    'hidden_here', ${hiddenInGroupSql('t.conversation_id', 't.seq', sender)}) FROM events t
          WHERE t.conversation_id = ${conversation} AND t.message_id = ${replyTo} AND t.kind = 'message') AS reply_target,
         ${periodsJson(conversation, sender)} AS sender_periods,
         -- KEY SHARE: in a transaction, an upload checked here cannot be deleted (deleteUpload) before
         -- the message refers to it; without one, the reference's foreign key catches it (insertEvent).
         (SELECT COALESCE(jsonb_agg(to_jsonb(u)), '[]') FROM (
            SELECT * FROM uploads WHERE id = ANY(${uploadIds}) FOR KEY SHARE) u) AS uploads`;
}

// $1 conversation, $2 sender, $3 clientMessageId, $4 replyTo, $5 the attachments' upload ids.
export const MESSAGE_FACTS = `SELECT ${messageFactsColumns('$1', '$2', '$3', '$4', '$5::text[]')}`;

// The same for several messages, $1–$4 side by side, with $5 and $6 the (request, upload id) pairs
// of their attachments; `request` is the message's position, from 1.
export const MESSAGE_FACTS_BATCH = `
  SELECT r.request, ${messageFactsColumns(
    'r.conversation',
    'r.sender',
    'r.client_id',
    'r.reply_to',
    'ARRAY(SELECT a.upload_id FROM unnest($5::bigint[], $6::text[]) AS a(request, upload_id) WHERE a.request = r.request)',
  )}
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(conversation, sender, client_id, reply_to, request)`;

export const uploadIdsOf = (input: NewMessage) => (input.attachments ?? []).map((attachment) => attachment.id);

export type Judged =
  | Exclude<AppendResult, { status: 'stored' }>
  | {
      status: 'accepted';
      stored: EventToStore & {
        event: MessageEvent;
      }; /** What the append answers once stored, at the seq it was stored at when the statement chose it. */
      result(firstMessage: boolean, storedAt?: number): AppendResult;
    };

/** The rules' verdict on a message (append-rules.ts) and, when accepted, what to store and answer. */
export function judgeOnFacts(
  input: NewMessage,
  facts: MessageFactsRow,
  forward: { source: ForwardSourceFacts; downloadable: Set<string> } | null,
): Judged {
  const verdict = judgeMessage(input, {
    earlier: facts.earlier && toEvent(facts.earlier),
    isMember: facts.is_member,
    messageIdTaken: facts.message_id_taken,
    replyTarget: facts.reply_target,
    senderPeriods: facts.sender_periods,
    forwardSource: forward?.source ?? null,
    uploads: new Map(facts.uploads.map((row) => [row.id, toStoredUpload(row)])),
    downloadable: forward?.downloadable ?? new Set(),
  });
  if (verdict.status !== 'accepted') return verdict;
  const event = newMessageEvent(input, seqAfter(facts.last_seq, input.conversationId), verdict.forwardedFrom);
  // Hidden by blocks: from the other person of a direct conversation when a block stands between
  // them, from the members of a group who blocked the sender.
  const hiddenFrom = facts.blocked_peer;
  const hiddenMembers = facts.group_blockers;
  return {
    status: 'accepted',
    stored: { event, hiddenFrom, hiddenMembers, uploadIds: uploadIdsOf(input), markWriter: countsAsWriting(event.kind) },
    result: (firstMessage, storedAt = event.seq) => ({
      status: 'stored',
      event: { ...event, seq: storedAt },
      memberIds: recipientsOf(facts.member_ids, hiddenFrom, hiddenMembers),
      firstMessage,
    }),
  };
}

/**
 * A message appended in one round trip instead of two. The facts a sender's messages in a
 * conversation are judged on rarely change from one message to the next, so the node remembers
 * them as the database last answered them; a new plain message is judged (append-rules.ts, as
 * always) on those facts as they would stand for it, and one statement reads the facts again and
 * stores the event only if they are exactly those. Otherwise nothing is stored and the caller goes
 * on with the facts the statement read, as after the facts query of the two-trip append.
 */

/** What is kept of the facts at most, counted in the people they name: a large group's weigh more. */
const REMEMBERED_WEIGHT = 200_000;

/** The facts each (conversation, sender) was last judged on here, the least recently used forgotten first. */
export class RememberedFacts {
  private readonly facts = new Map<string, { row: MessageFactsRow; weight: number }>();
  private weight = 0;

  recall(input: NewMessage): MessageFactsRow | undefined {
    const key = keyOf(input);
    const kept = this.facts.get(key);
    if (!kept) return undefined;
    this.facts.delete(key);
    this.facts.set(key, kept);
    return kept.row;
  }

  remember(input: NewMessage, row: MessageFactsRow): void {
    const key = keyOf(input);
    this.forget(key);
    const weight = 1 + row.member_ids.length + row.group_blockers.length + row.sender_periods.length;
    if (weight > REMEMBERED_WEIGHT) return;
    this.facts.set(key, { row, weight });
    this.weight += weight;
    for (const [oldest] of this.facts) {
      if (this.weight <= REMEMBERED_WEIGHT) break;
      this.forget(oldest);
    }
  }

  private forget(key: string): void {
    const kept = this.facts.get(key);
    if (!kept) return;
    this.facts.delete(key);
    this.weight -= kept.weight;
  }
}

function keyOf(input: NewMessage): string {
  return JSON.stringify([input.conversationId, input.senderId]);
}

/** A message whose own facts are known before they are read: no reply, attachment or forward to look up. */
export function isPlain(input: NewMessage): boolean {
  return input.replyTo === null && (input.attachments ?? []).length === 0 && !input.forwardOf;
}

/**
 * The facts of a plain new message (isPlain) as they stand if nothing changed since `remembered`:
 * no earlier event under its client id, its id free, no reply target, no uploads.
 */
function expectedFacts(remembered: MessageFactsRow): MessageFactsRow {
  return { ...remembered, earlier: null, message_id_taken: false, reply_target: null, uploads: [] };
}

// $1 conversation, $2 sender, $3 clientMessageId, $4 the facts expected (jsonb, all but last_seq);
// $5–$8 the event's text, sent_at, payload and hidden_from, $9 whether it marks its sender as a
// writer, $10 the members of a group it is hidden from. The facts are read in the statement's snapshot; the conversation's row
// is then locked only while its counter still stands where they saw it (rechecked on the newest
// row version), so no event was stored in between, and the rest is held by the unique keys, as in
// insertEvent (pg-queries.ts). The event takes the seq after it. Types are spelled out, as there.
const APPEND_ON_EXPECTED_FACTS = `
  WITH facts AS MATERIALIZED (SELECT ${messageFactsColumns('$1', '$2', '$3', 'NULL::text', "'{}'::text[]")}),
  held AS (
    SELECT id, last_seq + 1 AS seq FROM conversations
    WHERE id = $1 AND last_seq = (SELECT last_seq FROM facts)
      AND (SELECT to_jsonb(f) - 'last_seq' FROM facts f) = $4::jsonb
    FOR NO KEY UPDATE),
  stored AS (
    INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                        reply_to, deleted, emoji, reaction_on, payload, hidden_from)
    SELECT held.id, held.seq, 'message', $2::text, $3::text, $3::text, $5::text, $6::bigint,
           NULL, false, NULL, NULL, $7::jsonb, $8::text FROM held
    ON CONFLICT DO NOTHING
    RETURNING conversation_id, seq),
  counter AS (UPDATE conversations c SET last_seq = s.seq FROM stored s WHERE c.id = s.conversation_id),
  wrote AS (
    UPDATE members m SET first_message_seq = s.seq FROM stored s
    WHERE $9::boolean AND m.conversation_id = s.conversation_id AND m.user_id = $2 AND m.first_message_seq IS NULL
    RETURNING 1),
  hidden AS (
    INSERT INTO hidden_events (conversation_id, seq, user_id)
    SELECT s.conversation_id, s.seq, user_id FROM stored s, unnest($10::text[]) AS user_id)
  SELECT f.*, (SELECT seq FROM stored) AS stored_seq, EXISTS (SELECT 1 FROM wrote) AS first_message FROM facts f`;

type GuardedRow = MessageFactsRow & { stored_seq: number | null; first_message: boolean };

/**
 * Appends a plain message (isPlain) judged on the `remembered` facts, in one statement: the facts
 * as the statement read them, and the result when it stored the message (nothing was stored when
 * they differ from the expected ones, or an event or a key was taken in between). Null when the
 * rules do not accept it on the remembered facts: nothing was tried.
 */
export async function appendOnRememberedFacts(
  session: Session,
  input: NewMessage,
  remembered: MessageFactsRow,
): Promise<{ facts: MessageFactsRow; result: AppendResult | null } | null> {
  const expected = expectedFacts(remembered);
  const judged = judgeOnFacts(input, expected, null);
  if (judged.status !== 'accepted') return null;
  const { last_seq: _lastSeq, ...compared } = expected;
  const row = toEventRecord(judged.stored.event);
  const { rows } = await session.query<GuardedRow>(APPEND_ON_EXPECTED_FACTS, [
    input.conversationId,
    input.senderId,
    input.clientMessageId,
    compared,
    row.text,
    row.sent_at,
    row.payload,
    judged.stored.hiddenFrom,
    judged.stored.markWriter ?? false,
    judged.stored.hiddenMembers ?? [],
  ]);
  const { stored_seq: storedSeq, first_message: firstMessage, ...facts } = rows[0] as GuardedRow;
  return { facts, result: storedSeq === null ? null : judged.result(firstMessage, storedSeq) };
}

// The same for several messages of distinct conversations, side by side: $1–$3 conversation,
// sender, clientMessageId, $4 the facts expected, $5–$9 text, sent_at, payload, hidden_from and
// whether it marks its sender as a writer; $10, $11 the (conversation, user id) pairs of the group
// members they are hidden from. The conversations are locked in id order, as insertEvents does.
const APPEND_MANY_ON_EXPECTED_FACTS = `
  WITH r AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::bigint[], $7::jsonb[],
                         $8::text[], $9::boolean[])
      WITH ORDINALITY AS r(conversation, sender, client_id, expected, text, sent_at, payload, hidden_from, mark_writer, request)),
  facts AS MATERIALIZED (
    SELECT r.request, ${messageFactsColumns('r.conversation', 'r.sender', 'r.client_id', 'NULL::text', "'{}'::text[]")} FROM r),
  held AS MATERIALIZED (
    SELECT c.id, c.last_seq + 1 AS seq, r.request FROM conversations c
    JOIN r ON r.conversation = c.id JOIN facts f ON f.request = r.request
    WHERE c.last_seq = f.last_seq AND to_jsonb(f) - 'last_seq' - 'request' = r.expected
    ORDER BY c.id FOR NO KEY UPDATE OF c),
  stored AS (
    INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                        reply_to, deleted, emoji, reaction_on, payload, hidden_from)
    SELECT h.id, h.seq, 'message', r.sender, r.client_id, r.client_id, r.text, r.sent_at,
           NULL, false, NULL, NULL, r.payload, r.hidden_from
    FROM held h JOIN r ON r.request = h.request
    ON CONFLICT DO NOTHING
    RETURNING conversation_id, seq, sender_id),
  counter AS (UPDATE conversations c SET last_seq = s.seq FROM stored s WHERE c.id = s.conversation_id),
  wrote AS (
    UPDATE members m SET first_message_seq = s.seq
    FROM stored s JOIN r ON r.conversation = s.conversation_id
    WHERE r.mark_writer AND m.conversation_id = s.conversation_id AND m.user_id = s.sender_id AND m.first_message_seq IS NULL
    RETURNING m.conversation_id),
  hidden AS (
    INSERT INTO hidden_events (conversation_id, seq, user_id)
    SELECT s.conversation_id, s.seq, x.user_id
    FROM stored s JOIN unnest($10::text[], $11::text[]) AS x(conversation_id, user_id) ON x.conversation_id = s.conversation_id)
  SELECT f.*, s.seq AS stored_seq, EXISTS (SELECT 1 FROM wrote w WHERE w.conversation_id = r.conversation) AS first_message
  FROM facts f JOIN r ON r.request = f.request LEFT JOIN stored s ON s.conversation_id = r.conversation`;

/**
 * appendOnRememberedFacts for messages of distinct conversations, in one statement for them all:
 * for each, null when it was not tried (not plain, nothing remembered, or not accepted on what is).
 */
export async function appendManyOnRememberedFacts(
  session: Session,
  inputs: readonly NewMessage[],
  remembered: RememberedFacts,
): Promise<Array<{ facts: MessageFactsRow; result: AppendResult | null } | null>> {
  const tries = inputs.map((input) => {
    const kept = isPlain(input) ? remembered.recall(input) : undefined;
    if (!kept) return null;
    const expected = expectedFacts(kept);
    const judged = judgeOnFacts(input, expected, null);
    return judged.status === 'accepted' ? { expected, judged } : null;
  });
  const tried = tries.flatMap((attempt, i) => (attempt ? [{ ...attempt, input: inputs[i]!, at: i }] : []));
  const answers: Array<{ facts: MessageFactsRow; result: AppendResult | null } | null> = inputs.map(() => null);
  if (tried.length === 0) return answers;
  const records = tried.map(({ judged }) => toEventRecord(judged.stored.event));
  const hidden = tried.flatMap(({ input, judged }) =>
    (judged.stored.hiddenMembers ?? []).map((userId) => [input.conversationId, userId] as const),
  );
  const { rows } = await session.query<GuardedRow & { request: number }>(APPEND_MANY_ON_EXPECTED_FACTS, [
    tried.map(({ input }) => input.conversationId),
    tried.map(({ input }) => input.senderId),
    tried.map(({ input }) => input.clientMessageId),
    tried.map(({ expected }) => {
      const { last_seq: _lastSeq, ...compared } = expected;
      return compared;
    }),
    records.map((row) => row.text),
    records.map((row) => row.sent_at),
    records.map((row) => row.payload),
    tried.map(({ judged }) => judged.stored.hiddenFrom),
    tried.map(({ judged }) => judged.stored.markWriter ?? false),
    hidden.map(([conversationId]) => conversationId),
    hidden.map(([, userId]) => userId),
  ]);
  for (const row of rows) {
    const { request, stored_seq: storedSeq, first_message: firstMessage, ...facts } = row;
    const { judged, at } = tried[Number(request) - 1]!;
    answers[at] = { facts, result: storedSeq === null ? null : judged.result(firstMessage, storedSeq) };
  }
  return answers;
}
