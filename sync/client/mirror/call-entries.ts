/**
 * A call's entry (issue 32) as the mirror keeps it: beside the notices, once per call (by its
 * seq; the caller's device queued it under the call's id, so it is in the log once). A call the
 * callee missed counts as unread for them, as a message does, until their read watermark passes it.
 */
import { z } from 'zod';
import type { CallEntryView } from '../../app-api/calls-api.js';
import { isMissedCall, MISSED_CALL_OUTCOMES } from '../../common/call-entry.js';
import { callEndedEventSchema, type AppliedEvent, type CallEndedEvent } from '../../content/opened-events.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';

/** What the batch needs to hear of an entry stored: its seq and time, and whether it is unread here. */
export interface StoredCallEntry {
  seq: number;
  at: number;
  /** Missed by this device's person: counted as unread, and it brings the conversation back from the archive. */
  missed: boolean;
}

/** Stores the entry as a notice; null when it was stored already (a second copy of the same envelope). */
export function storeCallEntry(db: Db, event: CallEndedEvent, selfId: string): StoredCallEntry | null {
  const inserted = cachedStatement(db, 'INSERT OR IGNORE INTO notices (conversation_id, seq, event) VALUES (?, ?, ?)').run(
    event.conversationId,
    event.seq,
    JSON.stringify(event),
  );
  if (inserted.changes === 0) return null;
  // The conversation list's newest call (conversation-list.ts): only a later one takes its place.
  cachedStatement(
    db,
    `UPDATE conversations SET last_call = @call
     WHERE id = @id AND (last_call IS NULL OR json_extract(last_call, '$.seq') < @seq)`,
  ).run({ id: event.conversationId, seq: event.seq, call: JSON.stringify(lastCallOf(event)) });
  return { seq: event.seq, at: event.sentAt, missed: missedBy(event, selfId) };
}

/** The caller writes the entry: for anyone else a call that rang and was not answered is missed. */
export function missedBy(event: Pick<CallEndedEvent, 'senderId' | 'outcome'>, selfId: string): boolean {
  return event.senderId !== selfId && isMissedCall(event.outcome);
}

/**
 * The missed calls after the read watermark, in SQL over the conversation @id and this person
 * @self, for recounting what is unread; the outcomes come from isMissedCall, never a list of their own.
 */
export const UNREAD_MISSED_CALLS_SQL = `(SELECT COUNT(*) FROM notices n
  WHERE n.conversation_id = @id
    AND n.seq > COALESCE((SELECT read_seq FROM members WHERE conversation_id = @id AND user_id = @self), 0)
    AND json_extract(n.event, '$.kind') = 'call_ended' AND json_extract(n.event, '$.senderId') != @self
    AND json_extract(n.event, '$.outcome') IN (${MISSED_CALL_OUTCOMES.map((outcome) => `'${outcome}'`).join(', ')}))`;

/** What the conversation row keeps of its newest call: the event's fields the list words it from. */
export const lastCallSchema = callEndedEventSchema.pick({
  seq: true,
  sentAt: true,
  senderId: true,
  callId: true,
  media: true,
  outcome: true,
  durationMs: true,
});
type LastCall = z.infer<typeof lastCallSchema>;

function lastCallOf(event: CallEndedEvent): LastCall {
  const { seq, sentAt, senderId, callId, media, outcome, durationMs } = event;
  return { seq, sentAt, senderId, callId, media, outcome, durationMs };
}

/**
 * The newest call as the list shows it, read back from the row and checked against its schema;
 * null when there is none, or the newest message came after it. A row that does not parse fails
 * loudly, as every read-back does.
 */
export function lastCallView(
  json: string | null,
  lastMessageAt: number | null,
  selfId: string,
): (CallEntryView & { at: number }) | null {
  if (json === null) return null;
  const parsed = lastCallSchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`A conversation's newest call is malformed: ${z.prettifyError(parsed.error)}`);
  const call = parsed.data;
  if (lastMessageAt !== null && lastMessageAt > call.sentAt) return null;
  return {
    callId: call.callId,
    media: call.media,
    outcome: call.outcome,
    durationMs: call.durationMs,
    outgoing: call.senderId === selfId,
    at: call.sentAt,
  };
}

/** The newest call entry among events applied with seq in (before, after] that `counts`; null when none. */
export function newestCallEntry(
  events: readonly AppliedEvent[],
  before: number,
  after: number,
  counts: (entry: CallEndedEvent) => boolean,
): CallEndedEvent | null {
  let newest: CallEndedEvent | null = null;
  for (const event of events) {
    if (event.kind !== 'call_ended' || !counts(event) || event.seq <= before || event.seq > after) continue;
    if (newest === null || event.seq > newest.seq) newest = event;
  }
  return newest;
}

/** Whether the entry says someone else started a group call (the host notifies of it as of a message). */
export function startedByOther(entry: Pick<CallEndedEvent, 'senderId' | 'outcome'>, selfId: string): boolean {
  return entry.senderId !== selfId && entry.outcome === 'group_started';
}
