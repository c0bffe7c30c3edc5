/**
 * What one device tells another through the device inbox (protocol/inbox-frames.ts), inside the
 * pairwise encryption: only the two devices ever read it, and only clients declare its kinds. A
 * new kind is declared here and handled where the receiver applies it (crypto/inbox-receiver.ts);
 * the server and its stores never change for it.
 *
 * The server takes a send for all of a person's devices or none (protocol/inbox-frames.ts), so a
 * message meant for one device names it (`forDevice`): the person's other devices get it too, and
 * drop it (isForDevice).
 */
import { z } from 'zod';
import { contentSchema } from './content.js';
import { base64, deviceNumber, id } from '../protocol/wire-types.js';

export const deviceMessageSchema = z.discriminatedUnion('kind', [
  /**
   * The sender's key for its messages in a conversation (a libsignal
   * SenderKeyDistributionMessage): with it the receiver reads what the sending device writes
   * there under that key.
   */
  z.object({
    kind: z.literal('sender_key'),
    conversationId: id,
    distribution: base64(4_096),
  }),
  /**
   * The conversation envelope `clientId`, which `forDevice` sealed, did not open here (its key
   * never came, or libsignal refused it): send what it said again (crypto/resend-answerer.ts).
   * `distributionId` is the sender key it was sealed under, when the envelope said.
   */
  z.object({
    kind: z.literal('resend_request'),
    forDevice: deviceNumber,
    conversationId: id,
    clientId: id,
    distributionId: z.uuid().optional(),
  }),
  /** What the envelope `clientId` said, sent again to the device that asked (crypto/resend-asker.ts). */
  z.object({
    kind: z.literal('resent_content'),
    forDevice: deviceNumber,
    conversationId: id,
    clientId: id,
    content: contentSchema,
  }),
  /**
   * This person read the conversation up to `upToSeq` at `at` on the sending device (one of
   * their own): their other devices start the disappearing messages' timers from then, so one
   * that was offline never shows what went elsewhere (content/disappearing.ts).
   */
  z.object({
    kind: z.literal('read_at'),
    conversationId: id,
    upToSeq: z.number().int().min(1),
    at: z.number().int().min(0),
  }),
  /** The envelope `clientId` cannot be sent again (this device no longer has what it said): it shows as undecryptable. */
  z.object({
    kind: z.literal('cannot_resend'),
    forDevice: deviceNumber,
    conversationId: id,
    clientId: id,
  }),
]);
export type DeviceMessage = z.infer<typeof deviceMessageSchema>;

/** A device message meant for one device, without the number of that device (DeviceSender.queueFor sets it). */
export type OneDeviceMessage =
  Extract<DeviceMessage, { forDevice: number }> extends infer Message
    ? Message extends { forDevice: number }
      ? Omit<Message, 'forDevice'>
      : never
    : never;

/** Whether the device numbered `deviceNumber` is the one a message is for (one without `forDevice` is for all of them). */
export function isForDevice(message: DeviceMessage, deviceNumber: number): boolean {
  return !('forDevice' in message) || message.forDevice === deviceNumber;
}

/** What a device message is on the wire before it is encrypted: its JSON, as UTF-8. */
export function encodeDeviceMessage(message: DeviceMessage): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(JSON.stringify(message), 'utf8'));
}

/** A decrypted device message, checked against its schema; throws when it is not one this client knows. */
export function decodeDeviceMessage(bytes: Uint8Array): DeviceMessage {
  return deviceMessageSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
}
