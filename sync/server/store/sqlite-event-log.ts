import type {
  ChangeEvent,
  ConversationEvent,
  ConversationKind,
  ForwardedFrom,
  MessageEvent,
  Role,
} from '../../protocol/frames.js';
import { refuseChange, type ChangeActor, type ChangeTarget } from '../../protocol/rules.js';
import type { RefusalReason } from '../../protocol/refusal-reasons.js';
import type { AppendResult, ChangeResult, NewChange, NewMessage, Refused } from './server-store.js';
import { toEvent, toEventRow, type EventRow } from './sqlite-rows.js';
import { blockedPeerIn } from './sqlite-settings.js';
import type { Statements } from './sqlite-statements.js';
import { attachmentsUploadedBy, attachmentsVisibleTo, referUploadsIn } from './sqlite-uploads.js';

/**
 * Appending to a conversation's event log. Each function must run inside one write transaction
 * (the store wraps them): every check, the sequence number, the insert and the purge of a delete
 * commit together or not at all.
 */

export function appendMessageIn(s: Statements, input: NewMessage): AppendResult {
  const { conversationId, senderId, clientMessageId } = input;
  const answered = resendOrStranger(s, conversationId, senderId, clientMessageId, (event) => event.kind === 'message');
  if (answered) return answered;
  // Not from this sender (that was the resend above), so another member already owns the id.
  if (s.messageById.get(conversationId, clientMessageId)) return refused('message_id_taken');
  // A reply names a message the sender can see: one from before they joined is not there for them.
  if (input.replyTo !== null && !visibleTo(s, conversationId, input.replyTo, senderId)) return refused('reply_target_missing');
  const forward = input.forwardOf ? forwardSource(s, senderId, input.forwardOf) : null;
  if (forward?.status === 'refused') return forward;
  const attachments = input.attachments ?? [];
  // A forward refers to files by reference: the sender's own, or ones they may download now.
  const allowed = forward ? attachmentsVisibleTo(s, senderId, attachments) : attachmentsUploadedBy(s, senderId, attachments);
  if (!allowed) return refused('attachment_missing');
  const event: MessageEvent = {
    kind: 'message',
    conversationId,
    seq: nextSeq(s, conversationId),
    senderId,
    clientMessageId,
    text: input.text,
    replyTo: input.replyTo,
    deleted: false,
    attachments,
    ...(forward ? { forwardedFrom: forward.forwardedFrom } : {}),
    ...(input.linkPreview ? { linkPreview: input.linkPreview } : {}),
    sentAt: input.sentAt,
  };
  // A block between the two people of a direct conversation: stored for the sender only.
  const hiddenFrom = blockedPeerIn(s, conversationId, senderId);
  s.insertEvent.run({ ...toEventRow(event), hidden_from: hiddenFrom });
  referUploadsIn(s, conversationId, event.seq, attachments);
  return { status: 'stored', event, memberIds: recipients(s, conversationId, hiddenFrom) };
}

export function appendChangeIn(s: Statements, input: NewChange): ChangeResult {
  const { conversationId, senderId, clientChangeId, change } = input;
  const answered = resendOrStranger(
    s,
    conversationId,
    senderId,
    clientChangeId,
    (event): event is ChangeEvent => event.kind === change.kind,
  );
  if (answered) return answered;
  const target = loadTarget(s, conversationId, change.messageId, senderId);
  const reason = refuseChange(change, actorIn(s, conversationId, senderId), target);
  if (reason) return refused(reason);

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
    case 'pin':
      // The pin event is the state: the latest one of a message says whether it is pinned.
      event = { kind: 'pin', ...base, messageId: change.messageId, on: change.on };
      break;
  }
  // Stored for the sender only while a block stands between the pair, and so is any change to a
  // message hidden from someone: they never had the message, so they never get what changes it.
  const hiddenFrom = blockedPeerIn(s, conversationId, senderId) ?? target?.hiddenFrom ?? null;
  s.insertEvent.run({ ...toEventRow(event), hidden_from: hiddenFrom });
  // An edit's text is the message's text: members who joined after the message do not get it.
  const withheldFrom =
    event.kind === 'edit'
      ? (s.joinedAfter.all(conversationId, messageSeq(s, conversationId, event.messageId)) as { user_id: string }[])
          .map((row) => row.user_id)
          .filter((id) => id !== hiddenFrom)
      : [];
  return { status: 'stored', event, memberIds: recipients(s, conversationId, hiddenFrom), withheldFrom };
}

/** Who makes a change, as the rules judge it: their role now and the kind of conversation. */
function actorIn(s: Statements, conversationId: string, senderId: string): ChangeActor {
  // resendOrStranger has made sure they are a member.
  const { role } = s.membership.get(conversationId, senderId) as { role: Role };
  const { kind } = s.conversationById.get(conversationId) as { kind: ConversationKind };
  return { id: senderId, role, conversationKind: kind };
}

/** Who hears of a new event: the members, but never the one it is hidden from. */
function recipients(s: Statements, conversationId: string, hiddenFrom: string | null): string[] {
  const ids = memberIds(s, conversationId);
  return hiddenFrom === null ? ids : ids.filter((id) => id !== hiddenFrom);
}

export function refused(reason: RefusalReason): Refused {
  return { status: 'refused', reason };
}

/**
 * The checks every append makes first, in this order. Idempotency: a client id this sender used
 * before is answered with what was stored, whatever happened since (even if they were removed
 * since: it was stored while they were a member), or refused when it was used for something else
 * (`isSame` tells). Then membership: a stranger is answered as if the conversation did not exist.
 * null when the append may go on.
 */
export function resendOrStranger<T extends ConversationEvent>(
  s: Statements,
  conversationId: string,
  senderId: string,
  clientId: string,
  isSame: (event: ConversationEvent) => event is T,
): { status: 'duplicate'; event: T } | Refused | null {
  const earlier = s.eventByClientId.get(senderId, clientId) as EventRow | undefined;
  const member = s.membership.get(conversationId, senderId) !== undefined;
  if (earlier) {
    const event = toEvent(earlier);
    if (event.conversationId === conversationId && isSame(event)) return { status: 'duplicate', event };
    return refused(member || event.conversationId === conversationId ? 'client_id_reused' : 'conversation_not_found');
  }
  return member ? null : refused('conversation_not_found');
}

/** The seq of a message of the conversation (0 when there is none: nothing is withheld). */
export function messageSeq(s: Statements, conversationId: string, messageId: string): number {
  return (s.messageById.get(conversationId, messageId) as { seq: number } | undefined)?.seq ?? 0;
}

/**
 * An event as `periods` may see it: the text of an edit to a message from outside them is
 * withheld (the edit stays, so no sequence number goes missing; its text is '').
 */
export function asSeenIn(
  s: Statements,
  event: ConversationEvent,
  periods: readonly { from_seq: number; to_seq: number | null }[],
): ConversationEvent {
  if (event.kind !== 'edit') return event;
  const seq = messageSeq(s, event.conversationId, event.messageId);
  const visible = periods.some((period) => seq >= period.from_seq && (period.to_seq === null || seq <= period.to_seq));
  return visible ? event : { ...event, text: '' };
}

/**
 * Whether the message exists, lies within one of `userId`'s visibility periods and is not hidden
 * from them (stored while a block stood): nobody replies to, forwards or changes what they never got.
 */
function visibleTo(s: Statements, conversationId: string, messageId: string, userId: string): boolean {
  const row = s.messageById.get(conversationId, messageId) as { seq: number; hidden_from: string | null } | undefined;
  if (!row || row.hidden_from === userId) return false;
  const seq = row.seq;
  const periods = s.periodsOf.all(conversationId, userId) as { from_seq: number; to_seq: number | null }[];
  return periods.some((period) => seq >= period.from_seq && (period.to_seq === null || seq <= period.to_seq));
}

/**
 * The message a forward copies, as its sender may see it now: a member of its conversation, the
 * message within one of their visibility periods (like the download rule), and not deleted. A
 * forward of a forward names the first author.
 */
function forwardSource(
  s: Statements,
  senderId: string,
  source: { conversationId: string; messageId: string },
): { status: 'found'; forwardedFrom: ForwardedFrom } | Refused {
  const { conversationId, messageId } = source;
  // A former member keeps what they have, like downloads, but can no longer pass it on from here.
  if (s.membership.get(conversationId, senderId) === undefined) return refused('forwarded_message_missing');
  if (!visibleTo(s, conversationId, messageId, senderId)) return refused('forwarded_message_missing');
  const row = s.messageRowById.get(conversationId, messageId) as EventRow | undefined;
  if (!row) return refused('forwarded_message_missing');
  const original = toEvent(row);
  if (original.kind !== 'message') return refused('forwarded_message_missing');
  if (original.deleted) return refused('message_deleted');
  if (original.forwardedFrom) return { status: 'found', forwardedFrom: original.forwardedFrom };
  const author = s.userById.get(original.senderId) as { display_name: string } | undefined;
  if (!author) return refused('forwarded_message_missing');
  return { status: 'found', forwardedFrom: { name: author.display_name } };
}

/** The message a change targets, as its sender may see it: one from before they joined is no message of theirs. */
function loadTarget(
  s: Statements,
  conversationId: string,
  messageId: string,
  senderId: string,
): (ChangeTarget & { hiddenFrom: string | null }) | null {
  const row = s.messageById.get(conversationId, messageId) as
    { sender_id: string; deleted: number; hidden_from: string | null } | undefined;
  if (!row || !visibleTo(s, conversationId, messageId, senderId)) return null;
  const emojis = s.emojisOf.all(conversationId, messageId, senderId) as { emoji: string }[];
  return {
    authorId: row.sender_id,
    deleted: row.deleted === 1,
    senderEmojis: new Set(emojis.map((r) => r.emoji)),
    hiddenFrom: row.hidden_from,
  };
}

/**
 * Delete for everyone: the message's text and every edit's text become '', its attachments and
 * reactions are dropped, so catch-up never serves them again, and it no longer refers to its
 * uploads, so nobody can download them through it and garbage collection takes them. The rows
 * stay, so no sequence number disappears.
 */
function purge(s: Statements, conversationId: string, messageId: string): void {
  s.dropRefsOfMessage.run(conversationId, messageSeq(s, conversationId, messageId));
  s.purgeMessage.run(conversationId, messageId);
  s.purgeEdits.run(conversationId, messageId);
  s.dropReactions.run(conversationId, messageId);
}

/**
 * The counter moves in the same transaction as the insert: a failed insert rolls it back, so a
 * number is never skipped and never handed out twice.
 */
export function nextSeq(s: Statements, conversationId: string): number {
  return (s.nextSeq.get(conversationId) as { last_seq: number }).last_seq;
}

export function memberIds(s: Statements, conversationId: string): string[] {
  return (s.memberIdsOf.all(conversationId) as { user_id: string }[]).map((row) => row.user_id);
}
