/**
 * Group calls on this device (issue 32): who is in each group's call, as their end-to-end
 * encrypted announcements say (content/call-signals.ts: group_call_present and group_call_leave),
 * and the call this device is in. Nothing about a group call is stored, on the server or here: a
 * device says so to the whole group when it joins and leaves, and to the others in the call on
 * every change of what it sends and every heartbeat; one not heard from for staleAfterMs has left.
 * Every groupBeatMs the device in the call whose key sorts first tells the rest of the group who
 * is in it (common/group-call-limits.ts), so a device that comes online mid-call sees "Join call"
 * within a minute, and one that missed the last leave forgets the call. Each announcement costs a
 * seal per device it goes to, in the sender's envelope budget: hence the few to the whole group.
 *
 * The media is a full mesh: each pair of devices in the call has one peer connection, negotiated
 * through here (call_negotiation, addressed to the one device and its join, so an ICE restart
 * crossing a reload is not taken by the new peer connection), the device whose key sorts first
 * making the offers. Announcements are judged on the receiving device: only a member of a group
 * this person is in (not a message request, not someone blocked) is counted, and never more than
 * maxDevices, so a stranger can neither join nor crowd a call.
 */
import { AppApiError, type AppEvent } from '../../app-api/contract.js';
import {
  GROUP_CALL_LIMITS,
  type GroupCallDevice,
  type GroupCallsView,
  type GroupCallView,
} from '../../app-api/group-calls-api.js';
import type { CallMedia } from '../../common/call-machine.js';
import { initialSending, type CallNegotiation, type CallSending } from '../../common/call-negotiation.js';
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime, TimerHandle } from '../../common/runtime.js';
import type { CallSignal } from '../../content/call-signals.js';
import type { CallFacts } from './call-driver.js';
import { callRefused } from './call-refused.js';
import { signalsInOrder } from './signals-in-order.js';

export interface GroupCallDriverOptions {
  runtime: Runtime;
  selfId: string;
  log: Logger;
  facts: CallFacts;
  /** This device's number on the server, or null before the connection's welcome. */
  thisDevice(): number | null;
  /** Whether a one-to-one call rings or goes on here: a person is in one call at a time. */
  inOneToOneCall(): boolean;
  /** Sends a signal to every device of these people connected now. */
  send(userIds: readonly string[], signal: CallSignal): Promise<void>;
  emit(event: AppEvent): void;
  /** This device started a group's call (nobody was in one): its entry, for the group's log. */
  started(conversationId: string, callId: string, media: CallMedia): void;
}

interface HeardDevice extends GroupCallDevice {
  sending: CallSending;
  seenAt: number;
  /**
   * The participant's key: the device's, and which pairing of its join and this device's this is
   * (counted here), so either side joining again makes a new participant and a new peer connection.
   */
  key: string;
  /** Its join, as it says it; unknown for a device heard of only in another's list. */
  joinId?: string;
}

/** A group's call as heard: its id and the other devices in it. */
interface GoingCall {
  callId: string;
  devices: Map<string, HeardDevice>;
}

interface JoinedCall {
  callId: string;
  /** This device's join: new each time it joins, so negotiation meant for an earlier one is told apart. */
  joinId: string;
  /** When this device last told the whole group (its join, or a group beat). */
  toldGroupAt: number;
  conversationId: string;
  media: CallMedia;
  joinedAt: number;
  sending: CallSending;
  self: GroupCallDevice;
}

type GroupSignal = Extract<CallSignal, { kind: 'group_call_present' | 'group_call_leave' | 'call_negotiation' }>;

export const deviceKey = (device: GroupCallDevice) => `${device.userId}.${device.deviceNumber}`;

export class GroupCallDriver {
  private readonly going = new Map<string, GoingCall>();
  private joined: JoinedCall | null = null;
  /** Participant keys made so far: each join of another device, and each of this one's, makes new ones. */
  private keysMade = 0;
  private timer: TimerHandle | null = null;
  private readonly signal = signalsInOrder((userIds, signal) => this.options.send(userIds, signal));

  constructor(private readonly options: GroupCallDriverOptions) {}

  /** Joins the group's call, or starts one; resolves once the group was told. */
  async join(conversationId: string, media: CallMedia): Promise<{ callId: string }> {
    const { facts, runtime } = this.options;
    if (facts.peerOf(conversationId) !== null) {
      throw new AppApiError('invalid_argument', 'A direct conversation has one-to-one calls.');
    }
    if (facts.groupMembers(conversationId) === null) throw new AppApiError('refused', 'You are not in this group.');
    if (facts.isRequest(conversationId)) throw new AppApiError('refused', 'Accept the group first.');
    if (this.joined?.conversationId === conversationId) {
      // Joined already (the window was reloaded mid-call): the others make their peer connections
      // with it again, and so does it, as a new join, so what they sent its old ones is not taken.
      this.joined.joinId = runtime.random.hex(16);
      for (const device of this.going.get(conversationId)?.devices.values() ?? []) device.key = this.newKey(device);
      await this.announce(true, 'group').catch((error: unknown) => this.sendFailed(error));
      return { callId: this.joined.callId };
    }
    if (this.joined || this.options.inOneToOneCall()) throw new AppApiError('conflict', 'A call is on already.');
    const deviceNumber = this.options.thisDevice();
    if (deviceNumber === null) throw new AppApiError('offline', 'Calling needs a connection to the server.');
    this.prune();
    const going = this.going.get(conversationId);
    if (going && going.devices.size >= GROUP_CALL_LIMITS.maxDevices) throw new AppApiError('refused', 'The call is full.');
    const callId = going?.callId ?? runtime.random.hex(16);
    this.joined = {
      callId,
      joinId: runtime.random.hex(16),
      conversationId,
      media,
      joinedAt: runtime.clock.now(),
      toldGroupAt: runtime.clock.now(),
      sending: initialSending(media),
      self: { userId: this.options.selfId, deviceNumber },
    };
    if (!going) this.going.set(conversationId, { callId, devices: new Map() });
    try {
      await this.announce(true, 'group');
    } catch (error) {
      // Nobody heard of it: the call is no more joined than if the person had not tried.
      this.joined = null;
      this.forgetIfEmpty(conversationId);
      throw callRefused(error);
    }
    this.schedule();
    this.options.emit({ type: 'group_call' });
    if (!going) this.options.started(conversationId, callId, media);
    return { callId };
  }

  /** Leaves the call this device is in; the others are told, and drop it after a heartbeat if they miss that. */
  async leave(callId: string): Promise<null> {
    const joined = this.joined;
    if (!joined || joined.callId !== callId) throw new AppApiError('not_found', 'No such call here.');
    this.joined = null;
    this.forgetIfEmpty(joined.conversationId);
    this.schedule();
    this.options.emit({ type: 'group_call' });
    const audience = this.audience(joined.conversationId);
    if (audience.length === 0) return null;
    await this.signal(audience, { kind: 'group_call_leave', callId, conversationId: joined.conversationId }).catch(
      (error: unknown) => this.sendFailed(error),
    );
    return null;
  }

  async negotiate(callId: string, participantKey: string, negotiation: CallNegotiation): Promise<null> {
    const joined = this.joinedCall(callId);
    const devices = this.going.get(joined.conversationId)?.devices.values() ?? [];
    const to = [...devices].find((device) => device.key === participantKey);
    if (!to) throw new AppApiError('not_found', 'That participant is not in the call.');
    const forJoin = to.joinId === undefined ? {} : { forJoin: to.joinId };
    await this.signal([to.userId], { kind: 'call_negotiation', callId, forDevice: to.deviceNumber, ...forJoin, negotiation });
    return null;
  }

  async sendingChanged(callId: string, sending: CallSending): Promise<null> {
    this.joinedCall(callId).sending = sending;
    await this.announce(false, 'call');
    return null;
  }

  /** Whether this device is in a group call. */
  get inCall(): boolean {
    return this.joined !== null;
  }

  /** Whether a signal is this driver's: a group's announcement, or negotiation within the call joined here. */
  owns(signal: CallSignal): signal is GroupSignal {
    if (signal.kind === 'group_call_present' || signal.kind === 'group_call_leave') return true;
    return signal.kind === 'call_negotiation' && this.joined?.callId === signal.callId;
  }

  received(from: GroupCallDevice, signal: GroupSignal): void {
    if (signal.kind === 'call_negotiation') {
      const joined = this.joined;
      const participant = joined ? this.going.get(joined.conversationId)?.devices.get(deviceKey(from)) : undefined;
      const forEarlierJoin = signal.forJoin !== undefined && signal.forJoin !== joined?.joinId;
      if (participant && !forEarlierJoin) {
        this.options.emit({
          type: 'group_call_negotiation',
          callId: signal.callId,
          from,
          participantKey: participant.key,
          negotiation: signal.negotiation,
        });
      }
      return;
    }
    if (!this.mayAnnounce(from, signal.conversationId)) {
      this.options.log.info('dropped a group call signal from someone not in the group', { sender: from.userId });
      return;
    }
    if (signal.kind === 'group_call_leave') this.heardLeave(from, signal.conversationId, signal.callId);
    else this.heardPresent(from, signal);
  }

  view(): GroupCallsView {
    this.prune();
    const joined = this.joined;
    const going = [...this.going].map(([conversationId, call]) => {
      const deviceCount = call.devices.size + (joined?.conversationId === conversationId ? 1 : 0);
      return { conversationId, callId: call.callId, deviceCount, full: deviceCount >= GROUP_CALL_LIMITS.maxDevices };
    });
    return { going, joined: joined ? this.joinedView(joined) : null };
  }

  /** The session ended: nothing is due any more, and nothing heard is kept. */
  stop(): void {
    if (this.timer) this.options.runtime.timers.clearTimeout(this.timer);
    this.timer = null;
    this.going.clear();
    this.joined = null;
  }

  private joinedView(joined: JoinedCall): GroupCallView {
    const devices = [...(this.going.get(joined.conversationId)?.devices.values() ?? [])].sort((a, b) =>
      deviceKey(a) < deviceKey(b) ? -1 : 1,
    );
    const participants = devices.map(({ key, userId, deviceNumber, sending }) => {
      const user = this.options.facts.user(userId) ?? { id: userId, username: '', displayName: '' };
      const negotiates = deviceKey(joined.self) < deviceKey({ userId, deviceNumber }) ? ('offer' as const) : ('answer' as const);
      return { key, userId, deviceNumber, user, sending, negotiates };
    });
    const { callId, conversationId, media, joinedAt } = joined;
    return { callId, conversationId, media, joinedAt, participants };
  }

  private heardPresent(from: GroupCallDevice, signal: Extract<CallSignal, { kind: 'group_call_present' }>): void {
    const now = this.options.runtime.clock.now();
    const { conversationId } = signal;
    const key = deviceKey(from);
    let call = this.going.get(conversationId);
    if (!call) {
      call = { callId: signal.callId, devices: new Map() };
      this.going.set(conversationId, call);
    } else if (call.callId !== signal.callId) {
      // Two started at once: the call whose id sorts first is the group's, and every device moves to it.
      if (signal.callId > call.callId) {
        if (this.joined?.conversationId === conversationId) this.answerJoiner(from);
        return;
      }
      // The devices heard so far stay: they move to it too when they hear this.
      call.callId = signal.callId;
      if (this.joined?.conversationId === conversationId) {
        this.joined.callId = signal.callId;
        void this.announce(true, 'group').catch((error: unknown) => this.sendFailed(error));
      }
    }
    const here = this.joined?.conversationId === conversationId ? 1 : 0;
    if (signal.inCall && here === 0 && this.heardWhoIsIn(call, from, signal.inCall, now)) {
      this.schedule();
      this.options.emit({ type: 'group_call' });
    }
    const known = call.devices.get(key);
    if (!known && call.devices.size + here >= GROUP_CALL_LIMITS.maxDevices) {
      this.options.log.info('a group call is full: a device more is not counted', { sender: from.userId });
      return;
    }
    // A device that says it just joined, or with a join new to this one, though known, joined again
    // (its window reloaded, its app restarted, or that join's announcement was missed).
    const rejoined = known !== undefined && (signal.joined || (known.joinId !== undefined && known.joinId !== signal.joinId));
    const participantKey = known && !rejoined ? known.key : this.newKey(from);
    call.devices.set(key, { ...from, sending: signal.sending, seenAt: now, key: participantKey, joinId: signal.joinId });
    if (signal.joined && here === 1) this.answerJoiner(from);
    this.schedule();
    const changed = !known || rejoined || JSON.stringify(known.sending) !== JSON.stringify(signal.sending);
    if (changed) this.options.emit({ type: 'group_call' });
  }

  private heardLeave(from: GroupCallDevice, conversationId: string, callId: string): void {
    const call = this.going.get(conversationId);
    if (!call || call.callId !== callId || !call.devices.delete(deviceKey(from))) return;
    this.forgetIfEmpty(conversationId);
    this.schedule();
    this.options.emit({ type: 'group_call' });
  }

  /**
   * Who is in the call as a device in it tells the group (this device is not in it): those it
   * lists are heard now. Its list may lag behind (a join it has not heard yet), so one it leaves out
   * goes only when it leaves or is not heard of in time. True when someone new is counted.
   */
  private heardWhoIsIn(call: GoingCall, from: GroupCallDevice, inCall: readonly GroupCallDevice[], now: number): boolean {
    let changed = false;
    for (const device of [from, ...inCall]) {
      const key = deviceKey(device);
      const known = call.devices.get(key);
      if (!known && call.devices.size >= GROUP_CALL_LIMITS.maxDevices) continue;
      if (!known) changed = true;
      const { userId, deviceNumber } = device;
      const sending = known?.sending ?? initialSending('audio');
      call.devices.set(key, {
        userId,
        deviceNumber,
        sending,
        seenAt: now,
        key: known?.key ?? this.newKey(device),
        joinId: known?.joinId,
      });
    }
    return changed;
  }

  private newKey(device: GroupCallDevice): string {
    return `${deviceKey(device)}#${++this.keysMade}`;
  }

  /** A device that just joined learns at once who is in the call, without waiting for their heartbeats. */
  private answerJoiner(to: GroupCallDevice): void {
    void this.announce(false, to).catch((error: unknown) => this.sendFailed(error));
  }

  /**
   * Says that this device is in its call, sending what it sends now: to the whole group (with who
   * is in the call, for those who are not), to the others in the call, or to one device.
   */
  private announce(justJoined: boolean, to: 'group' | 'call' | GroupCallDevice): Promise<void> {
    const joined = this.joined;
    if (!joined) return Promise.resolve();
    const devices = [...(this.going.get(joined.conversationId)?.devices.values() ?? [])];
    const userIds =
      to === 'group' ? this.audience(joined.conversationId) : to === 'call' ? devices.map((d) => d.userId) : [to.userId];
    const recipients = [...new Set(userIds)];
    if (recipients.length === 0) return Promise.resolve();
    if (to === 'group') joined.toldGroupAt = this.options.runtime.clock.now();
    return this.signal(recipients, {
      kind: 'group_call_present',
      callId: joined.callId,
      conversationId: joined.conversationId,
      sending: joined.sending,
      joined: justJoined,
      joinId: joined.joinId,
      ...(typeof to === 'object' ? { forDevice: to.deviceNumber } : {}),
      ...(to === 'group'
        ? { inCall: [joined.self, ...devices.map(({ userId, deviceNumber }) => ({ userId, deviceNumber }))] }
        : {}),
    });
  }

  /**
   * Whether it is this device's turn to tell the whole group who is in the call: it is the one in
   * the call whose key sorts first, it has not for a while, and the group is small enough.
   */
  private groupBeatDue(joined: JoinedCall): boolean {
    const devices = this.going.get(joined.conversationId)?.devices.values() ?? [];
    const first = [...devices].every((device) => deviceKey(joined.self) < deviceKey(device));
    const members = this.options.facts.groupMembers(joined.conversationId)?.length ?? 0;
    const due = this.options.runtime.clock.now() - joined.toldGroupAt >= GROUP_CALL_LIMITS.groupBeatMs;
    return first && due && members <= GROUP_CALL_LIMITS.maxMembersBeatenTo;
  }

  /** The group's members this device tells about its call: everyone but those blocked, this person's other devices included. */
  private audience(conversationId: string): string[] {
    const members = this.options.facts.groupMembers(conversationId) ?? [];
    return members.filter((userId) => !this.options.facts.isBlocked(userId));
  }

  private mayAnnounce(from: GroupCallDevice, conversationId: string): boolean {
    const { facts } = this.options;
    const members = facts.groupMembers(conversationId);
    return members !== null && members.includes(from.userId) && !facts.isRequest(conversationId) && !facts.isBlocked(from.userId);
  }

  private joinedCall(callId: string): JoinedCall {
    if (!this.joined || this.joined.callId !== callId) throw new AppApiError('conflict', 'The call is not on.');
    return this.joined;
  }

  /**
   * Forgets the devices not heard from in time: soon in the call this device is in, where they beat
   * often, later in others, of which it hears now and then; tells the renderer when any went.
   */
  private prune(): boolean {
    const now = this.options.runtime.clock.now();
    let changed = false;
    for (const [conversationId, call] of this.going) {
      const inIt = this.joined?.conversationId === conversationId;
      const before = now - (inIt ? GROUP_CALL_LIMITS.staleAfterMs : GROUP_CALL_LIMITS.outsiderStaleAfterMs);
      for (const [key, device] of call.devices) {
        if (device.seenAt >= before) continue;
        call.devices.delete(key);
        changed = true;
      }
      this.forgetIfEmpty(conversationId);
    }
    return changed;
  }

  private forgetIfEmpty(conversationId: string): void {
    if (this.going.get(conversationId)?.devices.size === 0 && this.joined?.conversationId !== conversationId) {
      this.going.delete(conversationId);
    }
  }

  /** One timer: the heartbeat while in a call, and forgetting the silent while any call is heard of. */
  private schedule(): void {
    if (this.timer) return;
    if (!this.joined && this.going.size === 0) return;
    this.timer = this.options.runtime.timers.setTimeout(() => {
      this.timer = null;
      this.beat();
    }, GROUP_CALL_LIMITS.heartbeatMs);
  }

  private beat(): void {
    const joined = this.joined;
    if (joined && this.options.facts.groupMembers(joined.conversationId) === null) {
      // Removed from the group (or it left) mid-call: the call is no longer this person's.
      void this.leave(joined.callId);
    } else if (joined) {
      this.announce(false, this.groupBeatDue(joined) ? 'group' : 'call').catch((error: unknown) => this.sendFailed(error));
    }
    if (this.prune()) this.options.emit({ type: 'group_call' });
    this.schedule();
  }

  private sendFailed(error: unknown): void {
    this.options.log.warn('a group call signal could not be sent', errorFields(error));
  }
}
