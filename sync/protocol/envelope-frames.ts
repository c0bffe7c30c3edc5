/**
 * The conversation log's envelopes (end-to-end encryption, docs/e2ee-design.md): what members say
 * in a conversation, sealed on the sender's device under its sender key for that conversation
 * (a libsignal SenderKeyMessage), numbered by the server in the conversation's sequence like
 * every other event, and opened only by members' devices. The server keeps the order, exactly-once
 * by the sender's client id, membership and limits, and reads none of them: it knows no message,
 * edit, reaction or pin kinds (sync/content declares those, on the client).
 *
 * Three facts stay outside the seal because the server acts on them (and the server adds one it
 * attests, the sender's role, for the rules every device applies):
 * - `attachments`: the uploads the content refers to, by id. The server lets the conversation's
 *   members download them (and keeps them while referred to); each must be a finished upload of
 *   the sender's, or one the sender may download already (a forward, by reference).
 * - `deletes`: the client id of an earlier envelope of the same sender in the conversation that
 *   this one deletes for everyone: the server drops that envelope's ciphertext and attachment
 *   references (what it cannot read, it can still forget).
 * - `expiresInMs`: a disappearing message's timer (disappearing.ts): once every member but the
 *   sender has read it and the timer has run since, or at the latest the timer and
 *   DISAPPEARING_LIMITS.unreadGraceMs after it was stored, the server purges it as a delete does.
 */
import { z } from 'zod';
import { ATTACHMENT_LIMITS } from './attachments.js';
import { devicesVersion } from './conversation-devices.js';
import { disappearingTimerMs } from './disappearing.js';
import { roleSchema } from './roles.js';
import { base64, deviceNumber, id, rid } from './wire-types.js';

export const ENVELOPE_LIMITS = {
  /** A sealed envelope as base64: content is kept small enough on the client that one fits a frame with room to spare. */
  maxCiphertextChars: 56_000,
} as const;

const ciphertext = base64(ENVELOPE_LIMITS.maxCiphertextChars);
const attachmentIds = z.array(id).max(ATTACHMENT_LIMITS.maxPerMessage);

/**
 * An envelope for a conversation. Idempotent by (sender, clientId) as a send is: a frame sent again
 * answers the stored event. `after` pipelines it behind the sender's previous ordered frame in the
 * same conversation (see frames.ts). Answered by `sent` with the stored envelope event.
 *
 * `devicesVersion` is the conversation's devices version the sender sealed it for (its key handed
 * to those devices, conversation-devices.ts): when it is not the current one, or absent, nothing is
 * stored and the refusal (`conversation_devices_changed`) carries the current devices. A frame sent
 * again after it was stored answers the stored event whatever version it names.
 */
export const sendEnvelopeFrame = z.object({
  type: z.literal('send_envelope'),
  rid,
  conversationId: id,
  clientId: id,
  ciphertext,
  attachments: attachmentIds.optional(),
  deletes: id.optional(),
  after: id.optional(),
  devicesVersion: devicesVersion.optional(),
  expiresInMs: disappearingTimerMs.optional(),
});
export type SendEnvelopeFrame = z.infer<typeof sendEnvelopeFrame>;

/**
 * A sealed envelope in a conversation's log. The server attests who sent it and from which device;
 * once deleted for everyone (`deleted`), its ciphertext is '' and its attachments are gone.
 */
export const envelopeEventSchema = z.object({
  kind: z.literal('envelope'),
  conversationId: id,
  seq: z.number().int().min(1),
  senderId: id,
  senderDevice: deviceNumber,
  clientId: id,
  ciphertext: z.string().max(ENVELOPE_LIMITS.maxCiphertextChars),
  attachments: attachmentIds,
  deleted: z.boolean(),
  /** Server time at which the envelope was stored. */
  sentAt: z.number().int(),
  /**
   * The sender's role in the conversation when the server stored it (it checked their membership
   * then): what every receiving device's rules judge a rename or a pin by, however late it opens
   * there. Absent on envelopes stored before the server attested it.
   */
  senderRole: roleSchema.optional(),
  /**
   * The timer it was sent with, attested back (absent: none), so a device that catches up one the
   * server purged already (`deleted`) knows it disappeared, and shows nothing rather than a deletion.
   */
  expiresInMs: disappearingTimerMs.optional(),
});
export type EnvelopeEvent = z.infer<typeof envelopeEventSchema>;

/** What send_envelope carries of a seal: the sealed text, and the devices version it was sealed for. */
export interface SealedEnvelope {
  /** A SenderKeyMessage, as base64. */
  ciphertext: string;
  /**
   * send_envelope's `devicesVersion`: the conversation's devices version whose devices hold the key
   * it is sealed under. Null when the server never said which devices there are: then nothing was
   * handed out, the server refuses it with them, and it is sealed again.
   */
  devicesVersion: number | null;
}
