import type { ConversationEvent, ConversationKind, Role, User } from '../../protocol/frames.js';
import type { Session } from './pg-connections.js';
import { judgeChange, newChangeEvent, type ForwardSourceFacts } from './append-rules.js';
import {
  asSeenBy,
  cutPage,
  markHidden,
  pageWindow,
  servedTo,
  usersNamedIn,
  type HiddenFacts,
  type Period,
} from './event-visibility.js';
import {
  audienceColumns,
  earlierEventJson,
  groupBlockersColumn,
  insertEvent,
  insertEvents,
  lockConversation,
  seqAfter,
  periodsJson,
  recipientsOf,
  type Audience,
} from './pg-queries.js';
import { downloadableToSql, hiddenInGroupSql } from './shared-sql.js';
import type { AppendResult, ChangeResult, EventAt, EventPage, NewChange, NewMessage } from './server-store.js';
import { toEvent, toUser, type EventRecord, type UserRow } from './store-rows.js';
import {
  appendManyOnRememberedFacts,
  appendOnRememberedFacts,
  isPlain,
  judgeOnFacts,
  MESSAGE_FACTS,
  MESSAGE_FACTS_BATCH,
  uploadIdsOf,
  type MessageFactsRow,
  type RememberedFacts,
} from './pg-message-facts.js';

/**
 * The event log in PostgreSQL. A message is appended in one of two ways (PostgresServerStore
 * chooses): without a transaction, reading its facts in one statement and storing in another that
 * checks the conversation's counter has not moved since (insertEvent), two round trips, alone or
 * together with messages of other conversations (appendMessagesWith, insertEvents), or one when
 * the facts a plain message's sender was last judged on still hold (pg-message-facts.ts); or in a READ
 * COMMITTED transaction that locks the conversation first (lockConversation), so that no other
 * writer can move it. Changes always take the lock. Either way the facts the rules judge
 * (append-rules.ts) are read after the last event they depend on was committed, and the sequence
 * number is taken and the event inserted under the conversation's row lock. readEvents reads a
 * page in one statement, so it sees one snapshot.
 */

/**
 * Appends a message. With `lock`, `session` is in a transaction and the conversation is locked
 * first; without, the facts are read in autocommit and the insert throws RetryTransaction when an
 * event was stored in between (insertEvent). With `remembered`, the facts it was judged on are
 * kept, and a plain message without the lock is first tried in one statement on those its sender
 * was last judged on here (appendOnRememberedFacts); when they no longer hold, it goes on with the
 * facts that statement read.
 */
export async function appendMessageWith(
  session: Session,
  input: NewMessage,
  lock: boolean,
  remembered?: RememberedFacts,
): Promise<AppendResult> {
  const { conversationId, senderId } = input;
  if (lock) await lockConversation(session, conversationId);
  const uploadIds = uploadIdsOf(input);
  const expected = !lock && isPlain(input) ? remembered?.recall(input) : undefined;
  const tried = expected ? await appendOnRememberedFacts(session, input, expected) : null;
  const facts = tried?.facts ?? (await readMessageFacts(session, input, uploadIds));
  remembered?.remember(input, facts);
  if (tried?.result) return tried.result;
  const forward = input.forwardOf ? await forwardFacts(session, senderId, input.forwardOf, uploadIds) : null;
  const judged = judgeOnFacts(input, facts, forward);
  if (judged.status !== 'accepted') return judged;
  const { firstMessage } = await insertEvent(session, judged.stored.event, judged.stored.hiddenFrom, judged.stored);
  return judged.result(firstMessage);
}

async function readMessageFacts(session: Session, input: NewMessage, uploadIds: readonly string[]): Promise<MessageFactsRow> {
  const { rows } = await session.query<MessageFactsRow>(MESSAGE_FACTS, [
    input.conversationId,
    input.senderId,
    input.clientMessageId,
    input.replyTo,
    uploadIds,
  ]);
  return rows[0] as MessageFactsRow;
}

/**
 * Appends messages of distinct conversations, none of them a forward, in autocommit: in one
 * statement for those whose facts are remembered (appendManyOnRememberedFacts), and in two for the
 * others, their facts, then the events that were accepted. Answers each message's result, or null
 * for one that lost a race (an event stored in its conversation since its facts were read, a key
 * taken, or facts that changed since they were remembered): that one must run alone
 * (appendMessageWith), and nothing of it was written. An upload deleted in between throws
 * RetryTransaction, and nothing of the messages read with their facts was written.
 */
export async function appendMessagesWith(
  session: Session,
  inputs: readonly NewMessage[],
  remembered?: RememberedFacts,
): Promise<Array<AppendResult | null>> {
  if (inputs.some((input) => input.forwardOf)) throw new Error('A forward is appended alone (its source has facts of its own)');
  const tried = remembered ? await appendManyOnRememberedFacts(session, inputs, remembered) : inputs.map(() => null);
  const rest = inputs.filter((_, i) => tried[i] === null);
  const restResults = rest.length > 0 ? await appendReadingFacts(session, rest, remembered) : [];
  let nextRest = 0;
  return inputs.map((input, i) => {
    const attempt = tried[i];
    if (!attempt) return restResults[nextRest++] ?? null;
    remembered?.remember(input, attempt.facts);
    return attempt.result;
  });
}

/** appendMessagesWith's two statements: the messages' facts, then the events that were accepted. */
async function appendReadingFacts(
  session: Session,
  inputs: readonly NewMessage[],
  remembered: RememberedFacts | undefined,
): Promise<Array<AppendResult | null>> {
  const uploads = inputs.flatMap((input, i) => uploadIdsOf(input).map((id) => [i + 1, id] as const));
  const { rows } = await session.query<MessageFactsRow & { request: number }>(MESSAGE_FACTS_BATCH, [
    inputs.map((input) => input.conversationId),
    inputs.map((input) => input.senderId),
    inputs.map((input) => input.clientMessageId),
    inputs.map((input) => input.replyTo),
    uploads.map(([request]) => request),
    uploads.map(([, id]) => id),
  ]);
  const factsByRequest = new Map(rows.map(({ request, ...facts }) => [Number(request), facts]));
  const judged = inputs.map((input, i) => {
    const facts = factsByRequest.get(i + 1);
    if (!facts) throw new Error(`No facts came back for message ${input.clientMessageId}`);
    remembered?.remember(input, facts);
    return judgeOnFacts(input, facts, null);
  });
  const toStore = judged.flatMap((verdict) => (verdict.status === 'accepted' ? [verdict.stored] : []));
  const stored = toStore.length > 0 ? await insertEvents(session, toStore) : new Map<string, { firstMessage: boolean }>();
  return judged.map((verdict, i) => {
    if (verdict.status !== 'accepted') return verdict;
    const done = stored.get(inputs[i]!.conversationId);
    return done ? verdict.result(done.firstMessage) : null;
  });
}

interface ForwardFactsRow {
  is_member: boolean;
  original: EventRecord | null;
  original_hidden_here: boolean | null;
  author_name: string | null;
  sender_periods: Period[];
  downloadable: string[];
}

// $1 the source's conversation, $2 sender, $3 the source's messageId, $4 the attachments' upload ids.
const FORWARD_FACTS = `
  SELECT EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2) AS is_member,
         (SELECT to_jsonb(e) FROM events e WHERE e.conversation_id = $1 AND e.message_id = $3 AND e.kind = 'message') AS original,
         (SELECT ${hiddenInGroupSql('e.conversation_id', 'e.seq', '$2')} FROM events e
          WHERE e.conversation_id = $1 AND e.message_id = $3 AND e.kind = 'message') AS original_hidden_here,
         (SELECT u.display_name FROM events e JOIN users u ON u.id = e.sender_id
          WHERE e.conversation_id = $1 AND e.message_id = $3 AND e.kind = 'message') AS author_name,
         ${periodsJson('$1', '$2')} AS sender_periods,
         -- A forward refers to files by reference: also ones the sender may download now.
         (SELECT COALESCE(jsonb_agg(u.id), '[]') FROM uploads u WHERE u.id = ANY($4::text[]) AND ${downloadableToSql('$2', 'u')}) AS downloadable`;

/** The message a forward copies, as its sender may see it now, and which of the attachments they may download. */
async function forwardFacts(
  tx: Session,
  senderId: string,
  source: { conversationId: string; messageId: string },
  uploadIds: readonly string[],
): Promise<{ source: ForwardSourceFacts; downloadable: Set<string> }> {
  const { rows } = await tx.query<ForwardFactsRow>(FORWARD_FACTS, [source.conversationId, senderId, source.messageId, uploadIds]);
  const row = rows[0] as ForwardFactsRow;
  return {
    source: {
      isMember: row.is_member,
      message: row.original && { ...row.original, hidden_here: row.original_hidden_here === true },
      senderPeriods: row.sender_periods,
      original: row.original && toEvent(row.original),
      authorName: row.author_name,
    },
    downloadable: new Set(row.downloadable),
  };
}

interface ChangeFactsRow extends Audience {
  earlier: EventRecord | null;
  sender_role: Role | null;
  kind: ConversationKind | null;
  target: (HiddenFacts & { sender_id: string; deleted: boolean }) | null;
  target_hidden_members: string[];
  group_blockers: string[];
  sender_periods: Period[];
  sender_emojis: string[];
  joined_after: string[];
}

// $1 conversation, $2 sender, $3 clientChangeId, $4 the target's messageId.
const CHANGE_FACTS = `
  SELECT ${earlierEventJson('$2', '$3')} AS earlier,
         (SELECT role FROM members WHERE conversation_id = $1 AND user_id = $2) AS sender_role,
         ${audienceColumns('$1', '$2')},
         ${groupBlockersColumn('$1', '$2')},
         (SELECT kind FROM conversations WHERE id = $1) AS kind,
         (SELECT jsonb_build_object('seq', t.seq, 'sender_id', t.sender_id, 'deleted', t.deleted, 'hidden_from', t.hidden_from,
                                    'hidden_here', ${hiddenInGroupSql('t.conversation_id', 't.seq', '$2')})
          FROM events t WHERE t.conversation_id = $1 AND t.message_id = $4 AND t.kind = 'message') AS target,
         -- Those the message is hidden from in a group: a change to it is hidden from them too.
         ARRAY(SELECT h.user_id FROM events t JOIN hidden_events h ON h.conversation_id = t.conversation_id AND h.seq = t.seq
               WHERE t.conversation_id = $1 AND t.message_id = $4 AND t.kind = 'message') AS target_hidden_members,
         ${periodsJson('$1', '$2')} AS sender_periods,
         (SELECT COALESCE(jsonb_agg(emoji), '[]') FROM reactions
          WHERE conversation_id = $1 AND message_id = $4 AND user_id = $2) AS sender_emojis,
         -- Members who joined after the message, in join order: an edit's text is not theirs to read.
         (SELECT COALESCE(array_agg(m.user_id ORDER BY m.join_order), '{}') FROM members m
          WHERE m.conversation_id = $1 AND EXISTS (
            SELECT 1 FROM member_periods p
            WHERE p.conversation_id = m.conversation_id AND p.user_id = m.user_id AND p.to_seq IS NULL AND p.from_seq > (
              SELECT seq FROM events WHERE conversation_id = $1 AND message_id = $4 AND kind = 'message'))) AS joined_after`;

export async function appendChangeWith(tx: Session, input: NewChange): Promise<ChangeResult> {
  const { conversationId, senderId, change } = input;
  const lastSeq = await lockConversation(tx, conversationId);
  const { rows } = await tx.query<ChangeFactsRow>(CHANGE_FACTS, [
    conversationId,
    senderId,
    input.clientChangeId,
    change.messageId,
  ]);
  const facts = rows[0] as ChangeFactsRow;
  const role = facts.sender_role;
  const verdict = judgeChange(input, {
    earlier: facts.earlier && toEvent(facts.earlier),
    isMember: role !== null,
    actor: role && facts.kind ? { id: senderId, role, conversationKind: facts.kind } : null,
    target: facts.target,
    senderPeriods: facts.sender_periods,
    senderEmojis: new Set(facts.sender_emojis),
  });
  if (verdict.status !== 'accepted') return verdict;
  const stored = newChangeEvent(input, seqAfter(lastSeq, conversationId));
  if (change.kind === 'delete') await purge(tx, conversationId, change.messageId, verdict.target.seq);
  if (change.kind === 'reaction') {
    await tx.query(
      change.on
        ? 'INSERT INTO reactions (conversation_id, message_id, user_id, emoji) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING'
        : 'DELETE FROM reactions WHERE conversation_id = $1 AND message_id = $2 AND user_id = $3 AND emoji = $4',
      [conversationId, change.messageId, senderId, change.emoji],
    );
  }
  // Hidden by blocks like a message, and so is any change to a message hidden from someone: they
  // never had the message, so they never get what changes it.
  const hiddenFrom = facts.blocked_peer ?? verdict.target.hiddenFrom;
  const hiddenMembers = [...new Set([...facts.group_blockers, ...facts.target_hidden_members])];
  await insertEvent(tx, stored, hiddenFrom, { hiddenMembers });
  return {
    status: 'stored',
    event: stored,
    memberIds: recipientsOf(facts.member_ids, hiddenFrom, hiddenMembers),
    // An edit's text is the message's text: members who joined after the message do not get it.
    withheldFrom: stored.kind === 'edit' ? recipientsOf(facts.joined_after, hiddenFrom, hiddenMembers) : [],
  };
}

/**
 * Delete for everyone: the message's text and every edit's text become '', its attachments and
 * reactions are dropped, so catch-up never serves them again, and it no longer refers to its
 * uploads, so nobody can download them through it and garbage collection takes them. The rows
 * stay, so no sequence number disappears.
 */
async function purge(tx: Session, conversationId: string, messageId: string, messageSeq: number): Promise<void> {
  await tx.query(
    `WITH refs AS (DELETE FROM attachment_refs WHERE conversation_id = $1 AND seq = $3),
          message AS (UPDATE events SET text = '', deleted = true, payload = NULL
                      WHERE conversation_id = $1 AND message_id = $2 AND kind = 'message'),
          edits AS (UPDATE events SET text = '' WHERE conversation_id = $1 AND message_id = $2 AND kind = 'edit')
     DELETE FROM reactions WHERE conversation_id = $1 AND message_id = $2`,
    [conversationId, messageId, messageSeq],
  );
}

// The column target_seq of an event e of conversation $1: for an edit, the seq of the message it
// edits (which decides whether its text is withheld, asSeenBy); NULL for other kinds.
const EDIT_TARGET_SEQ = `CASE WHEN e.kind = 'edit' THEN (
    SELECT target.seq FROM events target
    WHERE target.conversation_id = e.conversation_id AND target.message_id = e.message_id AND target.kind = 'message')
  END AS target_seq`;

// $1 conversation, $2 reader, $3 afterSeq, $4 how many rows (the limit and one more, which tells
// whether another page exists without a COUNT). One statement, so the periods, the page and the
// log's end come from one snapshot without a transaction: the reader's periods; the stretch of the
// log the page comes from (pageWindow's rule in event-visibility.ts: the period that holds $3 + 1,
// or the first one after it; the caller checks that both agree); the page, from the first event in
// the stretch the reader may be served (an edit brings the seq of the message it edits, which
// decides whether its text is withheld); the senders of its events. Always one row at least (with
// no event when the page is empty). The page's bounds are computed once (InitPlans), so the scan of
// events is a range of the primary key: a page costs the same at the end of a long log as at its
// start (postgres-append-paths.test.ts reads the plan's buffers to hold it to that).
export const EVENTS_PAGE = `
  WITH periods AS (
    SELECT from_seq, to_seq FROM member_periods WHERE conversation_id = $1 AND user_id = $2),
  stretch AS (
    SELECT GREATEST($3, from_seq - 1) AS after_seq, to_seq AS until_seq FROM periods
    WHERE to_seq IS NULL OR to_seq >= $3 + 1 ORDER BY from_seq LIMIT 1),
  bounds AS (
    SELECT COALESCE(w.until_seq, ${Number.MAX_SAFE_INTEGER}) AS until_seq, (
      SELECT s.seq FROM events s
      WHERE s.conversation_id = $1 AND s.seq > w.after_seq AND (w.until_seq IS NULL OR s.seq <= w.until_seq)
        AND (s.hidden_from IS NULL OR s.hidden_from <> $2) AND NOT ${hiddenInGroupSql('$1', 's.seq', '$2')}
      ORDER BY s.seq LIMIT 1) AS from_seq
    FROM stretch w),
  page AS (
    SELECT e.*, ${EDIT_TARGET_SEQ}
    FROM events e
    WHERE e.conversation_id = $1
      AND e.seq BETWEEN (SELECT from_seq FROM bounds) AND (SELECT until_seq FROM bounds)
    ORDER BY e.seq LIMIT $4)
  SELECT (SELECT COALESCE(jsonb_agg(jsonb_build_object('from_seq', from_seq, 'to_seq', to_seq)), '[]') FROM periods) AS periods,
         (SELECT after_seq FROM stretch) AS stretch_after,
         (SELECT last_seq FROM conversations WHERE id = $1) AS last_seq,
         -- The page's events hidden from the reader in a group (cutPage skips them).
         (SELECT COALESCE(jsonb_agg(h.seq), '[]') FROM hidden_events h
          WHERE h.conversation_id = $1 AND h.user_id = $2
            AND h.seq BETWEEN (SELECT from_seq FROM bounds) AND (SELECT MAX(seq) FROM page)) AS hidden_seqs,
         (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name)), '[]')
          FROM users u WHERE u.id IN (SELECT sender_id FROM page)) AS senders,
         page.*
  FROM (SELECT 1) AS one LEFT JOIN page ON true
  ORDER BY page.seq`;

type PageRow = EventRecord & {
  target_seq: number | null;
  periods: Period[];
  stretch_after: number | null;
  last_seq: number;
  hidden_seqs: number[];
  senders: UserRow[];
};

/**
 * A page of the log as `userId` may read it (event-visibility.ts); null when they were never a
 * member. One statement (EVENTS_PAGE) on its own, and one more for the people the events name
 * besides their senders (a group's changes), when there are any.
 */
export async function readEventsWith(
  session: Session,
  input: { conversationId: string; userId: string; afterSeq: number; limit: number },
): Promise<EventPage | null> {
  const { conversationId, userId, afterSeq, limit } = input;
  const { rows } = await session.query<PageRow>(EVENTS_PAGE, [conversationId, userId, afterSeq, limit + 1]);
  const head = rows[0] as PageRow;
  if (head.periods.length === 0) return null;
  const window = pageWindow(head.periods, afterSeq);
  if ((window?.afterSeq ?? null) !== head.stretch_after) {
    throw new Error(`The page's stretch after ${afterSeq} in ${conversationId} differs from the visibility rules'`);
  }
  if (!window) return { events: [], hasMore: false, users: [] };
  const eventRows = head.seq === null ? [] : markHidden(rows, head.hidden_seqs);
  const { rows: kept, ...page } = cutPage(eventRows, input, window, () => head.last_seq);
  const events = kept.map((row) => asSeenBy(toEvent(row), row.target_seq ?? 0, head.periods));
  const named = usersNamedIn(events);
  const senders = new Map(head.senders.map((row) => [row.id, row]));
  const users = named.every((id) => senders.has(id))
    ? named.map((id) => toUser(senders.get(id)!))
    : await usersIn(session, named);
  return { ...page, events, users };
}

// The reader's periods and the event at one seq, with the seq of the message an edit edits: what
// the visibility rules decide on for one event. No row when there is no event.
const ONE_EVENT = `
  SELECT 1 AS request, ${periodsJson('$1', '$2')} AS periods,
         e.*,
         ${hiddenInGroupSql('e.conversation_id', 'e.seq', '$2')} AS hidden_here,
         ${EDIT_TARGET_SEQ}
  FROM events e WHERE e.conversation_id = $1 AND e.seq = $3`;

// The same for each requested (conversation, reader, seq), $1, $2 and $3 side by side; `request` is
// the request's position, from 1. It costs PostgreSQL more than ONE_EVENT for one event (0.40
// against 0.17 ms a call here) and far less for several (0.73 ms for 8).
const EVENTS_AT = `
  SELECT r.request, ${periodsJson('r.conversation', 'r.reader')} AS periods,
         e.*,
         ${hiddenInGroupSql('e.conversation_id', 'e.seq', 'r.reader')} AS hidden_here,
         ${EDIT_TARGET_SEQ}
  FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS r(conversation, reader, at_seq, request)
  JOIN events e ON e.conversation_id = r.conversation AND e.seq = r.at_seq`;

/** Each requested event as readEventsWith would serve it to its reader, or null (ServerStore.readEventsAt). */
export async function readEventsAtWith(session: Session, requests: readonly EventAt[]): Promise<Array<ConversationEvent | null>> {
  const events: Array<ConversationEvent | null> = requests.map(() => null);
  if (requests.length === 0) return events;
  const [only] = requests;
  const [text, values] =
    requests.length === 1 && only
      ? [ONE_EVENT, [only.conversationId, only.userId, only.seq]]
      : [EVENTS_AT, [requests.map((r) => r.conversationId), requests.map((r) => r.userId), requests.map((r) => r.seq)]];
  const { rows } = await session.query<
    EventRecord & { request: number; target_seq: number | null; periods: Period[]; hidden_here: boolean }
  >(text, values);
  for (const row of rows) {
    const { userId } = requests[row.request - 1]!;
    if (servedTo(row, row.periods, userId)) events[row.request - 1] = asSeenBy(toEvent(row), row.target_seq ?? 0, row.periods);
  }
  return events;
}

async function usersIn(tx: Session, ids: readonly string[]): Promise<User[]> {
  if (ids.length === 0) return [];
  // In the order they are named (EventPage.users), so every store and every read agree.
  const { rows } = await tx.query<UserRow>(
    `SELECT u.id, u.username, u.display_name FROM unnest($1::text[]) WITH ORDINALITY AS named(id, position)
     JOIN users u ON u.id = named.id ORDER BY named.position`,
    [ids],
  );
  return rows.map(toUser);
}
