import { eachAtMost } from '../common/at-most.js';
import { isDiskFull } from '../app-api/disk-full.js';
import type { AppEvent, ConnectionState } from '../app-api/contract.js';
import { errorFields, SILENT_LOGGER, type Logger } from '../common/logger.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import type { EnvelopeEvent } from '../protocol/envelope-frames.js';
import type { StoredKeyBackup } from '../protocol/backup-frames.js';
import type { Conversation, ConversationEvent, ServerFrame, User } from '../protocol/frames.js';
import type { AppliedEvent } from '../content/opened-events.js';

type EventsReply = Extract<ServerFrame, { type: 'events' }>;
import { LIMITS } from '../protocol/limits.js';
import { ActivityTracker } from './activity.js';
import { RequestError, SyncConnection, type Push } from './connection.js';
import type { Content } from '../content/content.js';
import type { DeviceMessage } from '../content/device-messages.js';
import type { DeviceLinking } from './crypto/device-linking.js';
import { DeviceCrypto, type OpeningOptions } from './crypto/device-crypto.js';
import type { ResendTimings } from './crypto/resend-asker.js';
import type { AppliedRun } from './crypto/run-applier.js';
import type { SealedEnvelope } from '../protocol/envelope-frames.js';
import { fetchKeyBackup, KeyBackupSync, type BackupSource } from './crypto/key-backup-sync.js';
import { KeyPublisher, type LocalIdentity } from './crypto/key-publisher.js';
import type { Mirror } from './mirror/mirror.js';
import { missedBy, newestCallEntry, startedByOther } from './mirror/call-entries.js';
import { OutboxSender, type Queued } from './outbox-sender.js';
import { SettingsSync } from './settings-sync.js';
import { SettingsSeal } from './crypto/sealed-settings.js';
import type { Outdated, SyncTransport } from './transport.js';
import type { IceServer } from '../protocol/call-frames.js';

const RECEIPT_COALESCE_MS = 50;
/**
 * Conversations caught up side by side after connecting: enough for the server, the opening
 * workers and the mirror to work at once; each holds a page and the next one asked for, and a
 * thousand conversations behind at once held a thousand pages in memory.
 */
const CATCH_UPS_AT_ONCE = 8;

export interface SyncEngineOptions {
  mirror: Mirror;
  transport: SyncTransport;
  runtime: Runtime;
  /** ws:// or wss:// address of the server's sync endpoint. */
  syncUrl: string;
  token: string;
  selfId: string;
  emit(event: AppEvent): void;
  /** The server refused our token: the session is over. */
  onUnauthorized(): void;
  /** A write to the mirror failed for want of space (SQLITE_FULL); the sync starts over after its backoff. */
  onDiskFull?(): void;
  /** Where connection changes, outbox sends and failures are reported; silent unless given. */
  log?: Logger;
  /** The account's identity on this device, for publishing its keys (crypto/key-publisher.ts). */
  localIdentity?: () => Promise<LocalIdentity | null>;
  /** How envelopes are opened (worker threads); DeviceCrypto's default unless given. */
  opening?: OpeningOptions;
  /** When an envelope that did not open asks its sender again, and gives up (crypto/resend-asker.ts); tests shorten them. */
  resendTimings?: ResendTimings;
  /** Linking this device, or others to it (crypto/device-linking.ts): told of each welcome, given hand-overs from the inbox. */
  linking?: DeviceLinking;
  /** The account keys this device backs up (crypto/key-backup-sync.ts); no backup is written without. */
  keyBackup?: () => Promise<BackupSource | null>;
  /** An ephemeral envelope (a call's signal, calls/call-driver.ts) opened: what it said, from which device, to this one (`to`). */
  ephemeralOpened?: (from: { userId: string; deviceNumber: number }, plaintext: Uint8Array, to: number) => void;
}

/**
 * Keeps the mirror in step with the server. On every (re)connect it refreshes the conversation
 * list and catches each conversation up from its stored cursor before declaring itself online;
 * live events are applied only when they are the next in sequence, and anything else (a gap, a
 * conversation mid catch-up) triggers a catch-up from the server instead, so the mirror never
 * holds a hole.
 */
export class SyncEngine {
  private state: ConnectionState = 'offline';
  private ready = false;
  private started = false;
  private workingOffline = false;
  private readonly connection: SyncConnection;
  private readonly keys: KeyPublisher | null;
  private readonly backup: KeyBackupSync | null;
  /** The device inbox both ways, and the sender keys it hands out: present when the account has an identity on this device. */
  private readonly devices: DeviceCrypto | null;
  /** Which of the account's devices this is, as the welcome said (null until it came). */
  private deviceNumber: number | null = null;
  /** A sync that got ahead of its connection's welcome waits here: told the device, or null at a close. */
  private welcomeWaiters: Array<(deviceNumber: number | null) => void> = [];
  private readonly outbox: OutboxSender;
  private readonly settings: SettingsSync;
  /** Conversations with a catch-up running, and whether another pass was requested meanwhile. */
  private readonly catchingUp = new Map<string, { again: boolean }>();
  private receiptTimer: TimerHandle | null = null;
  /** Typing indicators and presence; public so the core can read them for the renderer. */
  readonly activity: ActivityTracker;
  private readonly lastTypingSent = new Map<string, number>();

  private readonly log: Logger;

  constructor(private readonly options: SyncEngineOptions) {
    this.log = options.log ?? SILENT_LOGGER;
    this.activity = new ActivityTracker(
      options.runtime,
      (conversationId) => options.emit({ type: 'activity', conversationId }),
      (userId) => options.mirror.conversationsWith(userId),
    );
    this.connection = new SyncConnection(options.transport, options.runtime, options.syncUrl, options.token, {
      onOpen: () => void this.synchronise(),
      onPush: (push) => {
        try {
          this.handlePush(push);
        } catch (error) {
          this.writeFailed(error);
        }
      },
      onClose: ({ unauthorized, outdated }) => this.handleClose(unauthorized, outdated),
    });
    this.outbox = new OutboxSender(
      options.mirror,
      this.connection,
      options.runtime,
      options.selfId,
      (event) => options.emit(event),
      (conversationId, kinds) => this.acknowledged(conversationId, kinds),
      (error) => this.writeFailed(error),
      this.log,
      // Without the account's identity here (a device not linked yet) nothing is sealed: a row
      // waits in the outbox, failing for now, until the device is linked.
      {
        seal: (conversationId, content, keep) => this.seal(conversationId, content, keep),
        devicesChanged: (conversationId, error) => this.devicesChanged(conversationId, error),
        handOutPending: (conversationId) => options.mirror.signal.handOutPending(conversationId),
        sealsAtOnce: (conversationId) => this.devices?.sealsAtOnce(conversationId) ?? false,
        keyHandedOut: (conversationId) => this.keyHandedOut(conversationId),
      },
    );
    this.settings = new SettingsSync(
      options.mirror,
      this.connection,
      options.runtime,
      (event) => {
        // A conversation's settings changed elsewhere: a message request accepted there lets the
        // receipts held back here go out.
        if (event.type === 'settings' && event.conversationIds.length > 0) this.scheduleReceipts();
        options.emit(event);
      },
      async () => {
        const local = await options.localIdentity?.();
        return local ? new SettingsSeal(local.signal, local.identity) : null;
      },
      this.log,
      () => {
        this.devices
          ?.restoreSenderKeys()
          .catch((error: unknown) => this.log.warn('restoring kept sender keys failed', errorFields(error)));
      },
    );
    this.keys = options.localIdentity
      ? new KeyPublisher(options.mirror, this.connection, options.runtime, options.localIdentity, this.log)
      : null;
    this.backup = options.keyBackup ? new KeyBackupSync(this.connection, options.runtime, options.keyBackup, this.log) : null;
    this.devices = options.localIdentity
      ? new DeviceCrypto(
          options.mirror,
          this.connection,
          options.runtime,
          options.localIdentity,
          options.selfId,
          this.log,
          {
            handOverArrived: (envelope) => options.linking?.handOverArrived(envelope) ?? Promise.resolve(true),
            ephemeralOpened: (from, plaintext, to) => options.ephemeralOpened?.(from, plaintext, to),
            readElsewhere: (conversationId) => this.applied(conversationId, []),
            openedLate: (conversationId, shown) => {
              this.applied(conversationId, shown);
              // They are below the cursor, which moved past them while they waited: any may be the newest incoming.
              this.announceIncoming(conversationId, shown, 0, Number.MAX_SAFE_INTEGER);
            },
            failed: (error) => {
              if (isDiskFull(error)) this.writeFailed(error);
              else this.log.warn('opening envelopes that waited for their key failed', errorFields(error));
            },
          },
          options.opening,
          options.resendTimings,
        )
      : null;
    // Local settings writes (the person's, or a message bringing a conversation back from the archive) go out when they can.
    options.mirror.settings.onPending(() => this.settings.kick());
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Private settings wait here because the server had no room for them (settings-sync.ts). */
  get settingsFull(): boolean {
    return this.settings.settingsFull;
  }

  start(): void {
    this.started = true;
    if (this.workingOffline) return;
    this.setState('connecting');
    this.connection.start();
  }

  /**
   * Work offline: on, the socket closes now (the server sees this device leave), no reconnect is
   * scheduled, and everything goes on as with no network (sends wait in the outbox); off, it
   * connects at once. Before start() it only decides whether start() connects.
   */
  setWorkOffline(on: boolean): void {
    if (on === this.workingOffline) return;
    this.workingOffline = on;
    if (!this.started) return;
    if (on) {
      // Closing an open socket goes through handleClose; between reconnects there is none to close.
      this.connection.stop();
      this.setState('offline');
    } else {
      this.connection.resetBackoff();
      this.setState('connecting');
      this.connection.start();
    }
  }

  stop(): void {
    this.started = false;
    this.ready = false;
    this.activity.clear();
    this.outbox.stop();
    this.settings.stop();
    this.keys?.stop();
    this.backup?.stop();
    this.devices?.disconnected();
    this.welcomeEnded(null);
    this.devices?.stop().catch((error: unknown) => this.log.warn('the opening workers did not stop', errorFields(error)));
    this.options.mirror.settings.onPending(null);
    if (this.receiptTimer) this.options.runtime.timers.clearTimeout(this.receiptTimer);
    this.receiptTimer = null;
    this.connection.stop();
    this.setState('offline');
  }

  /** Something new is in the outbox: send it now if we can. */
  outboxChanged(): void {
    this.options.emit({ type: 'outbox' });
    this.outbox.kick();
  }

  /**
   * `write` queues rows of this conversation: stored, and sent if we can, with one commit; a row
   * whose `content` is known beforehand is sealed first (OutboxSender.queueAndSend).
   */
  queueAndSend<T>(conversationId: string, write: () => T, content?: () => Content): Queued<T> {
    const { written, onWire } = this.outbox.queueAndSend(conversationId, write, content);
    // The inspector hears of the rows once they are on the wire; until then its listeners would run
    // ahead of the seal.
    return { written, onWire: onWire.then(() => this.options.emit({ type: 'outbox' })) };
  }

  /**
   * "Retry now" in the outbox inspector: a connection waiting to reconnect tries at once (not
   * while working offline: it is stopped then), and whatever may go is sent.
   */
  retryNow(): void {
    this.connection.reconnectNow();
    this.outboxChanged();
  }

  /** Whether a conversation is being caught up (work that can wait, waits for it). */
  get isCatchingUp(): boolean {
    return this.catchingUp.size > 0;
  }

  /** Whether a queued row is on the wire right now (then it can no longer be rewritten). */
  isInFlight(clientId: string): boolean {
    return this.outbox.isInFlight(clientId);
  }

  /** Tells the other members we are typing; dropped when offline (it would be stale later). */
  sendTyping(conversationId: string): void {
    const now = this.options.runtime.clock.now();
    const last = this.lastTypingSent.get(conversationId) ?? -Infinity;
    if (!this.ready || now - last < LIMITS.typingRepeatMs) return;
    this.lastTypingSent.set(conversationId, now);
    this.connection.request({ type: 'typing', conversationId }).catch(() => undefined);
  }

  /** Our read watermark moved locally: tell the server soon. */
  receiptsChanged(): void {
    this.scheduleReceipts();
  }

  /**
   * Queues a device message for every device of these people (the account's own other devices
   * when it is one of them), sent through the device inbox when connected.
   */
  sendToDevices(userIds: readonly string[], message: DeviceMessage): void {
    if (!this.devices) throw new Error('This device has no identity to send device messages with');
    this.devices.sendToDevices(userIds, message);
  }

  /**
   * Seals content for a conversation under this device's sender key, handing the key first to
   * every member device that lacks it (crypto/sender-keys.ts); `keep` stores what send_envelope
   * carries (the sealed text and its `devicesVersion`) in the transaction that stores the key's
   * new state. Needs the connection: the welcome says which device this is.
   */
  async seal(
    conversationId: string,
    content: Content,
    keep: (sealed: SealedEnvelope) => (() => void) | void,
  ): Promise<SealedEnvelope> {
    if (!this.devices) throw new Error('This device has no identity to seal content with');
    return this.devices.seal(conversationId, content, keep);
  }

  /** Resolves once the hand-outs of the sender key this device seals under in the conversation are on the server. */
  keyHandedOut(conversationId: string): Promise<void> {
    return this.devices ? this.devices.keyHandedOut(conversationId) : Promise.resolve();
  }

  /**
   * True when a send_envelope's error is `conversation_devices_changed`: the devices it carries are
   * recorded, and the envelope must be sealed again (seal) before it is sent again.
   */
  devicesChanged(conversationId: string, error: unknown): Promise<boolean> {
    return this.devices ? this.devices.devicesChanged(conversationId, error) : Promise.resolve(false);
  }

  /** A request of the server over this connection, for what lives beside the engine (linking, say). */
  readonly request: SyncConnection['request'] = (request, timeoutMs) => this.connection.request(request, timeoutMs);

  /** The account's keys arrived or were made here: the connection starts over, so the device publishes its keys and opens what waited. */
  startOver(): void {
    if (this.connection.open) this.connection.restart();
  }

  private async linkingConnected(deviceNumber: number): Promise<void> {
    try {
      await this.options.linking?.connected(deviceNumber, this.request);
    } catch (error) {
      // Whether to wait to be linked is asked again on the next connection; the sync goes on.
      if (this.connection.open) this.log.warn('could not tell whether this device waits to be linked', errorFields(error));
    }
  }

  /**
   * Encrypts `content` for every device of these people and has the server forward it to those
   * connected now, storing nothing (a call's signal). Rejects offline, and when the server says no.
   */
  async sendEphemeral(userIds: readonly string[], content: Uint8Array): Promise<void> {
    if (!this.ready || !this.devices) throw new RequestError('disconnected', 'Not connected');
    await this.devices.sendEphemeral(userIds, content);
  }

  /** Which of the account's devices this is, once the connection's welcome said (a group call's participants are devices). */
  get thisDevice(): number | null {
    return this.deviceNumber;
  }

  /** Relays for a call's peer connection now; none when the server has none configured. */
  async fetchTurnCredentials(): Promise<IceServer[]> {
    if (!this.ready) throw new RequestError('disconnected', 'Not connected');
    const reply = await this.connection.request({ type: 'fetch_turn_credentials' });
    if (reply.type !== 'turn_credentials') throw new RequestError('internal', `Unexpected reply ${reply.type}`);
    return reply.iceServers;
  }

  /** Someone by username, from the server. */
  async findUser(username: string): Promise<User> {
    if (!this.ready) throw new RequestError('disconnected', 'Not connected');
    const reply = await this.connection.request({ type: 'find_user', username });
    if (reply.type !== 'user') throw new RequestError('internal', `Unexpected reply ${reply.type}`);
    this.options.mirror.upsertUser(reply.user);
    return reply.user;
  }

  /** A person's identity key as the server has it (base64); null when they published none. */
  async fetchIdentity(userId: string): Promise<string | null> {
    if (!this.ready) throw new RequestError('disconnected', 'Not connected');
    const reply = await this.connection.request({ type: 'fetch_identity', userId });
    if (reply.type !== 'identity') throw new RequestError('internal', `Unexpected reply ${reply.type}`);
    return reply.identityKey;
  }

  /**
   * The account's key backup as the server keeps it (null: none), for a restore with the recovery
   * key. A device waits for its identity before its first catch-up ends, so this needs only a connection.
   */
  async fetchKeyBackup(): Promise<StoredKeyBackup | null> {
    if (!this.connection.open) throw new RequestError('disconnected', 'Not connected');
    return fetchKeyBackup(this.connection);
  }

  async startConversation(username: string): Promise<Conversation> {
    if (!this.ready) throw new RequestError('disconnected', 'Not connected');
    const reply = await this.connection.request({ type: 'start_conversation', username });
    if (reply.type !== 'conversation') throw new RequestError('internal', `Unexpected reply ${reply.type}`);
    this.adoptConversation(reply.conversation);
    return reply.conversation;
  }

  // -- connecting ----------------------------------------------------------------------------

  private async synchronise(): Promise<void> {
    this.setState('connecting');
    try {
      await this.listConversations((conversations) => {
        for (const conversation of conversations) this.options.mirror.upsertConversation(conversation, this.options.selfId);
        this.options.emit({ type: 'conversations' });
      });
      // Settings sync beside the catch-up (it needs the conversation rows, not their events).
      this.settings.connected();
      // Sealing, opening and linking all need to know which device this is.
      const deviceNumber = await this.welcomed();
      if (deviceNumber === null || !this.connection.open) return;
      await this.linkingConnected(deviceNumber);
      // The inbox before the catch-up: it brings the keys that open what the catch-up brings.
      await this.devices?.connected(deviceNumber);
      const behind = this.options.mirror.conversationsBehind();
      await eachAtMost(behind, CATCH_UPS_AT_ONCE, (conversationId) => this.catchUp(conversationId));
      if (!this.connection.open) return;
      this.ready = true;
      this.connection.resetBackoff();
      this.setState('online');
      this.scheduleReceipts();
      this.outbox.setOnline(true);
      // After the catch-up: publishing keys is never what the person waits for.
      this.keys?.connected(deviceNumber);
      this.backup?.connected();
      this.devices?.online();
      // Live events that arrived during the first catch-up were only noted; fetch them now.
      for (const conversationId of this.options.mirror.conversationsBehind()) this.catchUpInBackground(conversationId);
    } catch (error) {
      if (isDiskFull(error)) this.options.onDiskFull?.();
      if (this.connection.open) {
        this.log.warn('sync after connecting failed; reconnecting', errorFields(error));
        this.connection.restart();
      }
    }
  }

  /**
   * A write the mirror refused for want of space changed nothing (each is one transaction): the
   * connection starts over after its backoff and the sync redoes it from what is stored, so
   * nothing is lost and nothing is sent twice. Any other failure is not this method's to handle.
   */
  private writeFailed(error: unknown): void {
    if (!isDiskFull(error)) throw error;
    this.options.onDiskFull?.();
    if (this.connection.open) this.connection.restart();
  }

  /**
   * Which device this is, as this connection's welcome says. The server sends it first, but the
   * reply to the conversation list may overtake it (the simulation's reordering network does).
   */
  private welcomed(): Promise<number | null> {
    if (this.deviceNumber !== null) return Promise.resolve(this.deviceNumber);
    return new Promise((resolve) => this.welcomeWaiters.push(resolve));
  }

  private welcomeEnded(deviceNumber: number | null): void {
    const waiters = this.welcomeWaiters;
    this.welcomeWaiters = [];
    for (const resolve of waiters) resolve(deviceNumber);
  }

  private handleClose(unauthorized: boolean, outdated: Outdated | undefined): void {
    this.ready = false;
    this.activity.clear();
    this.catchingUp.clear();
    this.catchUpsEnded();
    this.outbox.setOnline(false);
    this.settings.disconnected();
    this.keys?.disconnected();
    this.backup?.disconnected();
    this.devices?.disconnected();
    this.deviceNumber = null;
    this.welcomeEnded(null);
    this.setState(outdated === 'app' ? 'app_outdated' : outdated === 'server' ? 'server_outdated' : 'offline');
    if (unauthorized) {
      this.connection.stop();
      this.options.onUnauthorized();
    }
  }

  // -- pushes --------------------------------------------------------------------------------

  private handlePush(push: Push): void {
    switch (push.type) {
      case 'event':
        this.handleLiveEvent(push.event);
        return;
      case 'conversation_added':
        this.adoptConversation(push.conversation);
        return;
      case 'watermark':
        if (!this.options.mirror.hasConversation(push.conversationId)) {
          // A conversation we have not heard of yet (the push overtook the list or its
          // conversation_added): its row does not exist, so there is nothing to raise. The list
          // brings it with its current watermarks.
          void this.refreshConversations();
          return;
        }
        this.options.mirror.raiseWatermarks(push.conversationId, push.userId, push.deliveredSeq, push.readSeq);
        this.options.emit({ type: 'messages', conversationId: push.conversationId });
        this.options.emit({ type: 'conversations' });
        return;
      case 'typing':
        this.activity.typingSeen(push.conversationId, push.userId);
        return;
      case 'presence':
        this.activity.presenceSeen(push);
        return;
      case 'welcome':
        // The server's own per-file limit, for the person to be told before anything is queued.
        this.options.mirror.attachments.saveServerLimits(push.limits);
        this.deviceNumber = push.deviceNumber;
        this.welcomeEnded(push.deviceNumber);
        return;
      case 'prekeys_low':
        this.keys?.prekeysLow(push.deviceNumber);
        return;
      case 'inbox_push':
        this.devices?.inboxPushed(push.envelopes);
        return;
      case 'settings_changed':
        this.settings.pushed(push.settings);
        return;
      case 'ephemeral_push':
        // Calls' signalling (call-frames.ts): of use only live, while in step.
        if (this.ready) this.devices?.ephemeralPushed(push.envelopes);
        return;
      default: {
        const unknown: never = push;
        console.warn(`Ignoring an unknown push ${(unknown as { type: string }).type}`);
      }
    }
  }

  private adoptConversation(conversation: Conversation): void {
    const behind = this.options.mirror.upsertConversation(conversation, this.options.selfId);
    this.options.emit({ type: 'conversations' });
    if (behind && this.ready) this.catchUpInBackground(conversation.id);
  }

  private handleLiveEvent(event: ConversationEvent): void {
    const { mirror } = this.options;
    const cursor = mirror.cursor(event.conversationId);
    if (!cursor) {
      // An event for a conversation we have not heard of: the list will tell us about it.
      void this.refreshConversations();
      return;
    }
    if (event.seq <= cursor.appliedSeq) return; // already have it
    if (event.kind === 'envelope' && this.devices) {
      void this.applyLiveEnvelope(event, cursor.appliedSeq);
      return;
    }
    if (!this.ready || this.catchingUp.has(event.conversationId) || event.seq !== cursor.appliedSeq + 1) {
      // Not the next one (a gap), or a catch-up is under way: the conversation goes at least this
      // far (what a catch-up fetches up to), and the server sends it in order.
      mirror.noteKnownSeq(event.conversationId, event.seq);
      if (this.ready) this.catchUpInBackground(event.conversationId);
      return;
    }
    // The next one: applying it moves the known seq with the cursor, in its own transaction (a
    // separate write first would be a second commit on every live event). Should it fail, the
    // list after reconnecting says how far the conversation goes.
    const applied = mirror.applyEvents(event.conversationId, [event], this.options.selfId);
    this.applied(event.conversationId, [event]);
    this.announceIncoming(event.conversationId, [event], cursor.appliedSeq, applied);
  }

  /**
   * A live envelope is opened before it is applied, in the crypto lane: by then the cursor may
   * have moved, so whether it is the next one is asked there (applyFromCursor), and a gap sends
   * for a catch-up as any other event's would. `before` is the cursor as the push found it.
   */
  private async applyLiveEnvelope(event: EnvelopeEvent, before: number): Promise<void> {
    const { conversationId } = event;
    try {
      if (!this.ready || this.catchingUp.has(conversationId) || event.seq !== before + 1) {
        this.options.mirror.noteKnownSeq(conversationId, event.seq);
        if (this.ready) this.catchUpInBackground(conversationId);
        return;
      }
      const { applied: after, shown } = await this.applyRun(conversationId, [event], {});
      if (after === before) {
        this.options.mirror.noteKnownSeq(conversationId, event.seq);
        if (this.ready) this.catchUpInBackground(conversationId);
        return;
      }
      this.applied(conversationId, shown);
      this.announceIncoming(conversationId, shown, before, after);
    } catch (error) {
      // Stopped while it was being opened (the mirror may be closed): the next start catches up.
      if (!this.started) return;
      if (isDiskFull(error)) {
        this.writeFailed(error);
        return;
      }
      // Nothing of it was stored: a catch-up brings it again.
      this.log.warn('a live envelope could not be applied; catching up instead', errorFields(error));
      this.options.mirror.noteKnownSeq(conversationId, event.seq);
      if (this.ready) this.catchUpInBackground(conversationId);
    }
  }

  /** Applies a run of a conversation's events from its cursor, opening its envelopes first when this device has keys (DeviceCrypto). */
  private applyRun(
    conversationId: string,
    events: readonly ConversationEvent[],
    page: { skippedTo?: number; users?: readonly User[] },
  ): Promise<AppliedRun> {
    if (this.devices) return this.devices.applyRun(conversationId, events, page);
    return Promise.resolve({
      applied: this.options.mirror.applyEvents(conversationId, events, this.options.selfId, page),
      shown: events,
    });
  }

  private async refreshConversations(): Promise<void> {
    try {
      await this.listConversations((conversations) => {
        for (const conversation of conversations) this.adoptConversation(conversation);
      });
    } catch {
      // The next reconnect lists conversations again.
    }
  }

  /**
   * Asks for the conversation list page after page (the server cuts it so that no frame outgrows
   * what a client accepts, however many full groups others put us in), handing each on as it comes.
   */
  private async listConversations(take: (conversations: Conversation[]) => void): Promise<void> {
    let after: string | undefined;
    do {
      const reply = await this.connection.request({ type: 'list_conversations', ...(after !== undefined ? { after } : {}) });
      if (reply.type !== 'conversations') throw new RequestError('internal', `Unexpected reply ${reply.type}`);
      take(reply.conversations);
      after = reply.next;
    } while (after !== undefined);
  }

  // -- catching up ---------------------------------------------------------------------------

  /**
   * Fetches and applies pages from the cursor until the conversation holds everything known. The
   * next page is requested before the current one is applied, so the server and the network work
   * while the mirror writes.
   */
  async catchUp(conversationId: string): Promise<void> {
    const running = this.catchingUp.get(conversationId);
    if (running) {
      running.again = true;
      return;
    }
    const marker = { again: false };
    if (this.catchingUp.size === 0) this.options.mirror.deferCheckpoints(true);
    this.catchingUp.set(conversationId, marker);
    let next: Promise<EventsReply> | null = null;
    try {
      const start = this.options.mirror.cursor(conversationId);
      if (!start) return;
      next = this.fetchPage(conversationId, start.appliedSeq);
      while (next) {
        const reply: EventsReply = await next;
        // Where this page ends: its last event, or (a page of events hidden from us, e.g. those of
        // someone we blocked) the seq the server skipped us to.
        const lastSeq = Math.max(reply.events.at(-1)?.seq ?? 0, reply.skippedTo ?? 0) || undefined;
        next = reply.hasMore && lastSeq !== undefined ? this.fetchPage(conversationId, lastSeq) : null;
        // Asked ahead, it may fail (the connection drops) while this page is opened and applied,
        // before it is awaited: that must not surface as an unhandled rejection, which ends the
        // process. It still rejects where it is awaited.
        next?.catch(() => undefined);
        const before = this.options.mirror.cursor(conversationId)?.appliedSeq ?? 0;
        const { applied: after, shown } = await this.applyRun(conversationId, reply.events, {
          users: reply.users,
          ...(reply.skippedTo !== undefined ? { skippedTo: reply.skippedTo } : {}),
        });
        if (after !== before) {
          this.applied(conversationId, shown);
          this.announceIncoming(conversationId, shown, before, after);
        }
        if (next && after === before && reply.events.length > 0) {
          // The page did not continue from our cursor (it cannot happen with a correct server):
          // drop the request already made and ask again from where we really are.
          next.catch(() => undefined);
          next = null;
        }
        if (next) continue;
        const cursor = this.options.mirror.cursor(conversationId);
        const stillBehind = cursor !== null && cursor.knownSeq > cursor.appliedSeq;
        if ((stillBehind && after > before) || marker.again) {
          marker.again = false;
          next = this.fetchPage(conversationId, cursor?.appliedSeq ?? after);
          continue;
        }
        if (stillBehind) {
          this.log.warn('catch-up stalled', { conversationId, appliedSeq: after, knownSeq: cursor?.knownSeq });
        }
      }
    } finally {
      // A request made ahead and never awaited must not surface as an unhandled rejection.
      next?.catch(() => undefined);
      if (this.catchingUp.get(conversationId) === marker) this.catchingUp.delete(conversationId);
      this.catchUpsEnded();
    }
  }

  /** The last catch-up ended: commits checkpoint the WAL as usual again. */
  private catchUpsEnded(): void {
    if (this.catchingUp.size === 0 && this.options.mirror.isOpen) this.options.mirror.deferCheckpoints(false);
  }

  private async fetchPage(conversationId: string, afterSeq: number): Promise<EventsReply> {
    const reply = await this.connection.request({
      type: 'catch_up',
      conversationId,
      afterSeq,
      limit: LIMITS.maxCatchUpPage,
      inParts: true,
    });
    if (reply.type !== 'events') throw new RequestError('internal', `Unexpected reply ${reply.type}`);
    return reply;
  }

  /**
   * A catch-up nobody waits for (a gap, a new conversation, events noted during the first sync).
   * Its request fails when the connection drops meanwhile; that must not become an unhandled
   * rejection (which ends the process, or the core's worker thread). Nothing is lost: the cursor
   * only moves with applied events, and the next (re)connect catches up from it again.
   */
  private catchUpInBackground(conversationId: string): void {
    this.catchUp(conversationId).catch(() => undefined);
  }

  /**
   * The server stored some of our changes. Applying them may have moved our own delivered watermark
   * (so a receipt is due, as for any applied event), and their seqs may reveal events we lack.
   */
  private acknowledged(conversationId: string, kinds: ReadonlySet<string>): void {
    this.scheduleReceipts();
    // Settings of a conversation made here wait for the server to know it.
    if (kinds.has('create')) this.settings.kick();
    const cursor = this.options.mirror.cursor(conversationId);
    if (cursor && cursor.knownSeq > cursor.appliedSeq) this.catchUpInBackground(conversationId);
  }

  /**
   * Tells the host of the newest message from someone else among events just applied, when they
   * came while the engine was live. The sync that follows connecting runs before it is (ready is
   * false): what it brings is history or a backlog, and nobody is notified of it.
   */
  private announceIncoming(conversationId: string, events: readonly AppliedEvent[], before: number, after: number): void {
    if (!this.ready) return;
    const messageId = newestIncoming(events, this.options.selfId, before, after);
    if (messageId !== null) this.options.emit({ type: 'incoming', conversationId, messageId });
    const { selfId, mirror } = this.options;
    // Someone blocked rings nowhere here, and is announced neither for a missed call nor for a group call they start.
    const missed = newestCallEntry(events, before, after, (entry) => missedBy(entry, selfId));
    if (missed !== null && !mirror.settings.isBlocked(missed.senderId)) {
      this.options.emit({ type: 'missed_call', conversationId, callId: missed.callId, media: missed.media });
    }
    const started = newestCallEntry(events, before, after, (entry) => startedByOther(entry, selfId));
    if (started !== null && !mirror.settings.isBlocked(started.senderId)) {
      this.options.emit({ type: 'group_call_started', conversationId, callId: started.callId, media: started.media });
    }
  }

  private applied(conversationId: string, events: readonly AppliedEvent[]): void {
    // Someone's message arrived: they stopped typing it.
    for (const event of events) if (event.kind === 'message') this.activity.typingStopped(conversationId, event.senderId);
    this.options.emit({ type: 'messages', conversationId });
    this.options.emit({ type: 'conversations' });
    this.options.emit({ type: 'conversation_info', conversationId });
    // Our own events drop what was queued under their ids (the mirror's applier does): an answer
    // lost with a dropped connection comes back this way, in the catch-up after reconnecting.
    if (events.some((event) => event.senderId === this.options.selfId)) this.options.emit({ type: 'outbox' });
    this.scheduleReceipts();
  }

  // -- receipts ------------------------------------------------------------------------------

  private scheduleReceipts(): void {
    if (this.receiptTimer || !this.ready) return;
    this.receiptTimer = this.options.runtime.timers.setTimeout(() => {
      this.receiptTimer = null;
      void this.flushReceipts();
    }, RECEIPT_COALESCE_MS);
  }

  private async flushReceipts(): Promise<void> {
    const { mirror, selfId } = this.options;
    await Promise.all(
      mirror.unsentReceipts(selfId).map(async (receipt) => {
        try {
          await this.connection.request({ type: 'receipt', ...receipt });
          mirror.confirmReceipt(receipt.conversationId, receipt.kind, receipt.seq);
        } catch {
          // Unconfirmed receipts are sent again after the next (re)connect.
        }
      }),
    );
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.log.info('connection state', { from: this.state, to: state });
    this.state = state;
    this.options.emit({ type: 'connection', state });
  }
}

/**
 * The id of the newest message from someone else (not deleted) among the events that moved the
 * cursor from `before` to `after`; null when there is none.
 */
export function newestIncoming(events: readonly AppliedEvent[], selfId: string, before: number, after: number): string | null {
  let newest: { seq: number; id: string } | null = null;
  for (const event of events) {
    if (event.kind !== 'message' || event.senderId === selfId || event.deleted) continue;
    if (event.seq <= before || event.seq > after || (newest !== null && event.seq < newest.seq)) continue;
    newest = { seq: event.seq, id: event.clientMessageId };
  }
  return newest?.id ?? null;
}
