/**
 * Everything end-to-end encryption does on this device, behind one face for the sync engine: the
 * device inbox both ways, this device's sender keys, and opening conversation envelopes before
 * they are applied. Every unit of ratchet work runs in one CryptoLane (this-device.ts).
 */
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import type { Content, OpenedContent } from '../../content/content.js';
import type { DeviceMessage } from '../../content/device-messages.js';
import { eventOfContent } from '../../content/events.js';
import type { ConversationEvent, User } from '../../protocol/frames.js';
import type { DeviceEnvelope } from '../../protocol/inbox-frames.js';
import { RequestError, type SyncConnection } from '../connection.js';
import type { Mirror } from '../mirror/mirror.js';
import { DeviceSender } from './device-sender.js';
import { openEnvelopes } from './envelope-opener.js';
import { InboxReceiver } from './inbox-receiver.js';
import type { LocalIdentity } from './key-publisher.js';
import { SenderKeys } from './sender-keys.js';
import { CryptoLane, thisDevice, type ThisDevice } from './this-device.js';

/** A run applied: the new cursor, and the events as they took effect (opened envelopes as what they said). */
export interface AppliedRun {
  applied: number;
  shown: readonly ConversationEvent[];
}

export class DeviceCrypto {
  private readonly lane = new CryptoLane();
  private readonly sender: DeviceSender;
  private readonly inbox: InboxReceiver;
  private readonly senderKeys: SenderKeys;
  /** Which of the account's devices this is, while connected (the welcome says). */
  private deviceNumber: number | null = null;

  constructor(
    private readonly mirror: Mirror,
    connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly localIdentity: () => Promise<LocalIdentity | null>,
    private readonly selfId: string,
    private readonly log: Logger,
    private readonly hooks: {
      /** Envelopes that waited for a key opened and took effect in this conversation, as these events. */
      openedLate(conversationId: string, shown: readonly ConversationEvent[]): void;
      /** Opening what waited failed (a mirror write, say): the engine decides what that means. */
      failed(error: unknown): void;
      /** A linking hand-over arrived in the inbox (crypto/device-linking.ts); true once dealt with. */
      handOverArrived(envelope: DeviceEnvelope): Promise<boolean>;
    },
  ) {
    this.sender = new DeviceSender(mirror, connection, runtime, this.lane, localIdentity, selfId, log);
    this.inbox = new InboxReceiver(
      mirror,
      connection,
      runtime,
      this.lane,
      localIdentity,
      selfId,
      log,
      (conversationId) => {
        this.openWaiting(conversationId).catch((error: unknown) => hooks.failed(error));
      },
      (envelope) => hooks.handOverArrived(envelope),
    );
    this.senderKeys = new SenderKeys(mirror, runtime, this.lane, this.sender, selfId);
  }

  /**
   * The welcome came: reads the inbox (before the catch-up: it brings the keys that open what the
   * catch-up brings), then opens what waited with keys that came before (what waited for this
   * device's own keys to be readable, say).
   */
  async connected(deviceNumber: number): Promise<void> {
    this.deviceNumber = deviceNumber;
    await this.inbox.connected(deviceNumber);
    for (const conversationId of this.mirror.conversationsWithWaitingEnvelopes()) {
      await this.openWaiting(conversationId).catch((error: unknown) => this.hooks.failed(error));
    }
  }

  /** Online: device messages waiting here go out. */
  online(): void {
    if (this.deviceNumber !== null) this.sender.connected(this.deviceNumber);
  }

  disconnected(): void {
    this.deviceNumber = null;
    this.sender.disconnected();
    this.inbox.disconnected();
  }

  inboxPushed(push: Parameters<InboxReceiver['pushed']>[0]): void {
    this.inbox.pushed(push);
  }

  /** Queues a device message for every device of these people (the account's own others when it is one of them). */
  sendToDevices(userIds: readonly string[], message: DeviceMessage): void {
    this.sender.queue(userIds, message);
  }

  /**
   * Seals content for a conversation under this device's sender key, handing the key first to
   * every member's devices that lack it (sender-keys.ts); `keep` stores the sealed text in the
   * transaction that stores the key's new state. Needs the connection: the welcome says which
   * device this is.
   */
  async seal(conversationId: string, content: Content, keep: (ciphertext: string) => void): Promise<string> {
    const device = await this.device();
    if (!device) throw new RequestError('disconnected', 'Not connected');
    return this.senderKeys.seal(device, conversationId, content, keep);
  }

  /**
   * Applies a run of a conversation's events from its cursor, its envelopes opened first in the
   * crypto lane, the ratchet state that opened them stored in the transaction that applies them.
   */
  async applyRun(
    conversationId: string,
    events: readonly ConversationEvent[],
    page: { skippedTo?: number; users?: readonly User[] },
  ): Promise<AppliedRun> {
    const { mirror, selfId } = this;
    if (!events.some((event) => event.kind === 'envelope')) {
      return { applied: mirror.applyEvents(conversationId, events, selfId, page), shown: events };
    }
    return this.lane.run(async () => {
      const device = await this.device().catch((error: unknown) => {
        // The run still applies: its envelopes wait, and open on a later connection.
        this.log.warn("this device's keys could not be read; envelopes wait", errorFields(error));
        return null;
      });
      if (!device) return { applied: mirror.applyEvents(conversationId, events, selfId, page), shown: events };
      const ratchet = device.ratchet();
      const opened = await openEnvelopes(device, ratchet, events, this.log);
      const applied = mirror.applyEvents(conversationId, events, selfId, page, { opened, ratchet });
      return { applied, shown: shownOf(events, opened) };
    });
  }

  /** A key for the conversation arrived: envelopes that waited for it open now, and take effect with the state that opened them. */
  private async openWaiting(conversationId: string): Promise<void> {
    const shown = await this.lane.run(async () => {
      const waiting = this.mirror.waitingEnvelopes(conversationId, (seq, error) =>
        this.log.warn('a waiting envelope did not read back', { conversationId, seq, ...errorFields(error) }),
      );
      const device = waiting.length > 0 ? await this.device() : null;
      if (!device) return [];
      const ratchet = device.ratchet();
      const opened = await openEnvelopes(device, ratchet, waiting, this.log);
      if (opened.size > 0) this.mirror.applyOpenedLate(conversationId, waiting, this.selfId, { opened, ratchet });
      return shownOf(waiting, opened).filter((event) => event.kind !== 'envelope');
    });
    if (shown.length > 0) this.hooks.openedLate(conversationId, shown);
  }

  private device(): Promise<ThisDevice | null> {
    const deviceNumber = this.deviceNumber;
    if (deviceNumber === null) return Promise.resolve(null);
    return thisDevice(this.mirror, this.runtime, this.localIdentity, this.selfId, deviceNumber);
  }
}

/** Events as they took effect: an opened envelope as what it said, the rest as they came. */
function shownOf(events: readonly ConversationEvent[], opened: OpenedContent): ConversationEvent[] {
  return events.map((event) => {
    const content = event.kind === 'envelope' ? opened.get(event.seq) : undefined;
    return event.kind === 'envelope' && content ? eventOfContent(event, content) : event;
  });
}
