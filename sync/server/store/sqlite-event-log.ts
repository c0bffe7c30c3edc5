import type { ConversationEvent, ConversationKind, Role } from '../../protocol/frames.js';
import { countsAsWriting } from '../../protocol/presence-rules.js';
import {
  judgeChange,
  judgeMessage,
  newChangeEvent,
  newMessageEvent,
  type AppendFacts,
  type ChangeFacts,
  type ForwardSourceFacts,
  type MessageFacts,
} from './append-rules.js';
import { asSeenBy, type HiddenFacts, type Period } from './event-visibility.js';
import type { AppendResult, ChangeResult, NewChange, NewMessage, StoredUpload } from './server-store.js';
import { toEvent, toEventRow, type EventRow } from './sqlite-rows.js';
import { blockedPeerIn } from './sqlite-settings.js';
import type { Statements } from './sqlite-statements.js';
import { findDownloadableIn, getUploadIn, referUploadsIn } from './sqlite-uploads.js';

/**
 * Appending to a conversation's event log. Each function must run inside one write transaction
 * (the store wraps them): the facts the rules judge (append-rules.ts), the sequence number, the
 * insert and the purge of a delete commit together or not at all.
 */

export function appendMessageIn(s: Statements, input: NewMessage): AppendResult {
  const { conversationId, senderId } = input;
  const verdict = judgeMessage(input, messageFactsIn(s, input));
  if (verdict.status !== 'accepted') return verdict;
  const event = newMessageEvent(input, nextSeq(s, conversationId), verdict.forwardedFrom);
  const hidden = hiddenByBlocksIn(s, conversationId, senderId);
  insertHidden(s, event, hidden);
  referUploadsIn(
    s,
    conversationId,
    event.seq,
    event.attachments.map((attachment) => attachment.id),
  );
  const firstMessage =
    countsAsWriting(event.kind) && s.markWrote.run({ conversationId, userId: senderId, seq: event.seq }).changes === 1;
  return { status: 'stored', event, memberIds: recipients(s, conversationId, hidden), firstMessage };
}

export function appendChangeIn(s: Statements, input: NewChange): ChangeResult {
  const { conversationId, senderId, change } = input;
  const verdict = judgeChange(input, changeFactsIn(s, input));
  if (verdict.status !== 'accepted') return verdict;
  const event = newChangeEvent(input, nextSeq(s, conversationId));
  if (change.kind === 'delete') purge(s, conversationId, change.messageId);
  if (change.kind === 'reaction') {
    const key = { conversationId, messageId: change.messageId, userId: senderId, emoji: change.emoji };
    if (change.on) s.addReaction.run(key);
    else s.removeReaction.run(key);
  }
  // Hidden by blocks like a message, and so is any change to a message hidden from someone: they
  // never had the message, so they never get what changes it.
  const byBlocks = hiddenByBlocksIn(s, conversationId, senderId);
  const hiddenWithTarget = s.hiddenMembersOf.all(conversationId, verdict.target.seq) as string[];
  const hidden: Hidden = {
    hiddenFrom: byBlocks.hiddenFrom ?? verdict.target.hiddenFrom,
    hiddenMembers: [...new Set([...byBlocks.hiddenMembers, ...hiddenWithTarget])],
  };
  insertHidden(s, event, hidden);
  // An edit's text is the message's text: members who joined after the message do not get it.
  const withheldFrom =
    event.kind === 'edit'
      ? (s.joinedAfter.all(conversationId, verdict.target.seq) as { user_id: string }[])
          .map((row) => row.user_id)
          .filter((id) => !isHiddenFrom(hidden, id))
      : [];
  return { status: 'stored', event, memberIds: recipients(s, conversationId, hidden), withheldFrom };
}

/**
 * Who an event is hidden from for good: the other person of a direct conversation (events.hidden_from),
 * or members of a group (hidden_events).
 */
export interface Hidden {
  hiddenFrom: string | null;
  hiddenMembers: string[];
}

/**
 * Who what `senderId` stores now is hidden from by blocks: in a direct conversation, the other
 * person when a block stands between them; in a group, the members who have blocked the sender.
 */
export function hiddenByBlocksIn(s: Statements, conversationId: string, senderId: string): Hidden {
  const hiddenFrom = blockedPeerIn(s, conversationId, senderId);
  const hiddenMembers = hiddenFrom === null ? (s.groupBlockers.all({ conversationId, userId: senderId }) as string[]) : [];
  return { hiddenFrom, hiddenMembers };
}

/** Stores the event, with who it is hidden from. */
export function insertHidden(s: Statements, event: ConversationEvent, hidden: Hidden): void {
  s.insertEvent.run({ ...toEventRow(event), hidden_from: hidden.hiddenFrom });
  for (const userId of hidden.hiddenMembers) s.hideEvent.run(event.conversationId, event.seq, userId);
}

function isHiddenFrom(hidden: Hidden, userId: string): boolean {
  return hidden.hiddenFrom === userId || hidden.hiddenMembers.includes(userId);
}

/** Who hears of a new event: the members, but never those it is hidden from. */
export function recipients(s: Statements, conversationId: string, hidden: Hidden): string[] {
  return memberIds(s, conversationId).filter((id) => !isHiddenFrom(hidden, id));
}

/** The sender's earlier use of the client id and their membership: what every append is judged on first. */
export function appendFactsIn(s: Statements, conversationId: string, senderId: string, clientId: string): AppendFacts {
  const earlier = s.eventByClientId.get(senderId, clientId) as EventRow | undefined;
  return { earlier: earlier ? toEvent(earlier) : null, isMember: s.membership.get(conversationId, senderId) !== undefined };
}

function messageFactsIn(s: Statements, input: NewMessage): MessageFacts {
  const { conversationId, senderId } = input;
  const uploads = new Map<string, StoredUpload>();
  const downloadable = new Set<string>();
  for (const { id } of input.attachments ?? []) {
    const upload = getUploadIn(s, id);
    if (upload) uploads.set(id, upload);
    // A forward refers to files by reference: the sender's own, or ones they may download now.
    if (input.forwardOf && findDownloadableIn(s, senderId, id)) downloadable.add(id);
  }
  return {
    ...appendFactsIn(s, conversationId, senderId, input.clientMessageId),
    messageIdTaken: s.messageById.get(conversationId, input.clientMessageId) !== undefined,
    replyTarget: input.replyTo === null ? null : messageIn(s, conversationId, input.replyTo, senderId),
    senderPeriods: periodsIn(s, conversationId, senderId),
    forwardSource: input.forwardOf ? forwardSourceIn(s, senderId, input.forwardOf) : null,
    uploads,
    downloadable,
  };
}

function forwardSourceIn(
  s: Statements,
  senderId: string,
  source: { conversationId: string; messageId: string },
): ForwardSourceFacts {
  const { conversationId, messageId } = source;
  const row = s.messageRowById.get(conversationId, messageId) as EventRow | undefined;
  const original = row ? toEvent(row) : null;
  const author = original ? (s.userById.get(original.senderId) as { display_name: string } | undefined) : undefined;
  return {
    isMember: s.membership.get(conversationId, senderId) !== undefined,
    message: messageIn(s, conversationId, messageId, senderId),
    senderPeriods: periodsIn(s, conversationId, senderId),
    original,
    authorName: author?.display_name ?? null,
  };
}

function changeFactsIn(s: Statements, input: NewChange): ChangeFacts {
  const { conversationId, senderId, change } = input;
  const membership = s.membership.get(conversationId, senderId) as { role: Role } | undefined;
  const conversation = s.conversationById.get(conversationId) as { kind: ConversationKind } | undefined;
  const emojis = s.emojisOf.all(conversationId, change.messageId, senderId) as { emoji: string }[];
  const target = s.messageById.get(conversationId, change.messageId) as
    { seq: number; sender_id: string; deleted: number; hidden_from: string | null } | undefined;
  return {
    ...appendFactsIn(s, conversationId, senderId, input.clientChangeId),
    actor: membership && conversation ? { id: senderId, role: membership.role, conversationKind: conversation.kind } : null,
    target: target
      ? { ...target, deleted: target.deleted === 1, hidden_here: hiddenHere(s, conversationId, target.seq, senderId) }
      : null,
    senderPeriods: periodsIn(s, conversationId, senderId),
    senderEmojis: new Set(emojis.map((row) => row.emoji)),
  };
}

/** The message as `viewerId` may see it (HiddenFacts); null when there is none. */
function messageIn(s: Statements, conversationId: string, messageId: string, viewerId: string): HiddenFacts | null {
  const row = s.messageById.get(conversationId, messageId) as { seq: number; hidden_from: string | null } | undefined;
  return row
    ? { seq: row.seq, hidden_from: row.hidden_from, hidden_here: hiddenHere(s, conversationId, row.seq, viewerId) }
    : null;
}

/** Whether event `seq` of a group is hidden from `userId` (hidden_events). */
function hiddenHere(s: Statements, conversationId: string, seq: number, userId: string): boolean {
  return s.hiddenHere.get(conversationId, seq, userId) !== undefined;
}

export function periodsIn(s: Statements, conversationId: string, userId: string): Period[] {
  return s.periodsOf.all(conversationId, userId) as Period[];
}

/** The seq of a message of the conversation (0 when there is none: nothing is withheld). */
function messageSeq(s: Statements, conversationId: string, messageId: string): number {
  return (s.messageById.get(conversationId, messageId) as { seq: number } | undefined)?.seq ?? 0;
}

/**
 * A page's events of one conversation as `periods` may see them (event-visibility.ts: asSeenBy).
 * The messages its edits change are looked up in one statement for the page: one lookup per edit
 * was a twentieth of the server's CPU in a catch-up with one edit in ten events.
 */
export function pageAsSeenIn(
  s: Statements,
  conversationId: string,
  events: ConversationEvent[],
  periods: readonly Period[],
): ConversationEvent[] {
  const edited = new Set<string>();
  for (const event of events) if (event.kind === 'edit') edited.add(event.messageId);
  if (edited.size === 0) return events;
  const rows = s.messageSeqsIn.all(conversationId, JSON.stringify([...edited])) as { message_id: string; seq: number }[];
  const seqOf = new Map(rows.map((row) => [row.message_id, row.seq]));
  // 0 when there is no such message, as messageSeq says.
  return events.map((event) => (event.kind === 'edit' ? asSeenBy(event, seqOf.get(event.messageId) ?? 0, periods) : event));
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
