import type { Session } from './pg-connections.js';
import { audienceColumns, groupBlockedColumn, recipientsOf, type Audience } from './pg-queries.js';
import type { ServerStore, WatermarkResult } from './server-store.js';

/**
 * Delivery and read watermarks in PostgreSQL, raised one receipt at a time or many in one
 * statement. The rules are the same either way: a receipt cannot vouch for events that do not
 * exist yet (LEAST with last_seq), watermarks only rise (GREATEST), and whoever has read an event
 * has also received it. A member's row changes only when one of them rises.
 */

export type Receipt = Parameters<ServerStore['raiseWatermark']>[0];

interface Watermarks {
  delivered_seq: number;
  read_seq: number;
}

interface WatermarkRow extends Audience {
  group_blocked: string[];
  /** The row after this statement raised it; null when it did not. */
  raised: Watermarks | null;
  /** The row as the statement's snapshot found it; null: not a member. */
  before: Watermarks | null;
}

/** The new values and the test that any rises, for member row `m`, conversation `c` and the receipt's read and delivered seqs. */
const NEW_READ = (read: string) => `GREATEST(m.read_seq, LEAST(${read}, c.last_seq))`;
const NEW_DELIVERED = (read: string, delivered: string) =>
  `GREATEST(m.delivered_seq, LEAST(${delivered}, c.last_seq), m.read_seq, LEAST(${read}, c.last_seq))`;
const RISES = (read: string, delivered: string) =>
  `(LEAST(${read}, c.last_seq) > m.read_seq
    OR GREATEST(LEAST(${delivered}, c.last_seq), m.read_seq, LEAST(${read}, c.last_seq)) > m.delivered_seq)`;

const BEFORE = (conversation: string, user: string) =>
  `(SELECT jsonb_build_object('delivered_seq', delivered_seq, 'read_seq', read_seq) FROM members
    WHERE conversation_id = ${conversation} AND user_id = ${user})`;

// $1 conversation, $2 user, $3 read up to (0: not a read receipt), $4 delivered up to.
// The UPDATE's row lock orders racing receipts, and each is compared with the row as the one
// before left it (a concurrently updated row is re-read before the comparison).
const RAISE_ONE = `
  WITH raised AS (
    UPDATE members m SET read_seq = ${NEW_READ('$3::bigint')}, delivered_seq = ${NEW_DELIVERED('$3::bigint', '$4::bigint')}
    FROM conversations c
    WHERE c.id = m.conversation_id AND m.conversation_id = $1 AND m.user_id = $2 AND ${RISES('$3::bigint', '$4::bigint')}
    RETURNING m.delivered_seq, m.read_seq)
  SELECT (SELECT to_jsonb(raised) FROM raised) AS raised, ${BEFORE('$1', '$2')} AS before, ${audienceColumns('$1', '$2')},
         ${groupBlockedColumn('$1', '$2')}`;

// The same for receipts of distinct members side by side ($1–$4 as arrays). The rows are locked
// first with SKIP LOCKED, so this statement never waits for a row lock while it holds others and
// cannot deadlock with a transaction that holds one of them (an append storing a member's first
// envelope, a group change, another node's batch). A receipt whose row it could not take, or whose
// row stopped rising between the snapshot and the lock, is left for the one-row statement
// (`contended`).
const RAISE_MANY = `
  WITH r AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY
      AS r(conversation_id, user_id, read_to, delivered_to, request)),
  held AS MATERIALIZED (
    SELECT m.conversation_id, m.user_id
    FROM members m JOIN r ON r.conversation_id = m.conversation_id AND r.user_id = m.user_id
    JOIN conversations c ON c.id = m.conversation_id
    WHERE ${RISES('r.read_to', 'r.delivered_to')}
    FOR NO KEY UPDATE OF m SKIP LOCKED),
  raised AS (
    UPDATE members m SET read_seq = ${NEW_READ('r.read_to')}, delivered_seq = ${NEW_DELIVERED('r.read_to', 'r.delivered_to')}
    FROM r JOIN held h ON h.conversation_id = r.conversation_id AND h.user_id = r.user_id
    JOIN conversations c ON c.id = r.conversation_id
    WHERE m.conversation_id = r.conversation_id AND m.user_id = r.user_id AND ${RISES('r.read_to', 'r.delivered_to')}
    RETURNING r.request, m.delivered_seq, m.read_seq)
  SELECT r.request,
         (SELECT jsonb_build_object('delivered_seq', x.delivered_seq, 'read_seq', x.read_seq)
          FROM raised x WHERE x.request = r.request) AS raised,
         ${BEFORE('r.conversation_id', 'r.user_id')} AS before,
         EXISTS (SELECT 1 FROM members m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.conversation_id = r.conversation_id AND m.user_id = r.user_id
                   AND ${RISES('r.read_to', 'r.delivered_to')}) AS rising,
         ${audienceColumns('r.conversation_id', 'r.user_id')},
         ${groupBlockedColumn('r.conversation_id', 'r.user_id')}
  FROM r`;

const readTo = (receipt: Receipt) => (receipt.kind === 'read' ? receipt.seq : 0);
const deliveredTo = (receipt: Receipt) => (receipt.kind === 'delivered' ? receipt.seq : 0);

/** Raises one member's watermark; null when the user is not a member of the conversation. */
export async function raiseWatermarkWith(session: Session, receipt: Receipt): Promise<WatermarkResult | null> {
  const { rows } = await session.query<WatermarkRow>(RAISE_ONE, [
    receipt.conversationId,
    receipt.userId,
    readTo(receipt),
    deliveredTo(receipt),
  ]);
  return rows[0] ? toResult(rows[0]) : null;
}

/** A batch's answer for a receipt it left alone: its row was contended, and nothing of it was written. */
export const CONTENDED = 'contended';

/**
 * Raises the watermarks of distinct members (no two receipts of one member and conversation) in
 * one statement, in autocommit. Answers each receipt's result, null for a non-member, or CONTENDED.
 */
export async function raiseWatermarksWith(
  session: Session,
  receipts: readonly Receipt[],
): Promise<Array<WatermarkResult | null | typeof CONTENDED>> {
  const { rows } = await session.query<WatermarkRow & { request: number; rising: boolean }>(RAISE_MANY, [
    receipts.map((receipt) => receipt.conversationId),
    receipts.map((receipt) => receipt.userId),
    receipts.map(readTo),
    receipts.map(deliveredTo),
  ]);
  const byRequest = new Map(rows.map((row) => [Number(row.request), row]));
  return receipts.map((_, i) => {
    const row = byRequest.get(i + 1);
    if (!row) throw new Error(`The watermark batch answered no row for receipt ${i + 1}`);
    if (row.raised === null && row.rising) return CONTENDED;
    return toResult(row);
  });
}

function toResult(row: WatermarkRow): WatermarkResult | null {
  const now = row.raised ?? row.before;
  if (!now) return null;
  const before = row.before ?? now;
  // While a block stands between the two people of a direct conversation, neither hears the
  // other's receipts; in a group, those the user blocked do not hear theirs.
  return {
    deliveredSeq: now.delivered_seq,
    readSeq: now.read_seq,
    before: { deliveredSeq: before.delivered_seq, readSeq: before.read_seq },
    moved: row.raised !== null,
    memberIds: recipientsOf(row.member_ids, row.blocked_peer, row.group_blocked),
  };
}
