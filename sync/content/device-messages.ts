/**
 * What one device tells another through the device inbox (protocol/inbox-frames.ts), inside the
 * pairwise encryption: only the two devices ever read it, and only clients declare its kinds. A
 * new kind is declared here and handled where the receiver applies it (crypto/inbox-receiver.ts);
 * the server and its stores never change for it.
 */
import { z } from 'zod';
import { base64, id } from '../protocol/wire-types.js';

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
]);
export type DeviceMessage = z.infer<typeof deviceMessageSchema>;

/** What a device message is on the wire before it is encrypted: its JSON, as UTF-8. */
export function encodeDeviceMessage(message: DeviceMessage): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(JSON.stringify(message), 'utf8'));
}

/** A decrypted device message, checked against its schema; throws when it is not one this client knows. */
export function decodeDeviceMessage(bytes: Uint8Array): DeviceMessage {
  return deviceMessageSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
}
