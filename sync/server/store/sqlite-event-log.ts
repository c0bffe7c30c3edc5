import type { ChangeEvent, MessageEvent } from '../../protocol/frames.js';
import { refuseChange, type ChangeTarget } from './change-rules.js';
import type { AppendResult, ChangeResult, NewChange, NewMessage } from './server-store.js';
import { toEvent, toEventRow, type EventRow } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

/**
 * Appending to a conversation's event log. Each function must run inside one write transaction
 * (the store wraps them): every check, the sequence number, the insert and the purge of a delete
 * commit together or not at all.
 */

export function appendMessageIn(s: Statements, input: NewMessage): AppendResult {
  const { conversationId, senderId, clientMessageId } = input;
  if (!s.membership.get(conversationId, senderId)) return { status: 'not_found' };
  // Idempotency comes first: a resend is answered with what was stored, whatever happened since.
  const earlier = s.eventByClientId.get(senderId, clientMessageId) as EventRow | undefined;
  if (earlier) {
    const event = toEvent(earlier);
    return event.kind === 'message' && event.conversationId === conversationId
      ? { status: 'duplicate', event }
      : { status: 'client_id_reused' };
  }
  // Not from this sender (that was the resend above), so another member already owns the id.
  if (s.messageById.get(conversationId, clientMessageId)) return { status: 'message_id_taken' };
  if (input.replyTo !== null && !s.messageById.get(conversationId, input.replyTo)) {
    return { status: 'reply_target_missing' };
  }
  const event: MessageEvent = {
    kind: 'message',
    conversationId,
    seq: nextSeq(s, conversationId),
    senderId,
    clientMessageId,
    text: input.text,
    replyTo: input.replyTo,
    deleted: false,
    sentAt: input.sentAt,
  };
  s.insertEvent.run(toEventRow(event));
  return { status: 'stored', event, memberIds: memberIds(s, conversationId) };
}

export function appendChangeIn(s: Statements, input: NewChange): ChangeResult {
  const { conversationId, senderId, clientChangeId, change } = input;
  if (!s.membership.get(conversationId, senderId)) return { status: 'not_found' };
  const earlier = s.eventByClientId.get(senderId, clientChangeId) as EventRow | undefined;
  if (earlier) {
    const event = toEvent(earlier);
    return event.kind === change.kind && event.conversationId === conversationId
      ? { status: 'duplicate', event }
      : { status: 'client_id_reused' };
  }
  const reason = refuseChange(change, senderId, loadTarget(s, conversationId, change.messageId, senderId));
  if (reason) return { status: 'refused', reason };

  const base = { conversationId, seq: nextSeq(s, conversationId), senderId, sentAt: input.sentAt, clientChangeId };
  let event: ChangeEvent;
  switch (change.kind) {
    case 'edit':
      // The edit event is the state: the current text is the latest edit's.
      event = { kind: 'edit', ...base, messageId: change.messageId, text: change.text };
      break;
    case 'delete':
      event = { kind: 'delete', ...base, messageId: change.messageId };
      purge(s, conversationId, change.messageId);
      break;
    case 'reaction': {
      event = { kind: 'reaction', ...base, messageId: change.messageId, emoji: change.emoji, on: change.on };
      const key = { conversationId, messageId: change.messageId, userId: senderId, emoji: change.emoji };
      if (change.on) s.addReaction.run(key);
      else s.removeReaction.run(key);
      break;
    }
  }
  s.insertEvent.run(toEventRow(event));
  return { status: 'stored', event, memberIds: memberIds(s, conversationId) };
}

function loadTarget(s: Statements, conversationId: string, messageId: string, senderId: string): ChangeTarget | null {
  const row = s.messageById.get(conversationId, messageId) as { sender_id: string; deleted: number } | undefined;
  if (!row) return null;
  const emojis = s.emojisOf.all(conversationId, messageId, senderId) as { emoji: string }[];
  return { authorId: row.sender_id, deleted: row.deleted === 1, senderEmojis: new Set(emojis.map((r) => r.emoji)) };
}

/**
 * Delete for everyone: the message's text and every edit's text become '' and its reactions are
 * dropped, so catch-up never serves them again. The rows stay, so no sequence number disappears.
 */
function purge(s: Statements, conversationId: string, messageId: string): void {
  s.purgeMessage.run(conversationId, messageId);
  s.purgeEdits.run(conversationId, messageId);
  s.dropReactions.run(conversationId, messageId);
}

/**
 * The counter moves in the same transaction as the insert: a failed insert rolls it back, so a
 * number is never skipped and never handed out twice.
 */
function nextSeq(s: Statements, conversationId: string): number {
  return (s.nextSeq.get(conversationId) as { last_seq: number }).last_seq;
}

export function memberIds(s: Statements, conversationId: string): string[] {
  return (s.memberIdsOf.all(conversationId) as { user_id: string }[]).map((row) => row.user_id);
}
