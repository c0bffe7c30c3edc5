/**
 * A call's entry in the conversation (issue 32), as every layer names it: the caller's device
 * writes one per call when it ends (content/content.ts: `call`), with the outcome it saw; each
 * device words it from its own side. Pure, so the mirror (which counts a missed call as unread)
 * and the renderer (which words it) judge "missed" alike.
 */
import { z } from 'zod';
import type { CallEndReason } from './call-machine.js';

/**
 * What an entry may say: the ends a caller can see, or, in a group, that a group call began
 * ('group_started', written by the device that started it, when it starts: a group call has no one
 * end every device sees).
 */
export const CALL_OUTCOMES = [
  'completed',
  'cancelled',
  'declined',
  'no_answer',
  'busy',
  'failed',
  'connection_lost',
  'group_started',
] as const;
export const callOutcomeSchema = z.enum(CALL_OUTCOMES);
export type CallOutcome = z.infer<typeof callOutcomeSchema>;

/** The longest a call's recorded duration may be (a week: anything longer is a broken clock). */
export const MAX_CALL_DURATION_MS = 7 * 24 * 3_600_000;

/** The outcome a caller's entry records for how its one-to-one call ended; null for an end only a callee sees. */
export function callOutcomeOf(reason: CallEndReason): CallOutcome | null {
  switch (reason) {
    case 'completed':
    case 'cancelled':
    case 'declined':
    case 'no_answer':
    case 'busy':
    case 'failed':
    case 'connection_lost':
      return reason;
    case 'answered_elsewhere':
    case 'declined_elsewhere':
    case 'missed':
      return null;
  }
}

/**
 * Whether the callee missed the call: it rang and nobody answered (the caller gave up, the ringing
 * ran out, or the callee was in another call). An answered call that failed is not missed.
 */
export function isMissedCall(outcome: CallOutcome): boolean {
  switch (outcome) {
    case 'cancelled':
    case 'no_answer':
    case 'busy':
      return true;
    case 'completed':
    case 'declined':
    case 'failed':
    case 'connection_lost':
    case 'group_started':
      return false;
  }
}

/** The outcomes missed for the callee, for SQL (the unread count): derived from isMissedCall. */
export const MISSED_CALL_OUTCOMES: readonly CallOutcome[] = CALL_OUTCOMES.filter(isMissedCall);
