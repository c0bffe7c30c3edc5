/**
 * Group calls between real client cores on a real server (calls/group-call-driver.ts over the
 * ephemeral, end-to-end encrypted relay): who is in a group's call is known to every member's
 * device from the participants' own announcements, each pair of devices in it negotiates with one
 * another only, a device that leaves or goes silent drops out, and nobody outside the group can
 * join, crowd or listen in. The media itself is the renderer's (test/e2e/group-calls.spec.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupCallsView } from '../../../sync/app-api/group-calls-api.js';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { acceptedBy, converse, devicesPublished, person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function groupCallsOf(core: TestCore, holds: (view: GroupCallsView) => boolean, what: string): Promise<GroupCallsView> {
  return eventually(() => core.getGroupCalls({}), holds, what);
}

function groupNegotiationsAt(core: TestCore) {
  return core.events.filter(
    (event): event is Extract<AppEvent, { type: 'group_call_negotiation' }> => event.type === 'group_call_negotiation',
  );
}

const offer = { kind: 'description' as const, type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const answer = { kind: 'description' as const, type: 'answer' as const, sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };

/** Alice's group with Bob (two devices) and Carol, everyone having accepted it; Mallory is Alice's contact, not in it. */
async function aGroup() {
  const server = await servers.startServer();
  const { core: alice } = await person(clients, server, 'alice');
  const { core: bobLaptop } = await person(clients, server, 'bob');
  const { core: bobPhone } = await person(clients, server, 'bob', { existing: true, linkedFrom: bobLaptop });
  const { core: carol } = await person(clients, server, 'carol');
  const { core: mallory } = await person(clients, server, 'mallory');
  const idOf = async (core: TestCore) => (await core.getSession())!.user.id;
  await devicesPublished(server, await idOf(bobLaptop), 2);
  const aliceAndBob = await converse(alice, bobLaptop, 'bob');
  await converse(alice, carol, 'carol');
  await converse(alice, mallory, 'mallory');
  const group = await alice.createGroup({ name: 'Trip', memberIds: [await idOf(bobLaptop), await idOf(carol)] });
  for (const member of [bobLaptop, bobPhone, carol]) await acceptedBy(member, group.id);
  return { alice, bobLaptop, bobPhone, carol, mallory, groupId: group.id, aliceAndBob, idOf };
}

describe('group calls', () => {
  it('every member’s device learns who is in the call; each pair negotiates between its two devices alone; leaving drops out', async () => {
    const { alice, bobLaptop, bobPhone, carol, groupId, idOf } = await aGroup();
    const [aliceId, bobId, carolId] = [await idOf(alice), await idOf(bobLaptop), await idOf(carol)];

    const { callId } = await alice.joinGroupCall({ conversationId: groupId, media: 'video' });
    expect((await alice.getGroupCalls({})).joined).toMatchObject({
      callId,
      conversationId: groupId,
      media: 'video',
      participants: [],
    });
    // Every other device of the group sees the call going on, with one device in it, and may join.
    for (const device of [bobLaptop, bobPhone, carol]) {
      const view = await groupCallsOf(device, (v) => v.going.length === 1, 'the call seen going on');
      expect(view).toEqual({ going: [{ conversationId: groupId, callId, deviceCount: 1, full: false }], joined: null });
    }
    // The call's start is in the group's log on every device, once, by Alice's.
    for (const device of [alice, bobLaptop, bobPhone, carol]) {
      const entries = await eventually(
        async () => (await device.listMessages({ conversationId: groupId })).notices.filter((n) => n.kind === 'call_ended'),
        (found) => found.length === 1,
        'the group call’s entry',
      );
      expect(entries[0]!.call).toMatchObject({ callId, media: 'video', outcome: 'group_started', outgoing: device === alice });
    }
    // The others' devices are told live, for the desktop to notify; Alice's is not.
    for (const device of [bobLaptop, bobPhone, carol]) {
      expect(device.events.filter((event) => event.type === 'group_call_started')).toEqual([
        { type: 'group_call_started', conversationId: groupId, callId, media: 'video' },
      ]);
    }
    expect(alice.events.some((event) => event.type === 'group_call_started')).toBe(false);

    expect((await bobLaptop.joinGroupCall({ conversationId: groupId, media: 'audio' })).callId).toBe(callId);
    expect((await carol.joinGroupCall({ conversationId: groupId, media: 'video' })).callId).toBe(callId);
    const participantsOf = async (core: TestCore) =>
      (await groupCallsOf(core, (v) => v.joined?.participants.length === 2, 'two others in the call')).joined!.participants;
    const atAlice = await participantsOf(alice);
    // In the order of their keys, so every device lists them alike.
    const expected = [
      { userId: bobId, name: 'Bob', sending: { audio: true, video: false, screen: false } },
      { userId: carolId, name: 'Carol', sending: { audio: true, video: true, screen: false } },
    ].sort((a, b) => (a.userId < b.userId ? -1 : 1));
    expect(atAlice.map((p) => ({ userId: p.userId, name: p.user.displayName, sending: p.sending }))).toEqual(expected);
    // The two sides of each pair agree which of them offers.
    const atBob = await participantsOf(bobLaptop);
    const aliceAtBob = atBob.find((p) => p.userId === aliceId)!;
    const bobAtAlice = atAlice.find((p) => p.userId === bobId)!;
    expect(new Set([aliceAtBob.negotiates, bobAtAlice.negotiates])).toEqual(new Set(['offer', 'answer']));
    await groupCallsOf(bobPhone, (v) => v.going[0]?.deviceCount === 3, 'Bob’s phone counts three in the call');
    expect((await bobPhone.getGroupCalls({})).joined).toBeNull();

    // Alice's description for Bob's laptop reaches it alone, and its answer reaches Alice alone.
    const [offerer, answerer, answererKey, offererDevice] =
      bobAtAlice.negotiates === 'offer'
        ? [alice, bobLaptop, bobAtAlice.key, { userId: aliceId, deviceNumber: aliceAtBob.deviceNumber }]
        : [bobLaptop, alice, aliceAtBob.key, { userId: bobId, deviceNumber: bobAtAlice.deviceNumber }];
    await offerer.sendGroupCallNegotiation({ callId, participantKey: answererKey, negotiation: offer });
    const heard = await eventually(
      () => groupNegotiationsAt(answerer),
      (seen) => seen.length === 1,
      'the offer at the answering device',
    );
    expect(heard[0]).toMatchObject({ callId, from: offererDevice, negotiation: offer });
    await answerer.sendGroupCallNegotiation({ callId, participantKey: heard[0]!.participantKey, negotiation: answer });
    await eventually(
      () => groupNegotiationsAt(offerer),
      (seen) => seen.length === 1 && JSON.stringify(seen[0]!.negotiation) === JSON.stringify(answer),
      'the answer at the offering device',
    );
    expect(groupNegotiationsAt(carol)).toEqual([]);
    expect(groupNegotiationsAt(bobPhone)).toEqual([]);

    // Bob mutes: the others see it.
    await bobLaptop.setGroupCallSending({ callId, sending: { audio: false, video: false, screen: false } });
    for (const device of [alice, carol]) {
      await groupCallsOf(
        device,
        (v) => v.joined?.participants.find((p) => p.userId === bobId)?.sending.audio === false,
        'Bob muted',
      );
    }

    // Carol leaves: the call goes on for the other two, and she still sees it to join again.
    await carol.leaveGroupCall({ callId });
    for (const device of [alice, bobLaptop]) {
      await groupCallsOf(device, (v) => v.joined?.participants.length === 1, 'Carol gone from the call');
    }
    expect(await carol.getGroupCalls({})).toEqual({
      going: [{ conversationId: groupId, callId, deviceCount: 2, full: false }],
      joined: null,
    });
    await alice.leaveGroupCall({ callId });
    await bobLaptop.leaveGroupCall({ callId });
    for (const device of [alice, bobLaptop, bobPhone, carol]) {
      await groupCallsOf(device, (v) => v.going.length === 0 && v.joined === null, 'the call over everywhere');
    }
  });

  it('someone outside the group can neither join, nor be counted, nor hear who is in the call; one call at a time', async () => {
    const { alice, bobLaptop, carol, mallory, groupId, aliceAndBob } = await aGroup();
    await expect(mallory.joinGroupCall({ conversationId: groupId, media: 'audio' })).rejects.toMatchObject({ code: 'refused' });
    const { callId } = await alice.joinGroupCall({ conversationId: groupId, media: 'audio' });
    await groupCallsOf(carol, (v) => v.going.length === 1, 'Carol sees the call');
    // Mallory never hears of it: nothing was sent to her devices.
    expect(await mallory.getGroupCalls({})).toEqual({ going: [], joined: null });
    expect(mallory.events.some((event) => event.type === 'group_call')).toBe(false);

    // In a group call, a one-to-one call is refused both ways: starting one, and ringing here (busy).
    await expect(alice.startCall({ conversationId: aliceAndBob, media: 'audio' })).rejects.toMatchObject({ code: 'conflict' });
    const { callId: ring } = await bobLaptop.startCall({ conversationId: aliceAndBob, media: 'audio' });
    await eventually(
      () => bobLaptop.getCall(),
      (view) => view?.callId === ring && view.phase === 'ended' && view.ended?.reason === 'busy',
      'Bob hears Alice is busy',
    );
    expect((await alice.getCall()) ?? null).toBeNull();
    await bobLaptop.dismissCall({ callId: ring });
    const { callId: other } = await bobLaptop.startCall({ conversationId: aliceAndBob, media: 'audio' });
    await expect(bobLaptop.joinGroupCall({ conversationId: groupId, media: 'audio' })).rejects.toMatchObject({
      code: 'conflict',
    });
    await bobLaptop.hangUpCall({ callId: other });
    await expect(alice.joinGroupCall({ conversationId: aliceAndBob, media: 'audio' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    // Joining the call one is in again is no change.
    expect((await alice.joinGroupCall({ conversationId: groupId, media: 'audio' })).callId).toBe(callId);
  });
});
