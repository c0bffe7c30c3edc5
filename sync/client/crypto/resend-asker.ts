/**
 * The receiving side of resends (Signal's decryption-error receipts, docs/e2ee-design.md): a
 * conversation envelope that stays unopened (envelopes_waiting) asks its sender's device, once, to
 * send what it said again. Keys come through the device inbox, read at each connection before the
 * catch-up and possibly a moment after a live envelope, so an envelope asks only once it has
 * waited `graceMs` with the inbox read; one that libsignal refused waits alike and asks too.
 *
 * The answer comes through the inbox: the content, applied as if the envelope had opened, or
 * "cannot"; with neither within `timeoutMs` the envelope shows as "This message could not be
 * decrypted" (a notice at its seq) and the conversation goes on. A key or content that comes even
 * later replaces the notice (the event applier takes it away).
 */
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime, TimerHandle } from '../../common/runtime.js';
import type { DeviceMessage } from '../../content/device-messages.js';
import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import type { AppliedEvent } from '../../content/opened-events.js';
import type { Mirror } from '../mirror/mirror.js';
import type { DeviceSender } from './device-sender.js';
import { shownOf } from './run-applier.js';
import type { ThisDevice } from './this-device.js';

export interface ResendTimings {
  /** How long an envelope waits, with the inbox read, before it asks. */
  graceMs: number;
  /** How long after asking an envelope shows as undecryptable when no answer came. */
  timeoutMs: number;
}

export const RESEND_TIMINGS: ResendTimings = { graceMs: 10_000, timeoutMs: 60_000 };

/** A device as the inbox attests it: the person, and which of their devices. */
export interface DeviceNumbered {
  userId: string;
  deviceNumber: number;
}

/** What a device message does to the mirror: `write` in the transaction that marks its envelope done, `told` after it. */
export interface MessageEffect {
  write(): void;
  told?(): void;
}

type Answer = Extract<DeviceMessage, { kind: 'resent_content' | 'cannot_resend' }>;

export class ResendAsker {
  /** When this connection's inbox was read; null while not connected (nothing is asked then). */
  private inboxReadAt: number | null = null;
  private timer: TimerHandle | null = null;
  /** When the scheduled look is due. */
  private timerDue = Number.POSITIVE_INFINITY;
  /** "conversationId seq" → when a run left the envelope waiting, on this connection. */
  private readonly waitingSince = new Map<string, number>();

  constructor(
    private readonly mirror: Mirror,
    private readonly runtime: Runtime,
    private readonly sender: Pick<DeviceSender, 'queueFor'>,
    private readonly device: () => Promise<ThisDevice | null>,
    private readonly selfId: string,
    private readonly log: Logger,
    private readonly timings: ResendTimings,
    private readonly hooks: {
      /** Envelopes of the conversation took effect (as these events), or showed as undecryptable (none). */
      shown(conversationId: string, shown: readonly AppliedEvent[]): void;
      failed(error: unknown): void;
    },
  ) {}

  /** The inbox was read on a new connection: what waits from now on asks after the grace. */
  inboxRead(): void {
    this.inboxReadAt = this.runtime.clock.now();
    this.schedule(this.timings.graceMs);
  }

  /** A run left these envelopes waiting: each asks once it has waited the grace. */
  leftWaiting(envelopes: readonly EnvelopeEvent[]): void {
    if (this.inboxReadAt === null || envelopes.length === 0) return;
    const now = this.runtime.clock.now();
    for (const envelope of envelopes) {
      const key = keyOf(envelope);
      if (!this.waitingSince.has(key)) this.waitingSince.set(key, now);
    }
    this.schedule(this.timings.graceMs);
  }

  disconnected(): void {
    this.inboxReadAt = null;
    this.waitingSince.clear();
    if (this.timer) this.runtime.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  /**
   * A resend request's answer from `from`: taken only for an envelope still waiting here that
   * this device asked for, and only from the device that sealed it (the pairwise session attests
   * it); anything else is logged by ids and ignored.
   */
  answered(from: DeviceNumbered, message: Answer): MessageEffect | null {
    const { conversationId, clientId } = message;
    const fields = { conversationId, clientId, from: `${from.userId}.${from.deviceNumber}`, kind: message.kind };
    const envelope = this.mirror
      .waitingEnvelopes(conversationId, (seq, error) =>
        this.log.warn('a waiting envelope did not read back', { conversationId, seq, ...errorFields(error) }),
      )
      .find((waiting) => waiting.clientId === clientId);
    if (!envelope || !this.mirror.resendRequests.of(conversationId).has(envelope.seq)) {
      this.log.info('an answer to a resend request nobody here is waiting for was ignored', fields);
      return null;
    }
    if (envelope.senderId !== from.userId || envelope.senderDevice !== from.deviceNumber) {
      this.log.warn('an answer to a resend request from a device that did not seal the envelope was ignored', fields);
      return null;
    }
    if (message.kind === 'cannot_resend') {
      return {
        write: () => void this.mirror.resendRequests.giveUp(envelope, this.runtime.clock.now()),
        told: () => this.hooks.shown(conversationId, []),
      };
    }
    const opened = new Map([[envelope.seq, message.content]]);
    return {
      write: () => this.mirror.applyResent(envelope, message.content, this.selfId),
      told: () => this.hooks.shown(conversationId, shownOf([envelope], opened)),
    };
  }

  /** Looks again at what waits `delayMs` from now, unless a look is due sooner. */
  private schedule(delayMs: number): void {
    if (this.inboxReadAt === null) return;
    const due = this.runtime.clock.now() + Math.max(0, delayMs);
    if (this.timer) {
      if (this.timerDue <= due) return;
      this.runtime.timers.clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = this.runtime.timers.setTimeout(
      () => {
        this.timer = null;
        this.timerDue = Number.POSITIVE_INFINITY;
        this.look().catch((error: unknown) => this.hooks.failed(error));
      },
      Math.max(0, delayMs),
    );
  }

  /** Asks for what waited the grace, gives up on what was asked for and not answered in time, and looks again when the next is due. */
  private async look(): Promise<void> {
    const readAt = this.inboxReadAt;
    const device = readAt === null ? null : await this.device();
    if (readAt === null || !device || this.inboxReadAt !== readAt) return;
    const now = this.runtime.clock.now();
    const { graceMs, timeoutMs } = this.timings;
    const givenUp = new Set<string>();
    let nextDue = Number.POSITIVE_INFINITY;
    // All at once, with no await: an envelope that opens meanwhile is never asked for nor given up on.
    this.mirror.transaction(() => {
      for (const conversationId of this.mirror.conversationsWithWaitingEnvelopes()) {
        const asked = this.mirror.resendRequests.of(conversationId);
        for (const envelope of this.waiting(device, conversationId)) {
          const request = asked.get(envelope.seq);
          if (request?.givenUp) continue;
          const due = request ? request.askedAt + timeoutMs : (this.waitingSince.get(keyOf(envelope)) ?? readAt) + graceMs;
          if (due > now) {
            nextDue = Math.min(nextDue, due);
          } else if (!request) {
            this.ask(device, envelope, now);
            nextDue = Math.min(nextDue, now + timeoutMs);
          } else if (this.mirror.resendRequests.giveUp(envelope, now)) {
            givenUp.add(conversationId);
          }
        }
      }
    });
    for (const conversationId of givenUp) this.hooks.shown(conversationId, []);
    if (nextDue !== Number.POSITIVE_INFINITY) this.schedule(nextDue - now);
  }

  /** The conversation's envelopes that wait here and another device sealed. */
  private waiting(device: ThisDevice, conversationId: string): EnvelopeEvent[] {
    const self = device.address;
    return this.mirror
      .waitingEnvelopes(conversationId, (seq, error) =>
        this.log.warn('a waiting envelope did not read back', { conversationId, seq, ...errorFields(error) }),
      )
      .filter((envelope) => envelope.senderId !== self.name() || envelope.senderDevice !== self.deviceId());
  }

  private ask(device: ThisDevice, envelope: EnvelopeEvent, now: number): void {
    const { conversationId, clientId, seq } = envelope;
    if (!this.mirror.resendRequests.noteAsked(conversationId, seq, now)) return;
    const distributionId = distributionIdOf(device, envelope);
    this.sender.queueFor(
      { userId: envelope.senderId, deviceNumber: envelope.senderDevice },
      { kind: 'resend_request', conversationId, clientId, ...(distributionId ? { distributionId } : {}) },
    );
    this.log.info('asked for an envelope that did not open to be sent again', {
      conversationId,
      seq,
      sender: `${envelope.senderId}.${envelope.senderDevice}`,
    });
  }
}

/** The sender key an envelope says it was sealed under; undefined when it does not say (garbage). */
function distributionIdOf(device: ThisDevice, envelope: EnvelopeEvent): string | undefined {
  try {
    return device.signal.SenderKeyMessage.deserialize(
      new Uint8Array(Buffer.from(envelope.ciphertext, 'base64')),
    ).distributionId();
  } catch {
    return undefined;
  }
}

const keyOf = (envelope: EnvelopeEvent) => `${envelope.conversationId} ${envelope.seq}`;
