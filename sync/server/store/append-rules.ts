import type { Attachment } from '../../protocol/attachments.js';
import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import type { ChangeEvent, ConversationEvent, ForwardedFrom, MessageEvent, Role } from '../../protocol/frames.js';
import { refuseChange, type ChangeActor, type ChangeTarget } from '../../protocol/rules.js';
import type { RefusalReason } from '../../protocol/refusal-reasons.js';
import { messageVisibleTo, type HiddenFacts, type Period } from './event-visibility.js';
import type { NewChange, NewEnvelope, NewMessage, Refused, StoredUpload } from './server-store.js';

/**
 * What an append to a conversation's log may store, for every store. The store gathers the facts
 * inside the transaction that would store the event (after it holds the conversation), asks here,
 * and stores what is accepted; nothing here reads or writes.
 */

export function refused(reason: RefusalReason): Refused {
  return { status: 'refused', reason };
}

/** What every append checks first: the sender's earlier use of the client id, and whether they are a member. */
export interface AppendFacts {
  /** The event this sender stored under the client id, in whichever conversation; null when none. */
  earlier: ConversationEvent | null;
  isMember: boolean;
}

/**
 * The checks every append makes first, in this order. Idempotency: a client id this sender used
 * before is answered with what was stored, whatever happened since (even if they were removed
 * since: it was stored while they were a member), or refused when it was used for something else
 * (`isSame` tells). Then membership: a stranger is answered as if the conversation did not exist.
 * null when the append may go on.
 */
export function answerResend<T extends ConversationEvent>(
  facts: AppendFacts,
  conversationId: string,
  isSame: (event: ConversationEvent) => event is T,
): { status: 'duplicate'; event: T } | Refused | null {
  const { earlier, isMember } = facts;
  if (earlier) {
    if (earlier.conversationId === conversationId && isSame(earlier)) return { status: 'duplicate', event: earlier };
    return refused(isMember || earlier.conversationId === conversationId ? 'client_id_reused' : 'conversation_not_found');
  }
  return isMember ? null : refused('conversation_not_found');
}

export interface MessageFacts extends AppendFacts {
  /** Whether the conversation already holds a message under the new one's id. */
  messageIdTaken: boolean;
  /** The message it replies to (null: none), and the sender's periods there. */
  replyTarget: HiddenFacts | null;
  senderPeriods: readonly Period[];
  /** For a forward, its source as the sender may see it now; null when it is no forward. */
  forwardSource: ForwardSourceFacts | null;
  /** The uploads the attachments name, by id (those that exist). */
  uploads: ReadonlyMap<string, StoredUpload>;
  /** Which of them the sender may download (gathered for a forward only). */
  downloadable: ReadonlySet<string>;
}

export interface ForwardSourceFacts {
  /** Whether the sender is a member of the source's conversation now. */
  isMember: boolean;
  /** The source message (null: none), its visibility as for a reply, and its author's display name. */
  message: HiddenFacts | null;
  senderPeriods: readonly Period[];
  original: ConversationEvent | null;
  authorName: string | null;
}

export type MessageVerdict =
  { status: 'duplicate'; event: MessageEvent } | Refused | { status: 'accepted'; forwardedFrom: ForwardedFrom | null };

/**
 * A new message's checks, in the order they answer: resend or stranger, a messageId another
 * member took, a reply to a message the sender cannot see, the forward's source, the attachments.
 */
export function judgeMessage(input: NewMessage, facts: MessageFacts): MessageVerdict {
  const answered = answerResend(facts, input.conversationId, (event) => event.kind === 'message');
  if (answered) return answered;
  // Not from this sender (that was the resend above), so another member already owns the id.
  if (facts.messageIdTaken) return refused('message_id_taken');
  // A reply names a message the sender can see: one from before they joined is not there for them.
  if (input.replyTo !== null && !messageVisibleTo(facts.replyTarget, facts.senderPeriods, input.senderId)) {
    return refused('reply_target_missing');
  }
  const forward = facts.forwardSource ? forwardedFrom(facts.forwardSource, input.senderId) : null;
  if (forward?.status === 'refused') return forward;
  const attachments = input.attachments ?? [];
  if (!attachments.every((attachment) => mayAttach(attachment, facts, input.senderId, forward !== null))) {
    return refused('attachment_missing');
  }
  return { status: 'accepted', forwardedFrom: forward?.forwardedFrom ?? null };
}

/** The stored form of an accepted message. */
export function newMessageEvent(input: NewMessage, seq: number, forwardedFrom: ForwardedFrom | null): MessageEvent {
  return {
    kind: 'message',
    conversationId: input.conversationId,
    seq,
    senderId: input.senderId,
    clientMessageId: input.clientMessageId,
    text: input.text,
    replyTo: input.replyTo,
    deleted: false,
    attachments: input.attachments ?? [],
    ...(forwardedFrom ? { forwardedFrom } : {}),
    ...(input.linkPreview ? { linkPreview: input.linkPreview } : {}),
    sentAt: input.sentAt,
  };
}

/**
 * The message a forward copies, as its sender may see it now: a member of its conversation, the
 * message within one of their visibility periods (like the download rule), and not deleted. A
 * forward of a forward names the first author. A former member keeps what they have, like
 * downloads, but can no longer pass it on from there.
 */
function forwardedFrom(
  source: ForwardSourceFacts,
  senderId: string,
): { status: 'found'; forwardedFrom: ForwardedFrom } | Refused {
  if (!source.isMember || !messageVisibleTo(source.message, source.senderPeriods, senderId)) {
    return refused('forwarded_message_missing');
  }
  const { original } = source;
  if (original?.kind !== 'message') return refused('forwarded_message_missing');
  if (original.deleted) return refused('message_deleted');
  if (original.forwardedFrom) return { status: 'found', forwardedFrom: original.forwardedFrom };
  if (source.authorName === null) return refused('forwarded_message_missing');
  return { status: 'found', forwardedFrom: { name: source.authorName } };
}

/**
 * Whether a message may carry the attachment: a completed upload with the same SHA-256 and size,
 * the sender's own, or for a forward (which refers to files by reference) one they may download now.
 */
function mayAttach(attachment: Attachment, facts: MessageFacts, senderId: string, forward: boolean): boolean {
  const upload = facts.uploads.get(attachment.id);
  if (!upload || upload.completedAt === null || upload.sha256 !== attachment.sha256 || upload.size !== attachment.size) {
    return false;
  }
  return upload.ownerId === senderId || (forward && facts.downloadable.has(attachment.id));
}

export interface ChangeFacts extends AppendFacts {
  /** Who makes the change (null when not a member). */
  actor: ChangeActor | null;
  /** The message it targets (null: none), with the sender's periods there and their emojis on it. */
  target: (HiddenFacts & { sender_id: string; deleted: boolean }) | null;
  senderPeriods: readonly Period[];
  senderEmojis: ReadonlySet<string>;
}

export type ChangeVerdict =
  | { status: 'duplicate'; event: ChangeEvent }
  | Refused
  /** `target` is the message as the sender may see it; `hiddenFrom` whom it is hidden from. */
  | { status: 'accepted'; target: ChangeTarget & { seq: number; hiddenFrom: string | null } };

/**
 * An edit, delete, reaction or pin: resend or stranger first, then the rules (protocol/rules.ts)
 * against the message as the sender may see it: one from before they joined is no message of theirs.
 */
export function judgeChange(input: NewChange, facts: ChangeFacts): ChangeVerdict {
  const { change } = input;
  const answered = answerResend(facts, input.conversationId, (event): event is ChangeEvent => event.kind === change.kind);
  if (answered) return answered;
  const row = facts.target;
  const target =
    row && messageVisibleTo(row, facts.senderPeriods, input.senderId)
      ? {
          authorId: row.sender_id,
          deleted: row.deleted,
          senderEmojis: facts.senderEmojis,
          seq: row.seq,
          hiddenFrom: row.hidden_from,
        }
      : null;
  // answerResend has made sure they are a member, so there is an actor.
  const reason = refuseChange(change, facts.actor as ChangeActor, target);
  if (reason || !target) return refused(reason ?? 'no_such_message');
  return { status: 'accepted', target };
}

/** The stored form of an accepted change. */
export function newChangeEvent(input: NewChange, seq: number): ChangeEvent {
  const { change } = input;
  const ids = {
    conversationId: input.conversationId,
    seq,
    senderId: input.senderId,
    sentAt: input.sentAt,
    clientChangeId: input.clientChangeId,
    messageId: change.messageId,
  };
  switch (change.kind) {
    // The edit event is the state: the current text is the latest edit's.
    case 'edit':
      return { kind: 'edit', ...ids, text: change.text };
    case 'delete':
      return { kind: 'delete', ...ids };
    case 'reaction':
      return { kind: 'reaction', ...ids, emoji: change.emoji, on: change.on };
    // The pin event is the state: the latest one of a message says whether it is pinned.
    case 'pin':
      return { kind: 'pin', ...ids, on: change.on };
  }
}

export interface EnvelopeFacts extends AppendFacts {
  /** The uploads the envelope names, by id (those that exist). */
  uploads: ReadonlyMap<string, StoredUpload>;
  /** Which of them the sender may download now (through an event of a conversation they are in). */
  downloadable: ReadonlySet<string>;
  /**
   * For an envelope that deletes another: the envelope of the conversation under that client id,
   * the sender's own when they have one (null: none).
   */
  deleteTarget: (HiddenFacts & { sender_id: string; deleted: boolean }) | null;
  /** The sender's periods in the conversation: a target they were never served is none of theirs. */
  senderPeriods: readonly Period[];
  /** The conversation's devices version now (protocol/conversation-devices.ts). */
  devicesVersion: number;
  /** The sender's role in the conversation now; null when they are not a member. */
  senderRole: Role | null;
}

export type EnvelopeVerdict =
  | { status: 'duplicate'; event: EnvelopeEvent }
  | Refused
  /** Otherwise acceptable, but sealed for other devices than the members' now: the store reads them for the refusal. */
  | { status: 'devices_changed'; version: number }
  /** `deletesSeq`: the seq of the envelope it deletes, null when it deletes none; `senderRole`: as the envelope attests it. */
  | { status: 'accepted'; deletesSeq: number | null; senderRole: Role };

/**
 * A new envelope's checks, in the order they answer: resend or stranger (as a message), the
 * envelope it deletes (one the sender has, of their own, not deleted yet), then its uploads: each
 * a finished upload of the sender's, or one they may download already; last, the devices it was
 * sealed for (its devices version), so that only a frame otherwise stored is sealed again. What it
 * says is sealed: nothing else is the server's to judge.
 */
export function judgeEnvelope(input: NewEnvelope, facts: EnvelopeFacts): EnvelopeVerdict {
  const answered = answerResend(facts, input.conversationId, (event) => event.kind === 'envelope');
  if (answered) return answered;
  let deletesSeq: number | null = null;
  if (input.deletes !== null) {
    const target = facts.deleteTarget;
    if (!target || !messageVisibleTo(target, facts.senderPeriods, input.senderId)) return refused('no_such_message');
    if (target.sender_id !== input.senderId) return refused('not_author');
    if (target.deleted) return refused('already_deleted');
    deletesSeq = target.seq;
  }
  const mayRefer = (uploadId: string) => {
    const upload = facts.uploads.get(uploadId);
    if (!upload || upload.completedAt === null) return false;
    return upload.ownerId === input.senderId || facts.downloadable.has(uploadId);
  };
  if (!input.attachments.every(mayRefer)) return refused('attachment_missing');
  if (input.devicesVersion !== facts.devicesVersion) return { status: 'devices_changed', version: facts.devicesVersion };
  // A member, or answerResend refused it above.
  return { status: 'accepted', deletesSeq, senderRole: facts.senderRole ?? 'member' };
}

/** The stored form of an accepted envelope. */
export function newEnvelopeEvent(input: NewEnvelope, seq: number, senderRole: Role): EnvelopeEvent {
  return {
    kind: 'envelope',
    conversationId: input.conversationId,
    seq,
    senderId: input.senderId,
    senderDevice: input.senderDevice,
    clientId: input.clientId,
    ciphertext: input.ciphertext,
    attachments: input.attachments,
    deleted: false,
    sentAt: input.sentAt,
    senderRole,
  };
}
