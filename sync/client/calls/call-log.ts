/**
 * A call's entry in the conversation's log (issue 32): when a call ends, the caller's device queues
 * one, sealed like everything said there, under a client id made from the call's, so however often
 * it is queued or sent the log has it once. The callee's devices write nothing: every device of
 * both people, including ones offline during the call, reads the caller's entry through the normal
 * sync and words it from its own side. A group call's entry is written when it starts, by the
 * device that started it.
 */
import type { CallEntry, CallMedia } from '../../common/call-machine.js';
import { callOutcomeOf, MAX_CALL_DURATION_MS } from '../../common/call-entry.js';
import type { CallContent } from '../../content/content.js';
import type { Logger } from '../../common/logger.js';
import type { Mirror } from '../mirror/mirror.js';

/** The entry a call that ended here leaves in the log; null where this device did not make the call. */
export function callContentOf(entry: CallEntry): CallContent | null {
  if (entry.direction !== 'outgoing') return null;
  const outcome = callOutcomeOf(entry.reason);
  if (outcome === null) return null;
  // Whole milliseconds within the schema's bound, whatever the clock gave.
  const durationMs = entry.durationMs === null ? null : Math.min(MAX_CALL_DURATION_MS, Math.max(0, Math.round(entry.durationMs)));
  return { kind: 'call', callId: entry.callId, media: entry.media, outcome, durationMs };
}

/** Queues the entry of a call this device made; returns whether it queued one (so the outbox may go). */
export function queueCallEntry(mirror: Mirror, log: Logger, conversationId: string, entry: CallEntry): boolean {
  const content = callContentOf(entry);
  log.info('a call ended', { conversationId, ...entry, logged: content !== null });
  return content !== null && queued(mirror, conversationId, content);
}

/** Queues the entry of a group call this device started; returns whether it queued one. */
export function queueGroupCallEntry(
  mirror: Mirror,
  log: Logger,
  conversationId: string,
  callId: string,
  media: CallMedia,
): boolean {
  log.info('a group call started', { conversationId, callId, media });
  return queued(mirror, conversationId, { kind: 'call', callId, media, outcome: 'group_started', durationMs: null });
}

function queued(mirror: Mirror, conversationId: string, content: CallContent): boolean {
  if (!mirror.isOpen || !mirror.hasConversation(conversationId)) return false;
  mirror.transaction(() => mirror.outbox.enqueueCall(conversationId, content));
  return true;
}
