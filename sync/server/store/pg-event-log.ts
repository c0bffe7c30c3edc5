import type { ConversationEvent, User } from '../../protocol/frames.js';
import type { Session } from './pg-connections.js';
import { cutPage, markHidden, pageWindow, servedTo, usersNamedIn, type Period } from './event-visibility.js';
import { periodsJson } from './pg-queries.js';
import { hiddenInGroupSql } from './shared-sql.js';
import type { EventAt, EventPage } from './server-store.js';
import { toEvent, toUser, type EventRecord, type UserRow } from './store-rows.js';

/**
 * Reading the event log in PostgreSQL (what appends it: pg-envelopes.ts, pg-membership.ts).
 * readEvents reads a page in one statement, so it sees one snapshot without a transaction.
 */

// $1 conversation, $2 reader, $3 afterSeq, $4 how many rows (the limit and one more, which tells
// whether another page exists without a COUNT). One statement, so the periods, the page and the
// log's end come from one snapshot without a transaction: the reader's periods; the stretch of the
// log the page comes from (pageWindow's rule in event-visibility.ts: the period that holds $3 + 1,
// or the first one after it; the caller checks that both agree); the page, from the first event in
// the stretch the reader may be served; the senders of its events. Always one row at least (with
// no event when the page is empty). The page's bounds are computed once (InitPlans), so the scan of
// events is a range of the primary key: a page costs the same at the end of a long log as at its
// start (postgres-event-page.test.ts reads the plan's buffers to hold it to that).
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
    SELECT e.*
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
  const events = kept.map(toEvent);
  const named = usersNamedIn(events);
  const senders = new Map(head.senders.map((row) => [row.id, row]));
  const users = named.every((id) => senders.has(id))
    ? named.map((id) => toUser(senders.get(id)!))
    : await usersIn(session, named);
  return { ...page, events, users };
}

// The reader's periods and the event at one seq: what the visibility rules decide on for one
// event. No row when there is no event.
const ONE_EVENT = `
  SELECT 1 AS request, ${periodsJson('$1', '$2')} AS periods,
         e.*,
         ${hiddenInGroupSql('e.conversation_id', 'e.seq', '$2')} AS hidden_here
  FROM events e WHERE e.conversation_id = $1 AND e.seq = $3`;

// The same for each requested (conversation, reader, seq), $1, $2 and $3 side by side; `request` is
// the request's position, from 1. It costs PostgreSQL more than ONE_EVENT for one event (0.40
// against 0.17 ms a call here) and far less for several (0.73 ms for 8).
const EVENTS_AT = `
  SELECT r.request, ${periodsJson('r.conversation', 'r.reader')} AS periods,
         e.*,
         ${hiddenInGroupSql('e.conversation_id', 'e.seq', 'r.reader')} AS hidden_here
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
  const { rows } = await session.query<EventRecord & { request: number; periods: Period[]; hidden_here: boolean }>(text, values);
  for (const row of rows) {
    const { userId } = requests[row.request - 1]!;
    if (servedTo(row, row.periods, userId)) events[row.request - 1] = toEvent(row);
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
