import type { RequestAnswer } from '../../protocol/frames.js';
import { requestStanding, type RequestStanding } from '../../protocol/request-rules.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';

/**
 * A conversation's standing as a message request (protocol/request-rules.ts: requestStanding), from
 * the columns its row keeps (migration 16): the server's request_from, and our answer as the
 * 'request' register says it (request_answer, request_seq).
 */

/** requestStanding in SQL over a conversation row aliased `c`: a deleted request, which no list shows. */
// IS, not =, so a row with no answer (NULL) compares false rather than NULL under a NOT.
export const DELETED_REQUEST_SQL = "(c.request_answer IS 'deleted' AND c.last_incoming_seq <= c.request_seq)";

/** requestStanding in SQL: a request with no answer yet, or deleted and written to since (with NOT DELETED_REQUEST_SQL). */
export const OPEN_REQUEST_SQL = "(c.request_from IS NOT NULL AND c.request_answer IS NOT 'accepted')";

/**
 * Whether the conversation row `c` is trusted: an ordinary one, or a request accepted. Until then no
 * receipt goes back and nothing its people sent is fetched.
 */
export const TRUSTED_SQL = "(c.request_from IS NULL OR c.request_answer IS 'accepted')";

export function requestAnswerOf(answer: string | null, seq: number): RequestAnswer | null {
  return answer === 'accepted' || answer === 'deleted' ? { answer, seq } : null;
}

interface StandingRow {
  request_from: string | null;
  request_answer: string | null;
  request_seq: number;
  last_incoming_seq: number;
}

/** The conversation's standing; 'none' for a conversation this mirror does not have. */
export function requestStandingOf(db: Db, conversationId: string): RequestStanding {
  const row = cachedStatement(
    db,
    'SELECT request_from, request_answer, request_seq, last_incoming_seq FROM conversations WHERE id = ?',
  ).get(conversationId) as StandingRow | undefined;
  if (!row) return 'none';
  return requestStanding(row.request_from, requestAnswerOf(row.request_answer, row.request_seq), row.last_incoming_seq);
}

/** Who the request came from (the server's word); null for an ordinary conversation. */
export function requestFromOf(db: Db, conversationId: string): string | null {
  const row = cachedStatement(db, 'SELECT request_from FROM conversations WHERE id = ?').get(conversationId) as
    { request_from: string | null } | undefined;
  return row?.request_from ?? null;
}

/** A direct conversation's other person, with whether they are blocked and the conversation waits as a request. */
export interface DirectStanding {
  peerId: string;
  blocked: boolean;
  request: boolean;
}

/**
 * DirectStanding in one read (the 'blocked' register of settings-store.ts joined in): what every
 * ring asks, on the caller's device and on each callee's. Null for a group, or a conversation this
 * mirror does not have.
 */
export function directStandingOf(db: Db, conversationId: string): DirectStanding | null {
  const row = cachedStatement(
    db,
    `SELECT c.peer_id, c.request_from, c.request_answer, c.request_seq, c.last_incoming_seq,
       (SELECT s.value FROM settings s WHERE s.key = 'blocked:' || c.peer_id AND s.kind = 'blocked') AS blocked
     FROM conversations c WHERE c.id = ? AND c.kind = 'direct'`,
  ).get(conversationId) as (StandingRow & { peer_id: string | null; blocked: string | null }) | undefined;
  if (!row?.peer_id) return null;
  const standing = requestStanding(row.request_from, requestAnswerOf(row.request_answer, row.request_seq), row.last_incoming_seq);
  return { peerId: row.peer_id, blocked: row.blocked === 'true', request: standing !== 'none' };
}
