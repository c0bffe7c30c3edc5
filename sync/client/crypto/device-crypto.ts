/**
 * Everything end-to-end encryption does on this device, behind one face for the sync engine: the
 * device inbox both ways, this device's sender keys, and opening conversation envelopes before
 * they are applied. Every unit of ratchet work runs in one CryptoLane (this-device.ts); a
 * catch-up's decrypts run beforehand in worker threads, and become ratchet work in the lane only
 * if the records they started from are still those stored (run-applier.ts).
 */
import { availableParallelism } from 'node:os';
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import type { Content } from '../../content/content.js';
import type { DeviceMessage } from '../../content/device-messages.js';
import type { ConversationEvent, User } from '../../protocol/frames.js';
import type { AppliedEvent } from '../../content/opened-events.js';
import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import type { DeviceEnvelope } from '../../protocol/inbox-frames.js';
import type { EphemeralEnvelope } from '../../protocol/call-frames.js';
import { RequestError, type SyncConnection } from '../connection.js';
import type { Mirror } from '../mirror/mirror.js';
import { KEEP_SENT_CONTENT_MS } from '../mirror/sent-content.js';
import { DeviceSender } from './device-sender.js';
import { openEnvelopes } from './envelope-opener.js';
import { EphemeralReceiver } from './ephemeral-receiver.js';
import { InboxReceiver } from './inbox-receiver.js';
import type { LocalIdentity } from './key-publisher.js';
import { OpeningPool, type OpeningPoolOptions } from './opening-pool.js';
import { ResendAnswerer } from './resend-answerer.js';
import { RESEND_TIMINGS, ResendAsker, type DeviceNumbered, type ResendTimings } from './resend-asker.js';
import { RunApplier, shownOf, type AppliedRun } from './run-applier.js';
import { SenderKeys } from './sender-keys.js';
import type { SealedEnvelope } from '../../protocol/envelope-frames.js';
import { CryptoLane, heldDevice, type ThisDevice } from './this-device.js';

/** How envelopes are opened: in how many worker threads at most (0: all on this thread), and from how many envelopes a run. */
export interface OpeningOptions {
  threads: number;
  minimum: number;
  /** Starts a worker thread (tests reach the threads through it). */
  spawn?: OpeningPoolOptions['spawn'];
}

export class DeviceCrypto {
  private readonly lane = new CryptoLane();
  private readonly sender: DeviceSender;
  private readonly inbox: InboxReceiver;
  private readonly ephemeral: EphemeralReceiver;
  private readonly senderKeys: SenderKeys;
  private readonly pool: OpeningPool | null;
  private readonly runs: RunApplier;
  private readonly asker: ResendAsker;
  /** Which of the account's devices this is, while connected (the welcome says). */
  private deviceNumber: number | null = null;
  private readonly deviceAs: (deviceNumber: number) => Promise<ThisDevice | null>;

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly localIdentity: () => Promise<LocalIdentity | null>,
    private readonly selfId: string,
    private readonly log: Logger,
    private readonly hooks: {
      /** Envelopes that waited for a key opened and took effect in this conversation, as these events. */
      openedLate(conversationId: string, shown: readonly AppliedEvent[]): void;
      /** Opening what waited failed (a mirror write, say): the engine decides what that means. */
      failed(error: unknown): void;
      /** A linking hand-over arrived in the inbox (crypto/device-linking.ts); true once dealt with. */
      handOverArrived(envelope: DeviceEnvelope): Promise<boolean>;
      /** An ephemeral envelope (a call's signal) opened: what it said, from the device that sealed it, to this one (`to`). */
      ephemeralOpened(from: DeviceNumbered, plaintext: Uint8Array, to: number): void;
      /** Another of this person's devices read the conversation (its disappearing messages' timers may run sooner). */
      readElsewhere(conversationId: string): void;
    },
    opening: OpeningOptions = defaultOpening(),
    resendTimings: ResendTimings = RESEND_TIMINGS,
  ) {
    this.deviceAs = heldDevice(mirror, runtime, localIdentity, selfId);
    this.pool =
      opening.threads > 0
        ? new OpeningPool({ threads: opening.threads, ...(opening.spawn ? { spawn: opening.spawn } : {}) })
        : null;
    this.runs = new RunApplier(
      mirror,
      this.lane,
      () => this.device(),
      selfId,
      log,
      this.pool && { pool: this.pool, minimum: opening.minimum },
    );
    this.sender = new DeviceSender(mirror, connection, runtime, this.lane, this.deviceAs, selfId, log);
    this.asker = new ResendAsker(mirror, runtime, this.sender, () => this.device(), selfId, log, resendTimings, {
      shown: (conversationId, shown) => hooks.openedLate(conversationId, shown),
      failed: (error) => hooks.failed(error),
    });
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
      { asker: this.asker, answerer: new ResendAnswerer(mirror, runtime, this.sender, selfId, log) },
      (conversationId) => hooks.readElsewhere(conversationId),
    );
    this.senderKeys = new SenderKeys(mirror, runtime, this.lane, this.sender);
    this.ephemeral = new EphemeralReceiver(
      mirror,
      this.lane,
      () => this.device(),
      log,
      (from, plaintext, to) => hooks.ephemeralOpened(from, plaintext, to),
    );
  }

  /**
   * The welcome came: reads the inbox (before the catch-up: it brings the keys that open what the
   * catch-up brings), then opens what waited with keys that came before (what waited for this
   * device's own keys to be readable, say).
   */
  async connected(deviceNumber: number): Promise<void> {
    this.deviceNumber = deviceNumber;
    const inboxRead = await this.inbox.connected(deviceNumber);
    await this.restoreSenderKeys();
    for (const conversationId of this.mirror.conversationsWithWaitingEnvelopes()) {
      await this.openWaiting(conversationId).catch((error: unknown) => this.hooks.failed(error));
    }
    // Connected still (not gone meanwhile): what waits from here on asks its sender again after
    // the grace. An inbox not read yet may hold the keys it waits for: the asker starts once it is.
    if (this.deviceNumber === deviceNumber && inboxRead) this.asker.inboxRead();
    this.mirror.sentContent.prune(this.runtime.clock.now() - KEEP_SENT_CONTENT_MS);
  }

  /**
   * Takes up the sender keys the account kept (content/personal-settings.ts: sender_key) that this
   * mirror holds no chain of, a restored or fresh one's: each from its first distribution message,
   * so what was sealed under it opens here, and what waited for it opens now. One that does not
   * process is logged and left (it is tried again on the next connection).
   */
  async restoreSenderKeys(): Promise<void> {
    const device = await this.device();
    if (!device) return;
    const restored = await this.lane.run(async () => {
      const conversationIds = new Set<string>();
      const inherited: string[] = [];
      const ratchet = device.ratchet();
      for (const { conversationId, held } of this.mirror.settings.senderKeysNotHeld()) {
        // This device holds no chain of it: under its own address, an earlier device with its number started it.
        if (held.senderId === device.address.name() && held.deviceNumber === device.address.deviceId())
          inherited.push(held.distributionId);
        try {
          await device.signal.processSenderKeyDistributionMessage(
            device.signal.ProtocolAddress.new(held.senderId, held.deviceNumber),
            device.signal.SenderKeyDistributionMessage.deserialize(new Uint8Array(Buffer.from(held.distribution, 'base64'))),
            ratchet,
          );
          conversationIds.add(conversationId);
        } catch (error) {
          this.log.warn('a kept sender key could not be restored', {
            sender: `${held.senderId}.${held.deviceNumber}`,
            ...errorFields(error),
          });
        }
      }
      if (conversationIds.size > 0)
        this.mirror.transaction(() => {
          ratchet.writeTo(this.mirror.signal);
          this.mirror.settings.inheritSenderKeys(inherited);
        });
      return conversationIds;
    });
    for (const conversationId of restored) {
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
    this.asker.disconnected();
  }

  inboxPushed(push: Parameters<InboxReceiver['pushed']>[0]): void {
    this.inbox.pushed(push);
  }

  ephemeralPushed(envelopes: readonly EphemeralEnvelope[]): void {
    this.ephemeral.pushed(envelopes).catch((error: unknown) => this.hooks.failed(error));
  }

  /** Encrypts `content` for every device of these people and has it forwarded to those connected now, storing nothing. */
  sendEphemeral(userIds: readonly string[], content: Uint8Array): Promise<void> {
    return this.sender.sendEphemeral(userIds, content);
  }

  /** Queues a device message for every device of these people (the account's own others when it is one of them). */
  sendToDevices(userIds: readonly string[], message: DeviceMessage): void {
    this.sender.queue(userIds, message);
  }

  /**
   * Seals content for a conversation under this device's sender key, handing the key first to
   * every member device that lacks it (sender-keys.ts); `keep` stores what send_envelope carries
   * in the transaction that stores the key's new state. Needs the connection: the welcome says
   * which device this is.
   */
  async seal(
    conversationId: string,
    content: Content,
    keep: (sealed: SealedEnvelope) => (() => void) | void,
  ): Promise<SealedEnvelope> {
    const device = await this.device();
    if (!device) throw new RequestError('disconnected', 'Not connected');
    if (!this.mirror.signal.conversationDevices(conversationId)) await this.learnDevices(conversationId);
    return this.senderKeys.seal(device, conversationId, content, keep);
  }

  /** Whether a seal in the conversation would start now, with nothing to ask of the server first. */
  sealsAtOnce(conversationId: string): boolean {
    return this.lane.idle && this.deviceNumber !== null && this.mirror.signal.conversationDevices(conversationId) !== null;
  }

  /** Resolves once this device's sender key for the conversation has reached the server for every device handed it. */
  keyHandedOut(conversationId: string): Promise<void> {
    return this.sender.keyHandedOut(conversationId);
  }

  /**
   * Asks the server for the conversation's devices before the first seal there, so that envelope
   * is sealed for them (handing them the key) rather than refused once for want of them.
   */
  private async learnDevices(conversationId: string): Promise<void> {
    const reply = await this.connection.request({ type: 'fetch_conversation_devices', conversationId });
    if (reply.type !== 'conversation_devices') {
      throw new RequestError('internal', `Unexpected reply ${reply.type} to fetch_conversation_devices`);
    }
    await this.senderKeys.devicesChanged(conversationId, reply.devices);
  }

  /**
   * Whether `error` (a send_envelope's) is the server's `conversation_devices_changed`: if so, the
   * devices it carries are recorded, and what was sealed for the conversation before must be
   * sealed again (the next seal hands the key to the new devices, or starts a new key).
   */
  async devicesChanged(conversationId: string, error: unknown): Promise<boolean> {
    if (!(error instanceof RequestError) || error.reason !== 'conversation_devices_changed' || !error.devices) return false;
    await this.senderKeys.devicesChanged(conversationId, error.devices);
    return true;
  }

  /**
   * Applies a run of a conversation's events from its cursor, its envelopes opened first (in the
   * worker pool when there are enough of them), the ratchet state that opened them stored in the
   * transaction that applies them.
   */
  async applyRun(
    conversationId: string,
    events: readonly ConversationEvent[],
    page: { skippedTo?: number; users?: readonly User[] },
  ): Promise<AppliedRun> {
    const run = await this.runs.apply(conversationId, events, page);
    // What is still sealed in what took effect waits; it asks its sender again if its key never comes.
    this.asker.leftWaiting(
      run.shown.filter((event): event is EnvelopeEvent => event.kind === 'envelope' && event.seq <= run.applied),
    );
    return run;
  }

  /** The engine stopped: the opening workers end (a later run starts them again). */
  stop(): Promise<void> {
    return this.pool?.close() ?? Promise.resolve();
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
    return this.deviceAs(deviceNumber);
  }
}

/**
 * How many opening workers, and from how many envelopes a run opens in them (test/bench/opening.ts
 * measures both). On two cores, both: one worker cannot decrypt faster than one core, while this
 * thread's share of a catch-up (reading, applying) is a tenth of the work, so the system shares
 * the cores well. With more, all but one, and four at most: past that this thread's share is
 * what limits. Runs of fewer than 32 envelopes (live events, a short gap) open here: one chain's
 * round trip makes them slower in the workers, and they are too small for the freed thread to matter.
 */
export function defaultOpening(): OpeningOptions {
  const cores = availableParallelism();
  return { threads: cores <= 2 ? cores : Math.min(4, cores - 1), minimum: 32 };
}
