import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import type { ConversationEvent, Role } from '../../protocol/frames.js';
import type { RefusalReason } from '../../protocol/refusal-reasons.js';
import { servedTo, type HiddenFacts, type Period } from './event-visibility.js';
import type { NewEnvelope, Refused, StoredUpload } from './server-store.js';

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
 * A new envelope's checks, in the order they answer: resend or stranger, the
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
    if (!target || !servedTo(target, facts.senderPeriods, input.senderId)) return refused('no_such_message');
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
    ...(input.expiresInMs !== null ? { expiresInMs: input.expiresInMs } : {}),
  };
}
