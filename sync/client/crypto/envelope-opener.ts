/**
 * Opens a run of a conversation's events before they are applied: each sealed envelope is opened
 * with its sender's key for this conversation, in seq order, into one unit of ratchet work that
 * the caller stores in the transaction that applies what was opened (docs/e2ee-design.md). What
 * this device wrote itself it has already; an envelope whose key has not come yet waits (the
 * caller keeps it, and opens it when the key comes); one that does not open is logged and kept.
 */
import type { Logger } from '../../common/logger.js';
import { errorFields } from '../../common/logger.js';
import { decodeContent, type Content, type OpenedContent } from '../../content/content.js';
import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import type { ConversationEvent } from '../../protocol/frames.js';
import type { RatchetState } from './ratchet-state.js';
import type { ThisDevice } from './this-device.js';

export async function openEnvelopes(
  device: ThisDevice,
  ratchet: RatchetState,
  events: readonly ConversationEvent[],
  log: Logger,
): Promise<OpenedContent> {
  const opened = new Map<number, Content>();
  for (const event of events) {
    if (!isForeignEnvelope(device, event)) continue;
    const content = await openEnvelope(device, ratchet, event, log);
    if (content) opened.set(event.seq, content);
  }
  return opened;
}

/** One envelope opened with the unit's ratchet: what it says; undefined when its key has not come, or it did not open (logged). */
export async function openEnvelope(
  device: ThisDevice,
  ratchet: RatchetState,
  event: EnvelopeEvent,
  log: Logger,
): Promise<Content | undefined> {
  const sender = device.signal.ProtocolAddress.new(event.senderId, event.senderDevice);
  try {
    const sealed = new Uint8Array(Buffer.from(event.ciphertext, 'base64'));
    // Its key is still on its way (the device inbox brings it): it waits, and nothing is wrong.
    const distributionId = device.signal.SenderKeyMessage.deserialize(sealed).distributionId();
    if (!ratchet.hasSenderKey(sender, distributionId)) return undefined;
    return decodeContent(await device.signal.groupDecrypt(sender, ratchet, sealed));
  } catch (error) {
    warnUnopened(log, event, error);
    return undefined;
  }
}

/** Whether this device opens the event: an envelope, not deleted, that another device sealed. */
export function isForeignEnvelope(device: ThisDevice, event: ConversationEvent): event is EnvelopeEvent {
  if (event.kind !== 'envelope' || event.deleted) return false;
  return !sealedHere(device, event);
}

/**
 * Whether this device sealed the envelope (it cannot open it: its chain has moved past it). One
 * from its own address under a key an earlier device with the same number kept (a device restored
 * in place of a lost one) is that device's, and opens here.
 */
export function sealedHere(device: ThisDevice, event: EnvelopeEvent): boolean {
  if (event.senderId !== device.address.name() || event.senderDevice !== device.address.deviceId()) return false;
  let distributionId: string;
  try {
    distributionId = device.signal.SenderKeyMessage.deserialize(
      new Uint8Array(Buffer.from(event.ciphertext, 'base64')),
    ).distributionId();
  } catch {
    // Not a sender-key message: nothing here could open it either.
    return true;
  }
  return !device.inheritedKey(distributionId);
}

/** An envelope that did not open is logged (and kept: the applier stores it unopened). */
export function warnUnopened(log: Logger, event: EnvelopeEvent, error: unknown): void {
  log.warn('an envelope did not open', {
    conversationId: event.conversationId,
    seq: event.seq,
    sender: `${event.senderId}.${event.senderDevice}`,
    ...errorFields(error),
  });
}
