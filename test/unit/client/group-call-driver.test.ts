/**
 * The group call driver's judgement and timing (calls/group-call-driver.ts) on a hand-moved clock:
 * only members of the group are counted, never more than the call holds; a device silent past
 * the stale time drops out while those that keep saying so stay; two calls started at once become
 * the one whose id sorts first; a person removed from the group mid-call leaves it.
 */
import { describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { GROUP_CALL_LIMITS } from '../../../sync/app-api/group-calls-api.js';
import { SILENT_LOGGER } from '../../../sync/common/logger.js';
import type { CallFacts } from '../../../sync/client/calls/call-driver.js';
import { GroupCallDriver } from '../../../sync/client/calls/group-call-driver.js';
import type { CallSignal } from '../../../sync/content/call-signals.js';
import { handRuntime, settle } from '../../support/hand-runtime.js';

const SELF = 'ann';
const THIS_DEVICE = 1;
const GROUP = 'trip';
const EVERYONE = [SELF, 'bob', 'carol', 'mallory', ...Array.from({ length: 10 }, (_, i) => `m${i}`)];

function aDriver() {
  const { runtime, advance } = handRuntime();
  let ids = 0;
  runtime.random.hex = () => `${String(++ids).padStart(4, '0')}${'f'.repeat(28)}`;
  const members = new Set(EVERYONE.filter((userId) => userId !== 'mallory'));
  const blocked = new Set<string>();
  const facts: CallFacts = {
    peerOf: (id) => (id === 'with-bob' ? 'bob' : null),
    isRequest: () => false,
    isBlocked: (userId) => blocked.has(userId),
    user: (id) => ({ id, username: id, displayName: id.toUpperCase() }),
    groupMembers: (id) => (id === GROUP && members.has(SELF) ? [...members] : null),
    direct(id) {
      const peerId = this.peerOf(id);
      return peerId === null ? null : { peerId, blocked: this.isBlocked(peerId), request: this.isRequest(id) };
    },
  };
  const sent: Array<{ to: readonly string[]; signal: CallSignal }> = [];
  const events: AppEvent[] = [];
  const started: Array<{ conversationId: string; callId: string; media: string }> = [];
  const driver = new GroupCallDriver({
    runtime,
    selfId: SELF,
    log: SILENT_LOGGER,
    facts,
    thisDevice: () => THIS_DEVICE,
    inOneToOneCall: () => false,
    send: async (to, signal) => void sent.push({ to, signal }),
    emit: (event) => events.push(event),
    started: (conversationId, callId, media) => started.push({ conversationId, callId, media }),
  });
  const present = (userId: string, callId: string, { deviceNumber = 1, joined = false, joinId = FIRST_JOIN } = {}) => {
    const signal = {
      kind: 'group_call_present' as const,
      callId,
      conversationId: GROUP,
      sending: { audio: true, video: true, screen: false },
      joined,
      joinId,
    };
    driver.received({ userId, deviceNumber }, signal);
  };
  const inCall = () => driver.view().joined?.participants.map((p) => p.key) ?? [];
  return { driver, sent, events, started, present, inCall, advance, members, blocked };
}

const CALL = '1'.repeat(32);
const FIRST_JOIN = 'a'.repeat(32);
const SECOND_JOIN = 'b'.repeat(32);

describe('the group call driver', () => {
  it('counts only the group’s members, not someone blocked, and never more devices than a call holds', async () => {
    const { driver, present, inCall, blocked, sent } = aDriver();
    blocked.add('carol');
    const { callId } = await driver.join(GROUP, 'video');
    expect(sent.at(-1)?.to).not.toContain('carol');
    present('mallory', callId);
    present('carol', callId);
    expect(inCall()).toEqual([]);
    present('bob', callId, { joined: true });
    await settle();
    // A device that just joined is answered at once, to it alone.
    expect(sent.at(-1)).toMatchObject({ to: ['bob'], signal: { kind: 'group_call_present', forDevice: 1, joined: false } });
    for (let i = 0; i < 10; i++) present(`m${i}`, callId);
    expect(inCall()).toHaveLength(GROUP_CALL_LIMITS.maxDevices - 1);
    expect(driver.view().going).toEqual([
      { conversationId: GROUP, callId, deviceCount: GROUP_CALL_LIMITS.maxDevices, full: true },
    ]);
  });

  it('leaves an entry in the group’s log only for a call it starts, not for one it joins', async () => {
    const { driver, present, started } = aDriver();
    const { callId } = await driver.join(GROUP, 'video');
    expect(started).toEqual([{ conversationId: GROUP, callId, media: 'video' }]);
    await driver.leave(callId);
    present('bob', CALL);
    await driver.join(GROUP, 'audio');
    expect(started).toHaveLength(1);
  });

  it('refuses to join a call that is full', async () => {
    const { driver, present } = aDriver();
    for (let i = 0; i < 10; i++) present(`m${i}`, CALL);
    expect(driver.view().going[0]).toMatchObject({ deviceCount: GROUP_CALL_LIMITS.maxDevices, full: true });
    await expect(driver.join(GROUP, 'audio')).rejects.toMatchObject({ code: 'refused' });
    expect(driver.view().joined).toBeNull();
  });

  it('says it is in the call every heartbeat; forgets a device silent past the stale time, keeps one that speaks', async () => {
    const { driver, present, inCall, advance, sent, events } = aDriver();
    const { callId } = await driver.join(GROUP, 'audio');
    present('bob', callId);
    present('carol', callId);
    const beats = () => sent.filter(({ signal }) => signal.kind === 'group_call_present' && !('forDevice' in signal)).length;
    const before = beats();
    for (let elapsed = 0; elapsed < GROUP_CALL_LIMITS.staleAfterMs; elapsed += GROUP_CALL_LIMITS.heartbeatMs) {
      await advance(GROUP_CALL_LIMITS.heartbeatMs);
      present('bob', callId);
    }
    expect(beats() - before).toBe(Math.ceil(GROUP_CALL_LIMITS.staleAfterMs / GROUP_CALL_LIMITS.heartbeatMs));
    expect(inCall()).toEqual([expect.stringMatching(/^bob\.1#/)]);
    expect(events.at(-1)).toEqual({ type: 'group_call' });
  });

  it('a call nobody is heard from any more stops showing to someone not in it', async () => {
    const { driver, present, advance } = aDriver();
    present('bob', CALL);
    expect(driver.view().going).toHaveLength(1);
    // Those not in a call hear of it only now and then: it stays past the stale time of those in it.
    await advance(GROUP_CALL_LIMITS.staleAfterMs + GROUP_CALL_LIMITS.heartbeatMs);
    expect(driver.view().going).toHaveLength(1);
    await advance(GROUP_CALL_LIMITS.outsiderStaleAfterMs);
    expect(driver.view().going).toEqual([]);
  });

  it('beats to the others in the call; only the device whose key sorts first tells the whole group, now and then, who is in it', async () => {
    const { driver, present, sent, advance } = aDriver();
    const { callId } = await driver.join(GROUP, 'audio');
    present('bob', callId);
    present('carol', callId);
    sent.length = 0;
    const minute = GROUP_CALL_LIMITS.groupBeatMs;
    for (let elapsed = 0; elapsed < minute; elapsed += GROUP_CALL_LIMITS.heartbeatMs) {
      await advance(GROUP_CALL_LIMITS.heartbeatMs);
      present('bob', callId);
      present('carol', callId);
    }
    const toGroup = sent.filter(({ to }) => to.length > 2);
    const toCall = sent.filter(({ to }) => to.length === 2);
    expect(toCall.every(({ to }) => [...to].sort().join() === 'bob,carol')).toBe(true);
    expect(toCall.length).toBe(minute / GROUP_CALL_LIMITS.heartbeatMs - 1);
    expect(toGroup).toHaveLength(1);
    expect(toGroup[0]!.signal).toMatchObject({
      kind: 'group_call_present',
      joined: false,
      inCall: [
        { userId: SELF, deviceNumber: THIS_DEVICE },
        { userId: 'bob', deviceNumber: 1 },
        { userId: 'carol', deviceNumber: 1 },
      ],
    });
  });

  it('never beats to a group too big for its envelope budget: those not in the call there hear only joins and leaves', async () => {
    const { driver, members, sent, advance } = aDriver();
    for (let i = 0; i < GROUP_CALL_LIMITS.maxMembersBeatenTo; i++) members.add(`crowd${i}`);
    const { callId } = await driver.join(GROUP, 'audio');
    expect(sent.at(-1)?.to.length).toBe(members.size);
    sent.length = 0;
    await advance(2 * GROUP_CALL_LIMITS.groupBeatMs);
    expect(sent).toEqual([]);
    await driver.leave(callId);
    expect(sent.at(-1)).toMatchObject({ to: [...members], signal: { kind: 'group_call_leave' } });
  });

  it('someone not in the call counts who a device in it says is in it, and forgets those not heard of in time', async () => {
    const { driver, advance } = aDriver();
    const beat = (inCall: Array<{ userId: string; deviceNumber: number }>) =>
      driver.received(
        { userId: 'bob', deviceNumber: 1 },
        {
          kind: 'group_call_present',
          callId: CALL,
          conversationId: GROUP,
          sending: { audio: true, video: false, screen: false },
          joined: false,
          joinId: FIRST_JOIN,
          inCall,
        },
      );
    beat([
      { userId: 'bob', deviceNumber: 1 },
      { userId: 'carol', deviceNumber: 2 },
      { userId: 'm1', deviceNumber: 1 },
    ]);
    expect(driver.view().going[0]).toMatchObject({ callId: CALL, deviceCount: 3 });
    // A list that lags behind drops nobody: Carol's device goes when it is not heard of in time.
    await advance(GROUP_CALL_LIMITS.groupBeatMs);
    beat([
      { userId: 'bob', deviceNumber: 1 },
      { userId: 'm1', deviceNumber: 1 },
    ]);
    expect(driver.view().going[0]).toMatchObject({ deviceCount: 3 });
    await advance(GROUP_CALL_LIMITS.outsiderStaleAfterMs - GROUP_CALL_LIMITS.groupBeatMs + GROUP_CALL_LIMITS.heartbeatMs);
    expect(driver.view().going[0]).toMatchObject({ deviceCount: 2 });
  });

  it('two calls started at once become one: the id that sorts first, to which the other side moves', async () => {
    const { driver, present, sent } = aDriver();
    const { callId: mine } = await driver.join(GROUP, 'audio');
    const earlier = '0'.repeat(32);
    expect(earlier < mine).toBe(true);
    present('bob', earlier, { joined: true });
    await settle();
    expect(driver.view().joined?.callId).toBe(earlier);
    // This device says so to the whole group, as one just joined, so every device moves to it.
    const toGroup = sent.filter(({ to, signal }) => to.length > 1 && signal.kind === 'group_call_present');
    expect(toGroup.at(-1)?.signal).toMatchObject({ callId: earlier, joined: true });
    // A later id heard after is not counted; its device is told of this call instead.
    present('carol', 'z'.repeat(32), { joined: true });
    await settle();
    expect(driver.view().joined?.participants.map((p) => p.userId)).toEqual(['bob']);
    expect(sent.at(-1)).toMatchObject({ to: ['carol'], signal: { callId: earlier, forDevice: 1 } });
  });

  it('negotiation is taken only from a device in the call joined here, and sent only to one', async () => {
    const { driver, present, events } = aDriver();
    const { callId } = await driver.join(GROUP, 'audio');
    present('bob', callId);
    const offer = { kind: 'description' as const, type: 'offer' as const, sdp: 'v=0' };
    driver.received({ userId: 'carol', deviceNumber: 1 }, { kind: 'call_negotiation', callId, negotiation: offer });
    driver.received({ userId: 'bob', deviceNumber: 1 }, { kind: 'call_negotiation', callId, negotiation: offer });
    expect(events.filter((event) => event.type === 'group_call_negotiation')).toEqual([
      {
        type: 'group_call_negotiation',
        callId,
        from: { userId: 'bob', deviceNumber: 1 },
        participantKey: driver.view().joined!.participants[0]!.key,
        negotiation: offer,
      },
    ]);
    await expect(driver.negotiate(callId, 'carol.1#9', offer)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a device that joins again is a new participant, and its negotiation says so', async () => {
    const { driver, present, events } = aDriver();
    const { callId } = await driver.join(GROUP, 'audio');
    present('bob', callId, { joined: true });
    const first = driver.view().joined!.participants[0]!.key;
    present('bob', callId);
    expect(driver.view().joined!.participants[0]!.key).toBe(first);
    const before = events.length;
    present('bob', callId, { joined: true });
    const second = driver.view().joined!.participants[0]!.key;
    expect(second).not.toBe(first);
    expect(events.slice(before)).toEqual([{ type: 'group_call' }]);
    const offer = { kind: 'description' as const, type: 'offer' as const, sdp: 'v=0' };
    driver.received({ userId: 'bob', deviceNumber: 1 }, { kind: 'call_negotiation', callId, negotiation: offer });
    expect(events.at(-1)).toMatchObject({ type: 'group_call_negotiation', participantKey: second });
  });

  it('a device heard with a join new to this one joined again, though that join’s announcement was missed', async () => {
    const { driver, present, sent } = aDriver();
    const { callId } = await driver.join(GROUP, 'audio');
    present('bob', callId, { joined: true });
    const first = driver.view().joined!.participants[0]!.key;
    present('bob', callId, { joinId: SECOND_JOIN });
    const second = driver.view().joined!.participants[0]!.key;
    expect(second).not.toBe(first);
    // What the peer connection made for the earlier join says goes nowhere; the new one's goes to the join heard last.
    const offer = { kind: 'description' as const, type: 'offer' as const, sdp: 'v=0' };
    await expect(driver.negotiate(callId, first, offer)).rejects.toMatchObject({ code: 'not_found' });
    await driver.negotiate(callId, second, offer);
    await settle();
    expect(sent.at(-1)).toMatchObject({ to: ['bob'], signal: { kind: 'call_negotiation', forDevice: 1, forJoin: SECOND_JOIN } });
  });

  it('joining again (the window reloaded mid-call) pairs anew with everyone and drops negotiation meant for the earlier join', async () => {
    const { driver, present, events, sent } = aDriver();
    const { callId } = await driver.join(GROUP, 'video');
    const firstJoin = sent.at(-1)?.signal;
    expect(firstJoin).toMatchObject({ kind: 'group_call_present', joined: true });
    present('bob', callId, { joined: true });
    present('carol', callId, { joined: true });
    const before = driver.view().joined!.participants.map((p) => p.key);
    const earlierJoin = firstJoin?.kind === 'group_call_present' ? firstJoin.joinId : '';

    const joinedAgain = await driver.join(GROUP, 'video');
    expect(joinedAgain).toEqual({ callId });
    const rejoin = sent.at(-1)?.signal;
    expect(rejoin).toMatchObject({ kind: 'group_call_present', joined: true, callId });
    expect(rejoin?.kind === 'group_call_present' && rejoin.joinId).not.toBe(earlierJoin);
    // New keys, so the renderer makes new peer connections and nothing queued for the old ones reaches them.
    const after = driver.view().joined!.participants.map((p) => p.key);
    expect(after).toHaveLength(2);
    for (const key of after) expect(before).not.toContain(key);

    // Bob's ICE restart for the peer connection this window had before crosses the rejoin: dropped.
    // Carol's offer for the new join, and one from a device that names no join, are taken.
    const offer = { kind: 'description' as const, type: 'offer' as const, sdp: 'v=0' };
    const negotiationsBefore = events.filter((event) => event.type === 'group_call_negotiation').length;
    const bob = { userId: 'bob', deviceNumber: 1 };
    const carol = { userId: 'carol', deviceNumber: 1 };
    driver.received(bob, { kind: 'call_negotiation', callId, forDevice: THIS_DEVICE, forJoin: earlierJoin, negotiation: offer });
    const newJoin = rejoin?.kind === 'group_call_present' ? rejoin.joinId : '';
    driver.received(carol, { kind: 'call_negotiation', callId, forDevice: THIS_DEVICE, forJoin: newJoin, negotiation: offer });
    driver.received(bob, { kind: 'call_negotiation', callId, forDevice: THIS_DEVICE, negotiation: offer });
    const taken = events.filter((event) => event.type === 'group_call_negotiation').slice(negotiationsBefore);
    expect(taken.map((event) => event.type === 'group_call_negotiation' && event.participantKey)).toEqual([after[1], after[0]]);
  });

  it('leaves the call when this person is no longer in the group', async () => {
    const { driver, members, advance, sent } = aDriver();
    const { callId } = await driver.join(GROUP, 'audio');
    members.delete(SELF);
    await advance(GROUP_CALL_LIMITS.heartbeatMs);
    expect(driver.view()).toEqual({ going: [], joined: null });
    // The group's members are no longer this device's to tell: they drop it when its heartbeats stop.
    expect(sent.some(({ signal }) => signal.kind === 'group_call_leave')).toBe(false);
    await expect(driver.leave(callId)).rejects.toMatchObject({ code: 'not_found' });
  });
});
