/**
 * The sending side of resends (docs/e2ee-design.md): a member's device that could not open an
 * envelope this device sealed asks for it (crypto/resend-asker.ts). That device is handed this
 * device's current sender key for the conversation (a device linked to a person who already held
 * it was never handed it: the request is what heals that; once a window, however many envelopes
 * it asks for) and what the envelope said, kept in
 * sent_content (mirror/sent-content.ts), or told it cannot be (no longer kept, or deleted for
 * everyone). Each device is answered once per envelope, and at most RESEND_LIMITS' rate; someone
 * who is not a member now, or was not one at the envelope's seq, is answered nothing.
 */
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import type { DeviceMessage } from '../../content/device-messages.js';
import type { Mirror } from '../mirror/mirror.js';
import { KEEP_SENT_CONTENT_MS } from '../mirror/sent-content.js';
import type { DeviceSender } from './device-sender.js';
import type { RatchetState } from './ratchet-state.js';
import type { DeviceNumbered, MessageEffect } from './resend-asker.js';
import type { ThisDevice } from './this-device.js';

/** Requests one device may have answered within `windowMs`; past that they are ignored (they show as undecryptable there). */
export const RESEND_LIMITS = { requests: 100, windowMs: 60_000 };

type Request = Extract<DeviceMessage, { kind: 'resend_request' }>;

export class ResendAnswerer {
  /** "userId.deviceNumber" → when its recent requests came, oldest first. */
  private readonly recent = new Map<string, number[]>();
  /**
   * "userId distributionId" → when that person's devices were last handed the key along with an
   * answer. A device that lost the key asks for every envelope it holds: one hand-out serves them
   * all, and each more would only make it try its waiting envelopes again.
   */
  private readonly handedOut = new Map<string, number>();

  constructor(
    private readonly mirror: Mirror,
    private readonly runtime: Runtime,
    private readonly sender: Pick<DeviceSender, 'queue' | 'queueFor'>,
    private readonly selfId: string,
    private readonly log: Logger,
    private readonly limits = RESEND_LIMITS,
  ) {}

  /** What answering `from`'s request does; the sender key it hands out is made with the inbox's unit of ratchet work. */
  async answer(device: ThisDevice, ratchet: RatchetState, from: DeviceNumbered, request: Request): Promise<MessageEffect | null> {
    const { conversationId, clientId } = request;
    const fields = { conversationId, clientId, from: `${from.userId}.${from.deviceNumber}` };
    const now = this.runtime.clock.now();
    if (!this.withinRate(`${from.userId}.${from.deviceNumber}`, now)) {
      this.log.warn('a resend request past the rate was ignored', fields);
      return null;
    }
    const members = new Set(this.mirror.members(conversationId).map((member) => member.userId));
    if (!members.has(from.userId) || !members.has(this.selfId)) {
      this.log.warn('a resend request from someone not a member was ignored', fields);
      return null;
    }
    this.mirror.sentContent.prune(now - KEEP_SENT_CONTENT_MS);
    const content = this.mirror.sentContent.content(conversationId, clientId, (error) =>
      this.log.warn('sent content did not read back', { ...fields, ...errorFields(error) }),
    );
    if (content && !this.wasMemberThen(conversationId, clientId, from.userId)) {
      this.log.warn('a resend request for an envelope sealed while the asker was not a member was ignored', fields);
      return null;
    }
    const tables = this.mirror.signal;
    const distributionId = content ? tables.senderKeyOf(conversationId) : null;
    const handedOutKey = `${from.userId} ${distributionId}`;
    const handedOutAt = this.handedOut.get(handedOutKey);
    const handOut =
      distributionId && (handedOutAt === undefined || handedOutAt <= now - this.limits.windowMs)
        ? await device.signal.SenderKeyDistributionMessage.create(device.address, distributionId, ratchet)
        : null;
    let handedOutNow = false;
    return {
      told: () => {
        if (!handedOutNow) return;
        for (const [key, at] of this.handedOut) if (at <= now - this.limits.windowMs) this.handedOut.delete(key);
        this.handedOut.set(handedOutKey, now);
      },
      write: () => {
        if (!this.mirror.sentContent.noteResend(conversationId, clientId, from, now)) {
          this.log.info('a resend request answered before was ignored', fields);
          return;
        }
        if (!content) {
          this.sender.queueFor(from, { kind: 'cannot_resend', conversationId, clientId });
          return;
        }
        if (distributionId && handOut) {
          // To all of the person's devices (the server takes all or none): each the server last
          // named holds it now; one it did not name is handed it at the next seal.
          const devices = tables.conversationDevices(conversationId)?.members.find((member) => member.userId === from.userId);
          tables.addSenderKeyHolders(
            distributionId,
            (devices?.devices ?? []).map((each) => ({ userId: from.userId, ...each })),
          );
          this.sender.queue([from.userId], {
            kind: 'sender_key',
            conversationId,
            distribution: Buffer.from(handOut.serialize()).toString('base64'),
          });
          handedOutNow = true;
        }
        this.sender.queueFor(from, { kind: 'resent_content', conversationId, clientId, content });
      },
    };
  }

  /**
   * Whether the asker was a member at the envelope's seq (none known: no). One who joined later,
   * or came back, may have learnt its id from a reply or a forward, and must not be sent what
   * they were never let read.
   */
  private wasMemberThen(conversationId: string, clientId: string, userId: string): boolean {
    const seq = this.mirror.sentContent.seq(conversationId, clientId);
    return seq !== null && this.mirror.wasMemberAt(conversationId, userId, this.selfId, seq);
  }

  private withinRate(device: string, now: number): boolean {
    const times = (this.recent.get(device) ?? []).filter((at) => at > now - this.limits.windowMs);
    const allowed = times.length < this.limits.requests;
    if (allowed) times.push(now);
    this.recent.set(device, times);
    return allowed;
  }
}
