/**
 * This device's calls (issue 32): the pure machine (common/call-machine.ts) driven by what the
 * person does, what the other devices' signals say (content/call-signals.ts, end-to-end encrypted
 * and never stored), what the renderer reports of the media, and one timer. The machine decides;
 * this carries its effects out: signals sent, in order, to the other person's devices or this
 * person's own, the renderer told, the call's entry handed on when it ends.
 *
 * Who may ring is judged here, on the receiving device: the other person of a direct conversation
 * this device trusts (not a message request) and has not blocked. Anyone else's offer is dropped
 * without a word, so a stranger learns nothing from ringing.
 */
import { AppApiError, type AppEvent } from '../../app-api/contract.js';
import type { CallView } from '../../app-api/calls-api.js';
import {
  dueAt,
  IDLE,
  step,
  type CallEffect,
  type CallEntry,
  type CallEvent,
  type CallMedia,
  type CallState,
} from '../../common/call-machine.js';
import { initialSending, type CallNegotiation, type CallSending } from '../../common/call-negotiation.js';
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime, TimerHandle } from '../../common/runtime.js';
import type { CallSignal } from '../../content/call-signals.js';
import type { User } from '../../protocol/frames.js';
import type { DirectStanding } from '../mirror/request-standing.js';
import { callRefused } from './call-refused.js';
import { signalsInOrder } from './signals-in-order.js';

/** What this device knows that decides who may ring whom. */
export interface CallFacts {
  /**
   * A direct conversation's other person, whether this person blocked them and whether it waits
   * as a message request not accepted; null for a group, or one this device does not have. One
   * read, since every ring asks it on both sides.
   */
  direct(conversationId: string): DirectStanding | null;
  /** The other person of a direct conversation; null for a group, or one this device does not have. */
  peerOf(conversationId: string): string | null;
  /** Whether the conversation waits as a message request this person has not accepted. */
  isRequest(conversationId: string): boolean;
  isBlocked(userId: string): boolean;
  user(userId: string): User | null;
  /** The members of a group this person is in, themselves included; null for a direct conversation or a group they are not in. */
  groupMembers(conversationId: string): readonly string[] | null;
}

export interface CallDriverOptions {
  runtime: Runtime;
  selfId: string;
  log: Logger;
  facts: CallFacts;
  /** Whether this device is in a group call (group-call-driver.ts): a person is in one call at a time. */
  inGroupCall(): boolean;
  /** Sends a signal to every device of these people connected now (the account's own others when it is one). */
  send(userIds: readonly string[], signal: CallSignal): Promise<void>;
  emit(event: AppEvent): void;
  /** The call ended here: its entry, for the conversation's log. */
  ended(conversationId: string, entry: CallEntry): void;
}

type From = { userId: string; deviceNumber: number };

export class CallDriver {
  private state: CallState = IDLE;
  private conversationId: string | null = null;
  /** The other person's device in the call: the one that rang here, or the one that answered. */
  private peerDevice: number | null = null;
  private peerSending: CallSending = initialSending('audio');
  private timer: TimerHandle | null = null;
  private readonly signal = signalsInOrder((userIds, signal) => this.options.send(userIds, signal));

  constructor(private readonly options: CallDriverOptions) {}

  /** Rings the other person of a direct conversation; resolves once the ring went out. */
  async start(conversationId: string, media: CallMedia): Promise<{ callId: string }> {
    const direct = this.options.facts.direct(conversationId);
    if (!direct) throw new AppApiError('invalid_argument', 'Calls are between the two people of a direct conversation.');
    if (direct.blocked) throw new AppApiError('refused', 'You blocked this person.');
    if (direct.request) throw new AppApiError('refused', 'Accept the message request before calling.');
    const { peerId } = direct;
    if ((this.state.phase !== 'idle' && this.state.phase !== 'ended') || this.options.inGroupCall()) {
      throw new AppApiError('conflict', 'A call is on already.');
    }
    const callId = this.options.runtime.random.hex(16);
    this.conversationId = conversationId;
    this.peerDevice = null;
    this.peerSending = initialSending(media);
    const effects = this.advance({ type: 'start', callId, peerId, media });
    try {
      await this.carryOut(effects, null);
    } catch (error) {
      // The ring never left: the call is no more than if it had not been made.
      if (this.current(callId) && this.view()?.phase === 'outgoing') this.reset();
      throw callRefused(error);
    }
    return { callId };
  }

  accept(callId: string, media: CallMedia): Promise<null> {
    return this.act(callId, { type: 'accept', media });
  }

  decline(callId: string): Promise<null> {
    return this.act(callId, { type: 'decline' });
  }

  hangUp(callId: string): Promise<null> {
    return this.act(callId, { type: 'hang_up' });
  }

  dismiss(callId: string): null {
    if (this.current(callId) && this.state.phase === 'ended') this.reset();
    return null;
  }

  /** The renderer's description or candidates, for the other device in the call. */
  async negotiate(callId: string, negotiation: CallNegotiation): Promise<null> {
    const peer = this.livePeer(callId);
    await this.signal([peer.userId], { kind: 'call_negotiation', callId, forDevice: peer.deviceNumber, negotiation });
    return null;
  }

  async sendingChanged(callId: string, sending: CallSending): Promise<null> {
    const peer = this.livePeer(callId);
    await this.signal([peer.userId], { kind: 'call_sending', callId, forDevice: peer.deviceNumber, sending });
    return null;
  }

  mediaReport(callId: string, status: 'connected' | 'disconnected' | 'failed'): Promise<null> {
    if (!this.current(callId)) return Promise.resolve(null);
    const type = status === 'connected' ? 'media_connected' : status === 'disconnected' ? 'media_disconnected' : 'media_failed';
    return this.act(callId, { type });
  }

  view(): CallView | null {
    const state = this.state;
    if (state.phase === 'idle' || this.conversationId === null) return null;
    const live = state.phase === 'connecting' || state.phase === 'connected' || state.phase === 'reconnecting';
    return {
      callId: state.callId,
      conversationId: this.conversationId,
      peer: this.options.facts.user(state.peerId) ?? { id: state.peerId, username: '', displayName: '' },
      media: state.media,
      direction: state.direction,
      phase: state.phase,
      negotiates: live ? (state.direction === 'incoming' ? 'offer' : 'answer') : null,
      connectedAt: state.phase === 'connected' || state.phase === 'reconnecting' ? state.connectedAt : null,
      ended: state.phase === 'ended' ? { reason: state.reason, durationMs: state.durationMs } : null,
      peerSending: this.peerSending,
    };
  }

  /** What another device's signal said (calls/call-signal-router.ts: read, and meant for this device). */
  received(from: From, signal: CallSignal): void {
    const effects = this.judge(from, signal);
    if (effects.length > 0) this.carryOut(effects, from).catch((error: unknown) => this.sendFailed(error));
  }

  /** The effects of a signal from `from`, once it is found to be theirs to send. */
  private judge(from: From, signal: CallSignal): CallEffect[] {
    const { facts } = this.options;
    if (signal.kind === 'call_handled') {
      if (from.userId !== this.options.selfId) return [];
      const type = signal.outcome === 'answered' ? 'answered_elsewhere' : 'declined_elsewhere';
      return this.advance({ type, callId: signal.callId });
    }
    if (from.userId === this.options.selfId) return [];
    if (signal.kind === 'call_offer') {
      if (this.options.inGroupCall()) {
        // In a group call here: the caller hears "busy" as from any call, and nothing rings.
        void this.signal([from.userId], { kind: 'call_busy', callId: signal.callId, forDevice: from.deviceNumber });
        return [];
      }
      const direct = facts.direct(signal.conversationId);
      const trusted = direct !== null && direct.peerId === from.userId && !direct.request && !direct.blocked;
      if (!trusted) {
        this.options.log.info('dropped a call offer from someone who may not ring here', { sender: from.userId });
        return [];
      }
      const offer = { type: 'offer', callId: signal.callId, peerId: from.userId, media: signal.media } as const;
      // The call's conversation and device are known before anyone is told it rings.
      const effects = this.advance(offer, (state) => {
        if (!('callId' in state) || state.callId !== signal.callId) return;
        this.conversationId = signal.conversationId;
        this.peerDevice = from.deviceNumber;
        this.peerSending = initialSending(signal.media);
      });
      // A busy answer goes to the device that rang, which is not the one in the call here.
      return effects.map((effect) => (effect.type === 'send_busy' ? { ...effect, peerId: from.userId } : effect));
    }
    if (!this.current(signal.callId) || !('peerId' in this.state) || this.state.peerId !== from.userId) return [];
    const fromPeerDevice = this.peerDevice === null || this.peerDevice === from.deviceNumber;
    switch (signal.kind) {
      case 'call_answer':
        if (this.state.phase !== 'outgoing') {
          // Another of their devices answered too, a moment later: it is not in this call.
          if (!fromPeerDevice)
            void this.signal([from.userId], { kind: 'call_hang_up', callId: signal.callId, forDevice: from.deviceNumber });
          return [];
        }
        this.peerDevice = from.deviceNumber;
        return this.advance({ type: 'answered', callId: signal.callId });
      case 'call_decline':
        return this.advance({ type: 'remote_declined', callId: signal.callId });
      case 'call_busy':
        return this.advance({ type: 'remote_busy', callId: signal.callId });
      case 'call_hang_up':
        return fromPeerDevice ? this.advance({ type: 'remote_hang_up', callId: signal.callId }) : [];
      case 'call_negotiation':
        if (fromPeerDevice && this.isLive()) {
          this.options.emit({ type: 'call_negotiation', callId: signal.callId, negotiation: signal.negotiation });
        }
        return [];
      case 'call_sending':
        if (fromPeerDevice && this.isLive()) {
          this.peerSending = signal.sending;
          this.options.emit({ type: 'call' });
        }
        return [];
      case 'group_call_present':
      case 'group_call_leave':
        // A group's: the router hands them to the group call driver.
        return [];
    }
  }

  private async act(callId: string, event: CallEvent): Promise<null> {
    if (!this.current(callId)) throw new AppApiError('not_found', 'No such call here.');
    await this.carryOut(this.advance(event), null).catch((error: unknown) => this.sendFailed(error));
    return null;
  }

  /** Steps the machine, keeps the timer at what is due next, and tells the renderer when the call changed. */
  private advance(event: CallEvent, adopt?: (state: CallState) => void): CallEffect[] {
    const now = this.options.runtime.clock.now();
    const { state, effects } = step(this.state, event, now);
    if (state === this.state) return effects;
    this.state = state;
    adopt?.(state);
    this.schedule();
    this.options.emit({ type: 'call' });
    return effects;
  }

  private schedule(): void {
    const { timers, clock } = this.options.runtime;
    if (this.timer) timers.clearTimeout(this.timer);
    this.timer = null;
    const due = dueAt(this.state);
    if (due === null) return;
    this.timer = timers.setTimeout(
      () => {
        this.timer = null;
        this.carryOut(this.advance({ type: 'tick' }), null).catch((error: unknown) => this.sendFailed(error));
      },
      Math.max(0, due - clock.now()),
    );
  }

  private async carryOut(effects: readonly CallEffect[], from: From | null): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const effect of effects) {
      const sent = this.carryOutOne(effect, from);
      if (sent) sends.push(sent);
    }
    await Promise.all(sends);
  }

  private carryOutOne(effect: CallEffect, from: From | null): Promise<void> | null {
    const forDevice = this.peerDevice ?? undefined;
    switch (effect.type) {
      case 'send_offer':
        return this.signal([effect.peerId], {
          kind: 'call_offer',
          callId: effect.callId,
          conversationId: this.conversationId!,
          media: effect.media,
        });
      case 'send_answer':
        return this.signal([effect.peerId], { kind: 'call_answer', callId: effect.callId, forDevice, media: effect.media });
      case 'send_hang_up':
        return this.signal([effect.peerId], { kind: 'call_hang_up', callId: effect.callId, forDevice });
      case 'send_decline':
        return this.signal([effect.peerId], { kind: 'call_decline', callId: effect.callId, forDevice });
      case 'send_busy':
        return this.signal([effect.peerId], { kind: 'call_busy', callId: effect.callId, forDevice: from?.deviceNumber });
      case 'withdraw':
        // To all their devices: the one that rang here is not the only one that rang for it.
        return this.signal([effect.peerId], { kind: 'call_hang_up', callId: effect.callId });
      case 'tell_own_devices':
        return this.signal([this.options.selfId], { kind: 'call_handled', callId: effect.callId, outcome: effect.outcome });
      case 'restart_ice':
        this.options.emit({ type: 'call_restart_ice', callId: effect.callId });
        return null;
      case 'record':
        if (this.conversationId) this.options.ended(this.conversationId, effect.entry);
        return null;
      case 'ring':
      case 'stop_ringing':
        // The renderer rings while the view says 'ringing'.
        return null;
    }
  }

  private sendFailed(error: unknown): void {
    this.options.log.warn('a call signal could not be sent', errorFields(error));
  }

  private current(callId: string): boolean {
    return 'callId' in this.state && this.state.callId === callId;
  }

  private isLive(): boolean {
    const { phase } = this.state;
    return phase === 'connecting' || phase === 'connected' || phase === 'reconnecting';
  }

  /** The other person's device in the live call `callId`; refused when there is none. */
  private livePeer(callId: string): From {
    if (!this.current(callId) || !this.isLive() || !('peerId' in this.state) || this.peerDevice === null) {
      throw new AppApiError('conflict', 'The call is not on.');
    }
    return { userId: this.state.peerId, deviceNumber: this.peerDevice };
  }

  /** The session ended: nothing is due any more. */
  stop(): void {
    if (this.timer) this.options.runtime.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private reset(): void {
    this.state = IDLE;
    this.conversationId = null;
    this.peerDevice = null;
    this.schedule();
    this.options.emit({ type: 'call' });
  }
}
