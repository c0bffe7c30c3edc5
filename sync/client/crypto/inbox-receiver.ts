/**
 * Reads this device's inbox (protocol/inbox-frames.ts): what waits for it on each connection,
 * and what is pushed while connected. Each envelope is opened by the pairwise session with its
 * sender's device, checked against the device message schema, applied, and marked done, the
 * ratchet state that opened it included, in one transaction; only then is it acknowledged. So a
 * process killed in between opens it again on the next start (no key was burned), and one
 * delivered twice is only acknowledged again.
 *
 * An envelope that cannot be opened or read (a replay, garbage, a kind this client does not know)
 * is logged and acknowledged: the inbox goes on.
 */
import type { ProtocolAddress } from '@signalapp/libsignal-client';
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import { INBOX_LIMITS, type DeviceEnvelope, type EnvelopeKind } from '../../protocol/inbox-frames.js';
import { decodeDeviceMessage, isForDevice, type DeviceMessage } from '../../content/device-messages.js';
import { RequestError, type SyncConnection } from '../connection.js';
import type { Mirror } from '../mirror/mirror.js';
import { RetryLoop } from '../retry-loop.js';
import type { LocalIdentity } from './key-publisher.js';
import type { RatchetState } from './ratchet-state.js';
import type { ResendAnswerer } from './resend-answerer.js';
import type { DeviceNumbered, MessageEffect, ResendAsker } from './resend-asker.js';
import { openPairwise } from './pairwise-open.js';
import { thisDevice, type CryptoLane, type ThisDevice } from './this-device.js';

export class InboxReceiver {
  private device: ThisDevice | null = null;
  private deviceNumber: number | null = null;
  /** Envelopes waiting to be opened, in the order they came; one pass over them at a time. */
  private queue: DeviceEnvelope[] = [];
  private draining: Promise<void> | null = null;
  /**
   * A failed read is tried again, with a backoff, for as long as the connection lasts: the keys
   * that open what the catch-up brings may be waiting in it.
   */
  private readonly readingAgain: RetryLoop;

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly lane: CryptoLane,
    private readonly localIdentity: () => Promise<LocalIdentity | null>,
    private readonly selfId: string,
    private readonly log: Logger,
    /** A sender key for this conversation was stored: what waited for it may open now. */
    private readonly senderKeyArrived: (conversationId: string) => void,
    /**
     * A linking hand-over (link-frames.ts), which no session opens: true once it was dealt with
     * (taken, or of no use here), false to leave it for the next connection.
     */
    private readonly handOverArrived: (envelope: DeviceEnvelope) => Promise<boolean>,
    /** Resend requests this device answers, and the answers to its own. */
    private readonly resends: { asker: ResendAsker; answerer: ResendAnswerer },
    /** Another of this person's devices read the conversation: timers of disappearing messages here may run sooner. */
    private readonly readElsewhere: (conversationId: string) => void,
  ) {
    this.readingAgain = new RetryLoop(runtime, {
      work: async () => {
        await this.readWaiting();
        this.resends.asker.inboxRead();
      },
      active: () => this.deviceNumber !== null,
      retry: (error) => this.readFailed(error),
    });
  }

  /**
   * A new connection is up: reads everything waiting, from the start. Resolves true once it was
   * dealt with, false when it could not be read now (it is read again in the background, and the
   * resend asker is told when it has been).
   */
  async connected(deviceNumber: number): Promise<boolean> {
    this.deviceNumber = deviceNumber;
    this.device = null;
    this.readingAgain.reset();
    try {
      await this.readWaiting();
      return true;
    } catch (error) {
      if (this.readFailed(error)) this.readingAgain.run();
      return false;
    }
  }

  disconnected(): void {
    this.deviceNumber = null;
    this.device = null;
    this.queue = [];
    this.readingAgain.cancel();
  }

  /** Logs a failed read of the inbox; whether it is worth reading again on this connection. */
  private readFailed(error: unknown): boolean {
    if (this.deviceNumber === null || (error instanceof RequestError && error.code === 'disconnected')) return false;
    this.log.warn('reading the device inbox failed', errorFields(error));
    return true;
  }

  /**
   * Envelopes the server pushed to the account's connections: this device takes its own. One it
   * cannot open now (its identity unreadable, the mirror failing) is not acknowledged: the next
   * connection reads it again.
   */
  pushed(envelopes: readonly DeviceEnvelope[]): void {
    const mine = envelopes.filter((envelope) => envelope.deviceNumber === this.deviceNumber);
    if (mine.length === 0) return;
    this.take(mine).catch((error: unknown) => {
      if (this.deviceNumber !== null) this.log.warn('reading pushed device envelopes failed', errorFields(error));
    });
  }

  private async readWaiting(): Promise<void> {
    const before = this.runtime.clock.now() - INBOX_LIMITS.keepForMs;
    this.mirror.signal.forgetInboxDone([], before);
    let after: string | undefined;
    for (;;) {
      const reply = await this.connection.request({ type: 'fetch_inbox', ...(after ? { after } : {}) });
      if (reply.type !== 'inbox') throw new RequestError('internal', `Unexpected reply ${reply.type} to fetch_inbox`);
      await this.take(reply.envelopes);
      if (!reply.hasMore || reply.envelopes.length === 0) return;
      after = reply.envelopes.at(-1)!.id;
    }
  }

  /** Queues envelopes and resolves once they (and those before them) are dealt with and acknowledged. */
  private async take(envelopes: readonly DeviceEnvelope[]): Promise<void> {
    this.queue.push(...envelopes);
    this.draining ??= this.drain().finally(() => (this.draining = null));
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && this.deviceNumber !== null) {
      const batch = this.queue.splice(0, INBOX_LIMITS.maxPage);
      const done: string[] = [];
      for (const envelope of batch) {
        const dealtWith = isPairwise(envelope) ? await this.open(envelope) : await this.handOverArrived(envelope);
        if (dealtWith) done.push(envelope.id);
      }
      if (done.length === 0) continue;
      try {
        await this.connection.request({ type: 'ack_inbox', ids: done });
        this.mirror.signal.forgetInboxDone(done, this.runtime.clock.now() - INBOX_LIMITS.keepForMs);
      } catch (error) {
        // Marked done here: the next connection reads them again and only acknowledges them. A
        // connection that went away meanwhile is nothing to warn of.
        if (error instanceof RequestError && error.code === 'disconnected') {
          this.log.debug('acknowledging device envelopes waits for the next connection', errorFields(error));
        } else {
          this.log.warn('acknowledging device envelopes failed', errorFields(error));
        }
      }
    }
  }

  /** Opens and applies one envelope; true once it is done (now or before), false when this device cannot deal with it yet. */
  private async open(envelope: DeviceEnvelope & { kind: EnvelopeKind }): Promise<boolean> {
    const device = await this.thisDevice();
    if (!device) return false;
    return this.lane.run(async () => {
      if (this.mirror.signal.isInboxDone(envelope.id)) return true;
      const sender = device.signal.ProtocolAddress.new(envelope.senderUserId, envelope.senderDevice);
      const ratchet = device.ratchet();
      let opened = false;
      let message: DeviceMessage | null = null;
      let effect: MessageEffect | null = null;
      try {
        const content = await openPairwise(device, ratchet, sender, envelope);
        opened = true;
        message = decodeDeviceMessage(content);
        // Meant for another of this account's devices (the server delivers to all or none).
        if (!isForDevice(message, device.address.deviceId())) message = null;
        else effect = await this.apply(device, ratchet, sender, message);
      } catch (error) {
        this.log.warn('a device envelope could not be read', {
          sender: `${envelope.senderUserId}.${envelope.senderDevice}`,
          kind: envelope.kind,
          opened,
          ...errorFields(error),
        });
      }
      const now = this.runtime.clock.now();
      this.mirror.transaction(() => {
        // A message opened but not understood still moved the session on: a replay of it must fail.
        if (opened) ratchet.writeTo(this.mirror.signal);
        effect?.write();
        this.mirror.signal.markInboxDone(envelope.id, now);
      });
      effect?.told?.();
      // Queued behind this unit of work in the lane, not awaited inside it.
      if (message?.kind === 'sender_key') this.senderKeyArrived(message.conversationId);
      return true;
    });
  }

  /**
   * What a device message does here: its ratchet writes go into `ratchet`, its other writes into
   * the effect returned, both stored with the envelope's being done.
   */
  private async apply(
    device: ThisDevice,
    ratchet: RatchetState,
    sender: ProtocolAddress,
    message: DeviceMessage,
  ): Promise<MessageEffect | null> {
    const from: DeviceNumbered = { userId: sender.name(), deviceNumber: sender.deviceId() };
    switch (message.kind) {
      case 'sender_key': {
        const distribution = device.signal.SenderKeyDistributionMessage.deserialize(
          new Uint8Array(Buffer.from(message.distribution, 'base64')),
        );
        await device.signal.processSenderKeyDistributionMessage(sender, distribution, ratchet);
        const held = {
          senderId: sender.name(),
          deviceNumber: sender.deviceId(),
          distributionId: distribution.distributionId(),
          distribution: message.distribution,
        };
        // Kept for the account's restores with the key itself (content/personal-settings.ts: sender_key).
        return { write: () => this.mirror.settings.keepSenderKey(message.conversationId, held) };
      }
      case 'resend_request':
        return this.resends.answerer.answer(device, ratchet, from, message);
      case 'resent_content':
      case 'cannot_resend':
        return this.resends.asker.answered(from, message);
      case 'read_at': {
        // Only the person's own devices say when they read: anyone else's word is dropped.
        if (from.userId !== this.selfId) return null;
        const { conversationId, upToSeq, at } = message;
        return {
          write: () => this.mirror.disappearing.readElsewhere(conversationId, this.selfId, upToSeq, at),
          told: () => this.readElsewhere(conversationId),
        };
      }
    }
  }

  private async thisDevice(): Promise<ThisDevice | null> {
    if (this.deviceNumber === null) return null;
    this.device ??= await thisDevice(this.mirror, this.runtime, this.localIdentity, this.selfId, this.deviceNumber);
    return this.device;
  }
}

/** An envelope a pairwise session opens (not a linking hand-over). */
function isPairwise(envelope: DeviceEnvelope): envelope is DeviceEnvelope & { kind: EnvelopeKind } {
  return envelope.kind !== 'link';
}
