/**
 * Calls between real client cores on a real server (calls/call-driver.ts over the ephemeral,
 * end-to-end encrypted relay): a call rings each of the callee's devices, answering on one stops
 * the others, what the two peer connections say goes only between the two devices in the call,
 * and hanging up ends it on both sides. The media itself is the renderer's (test/e2e/calls.spec.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callOf, negotiationsAt } from '../../support/calls.js';
import { createClientHarness, eventually, holdingFrames } from '../../support/client-harness.js';
import { converse, devicesPublished, person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

describe('calls', () => {
  it('ring every device of the callee; one answers, the other stops; negotiation goes between the two devices in the call; hanging up ends it on both', async () => {
    const server = await servers.startServer();
    const { core: alice } = await person(clients, server, 'alice');
    const { core: bobLaptop } = await person(clients, server, 'bob');
    const { core: bobPhone } = await person(clients, server, 'bob', { existing: true, linkedFrom: bobLaptop });
    const bobId = (await bobLaptop.getSession())!.user.id;
    await devicesPublished(server, bobId, 2);
    const conversationId = await converse(alice, bobLaptop, 'bob');
    await eventually(
      () => bobPhone.listConversations({ folder: 'all' }),
      (list) => list.some((c) => c.id === conversationId && !c.request),
      'the conversation, accepted, on the phone too',
    );

    const { callId } = await alice.startCall({ conversationId, media: 'video' });
    expect(await alice.getCall()).toMatchObject({ callId, phase: 'outgoing', direction: 'outgoing', media: 'video' });
    for (const device of [bobLaptop, bobPhone]) {
      const ringing = await callOf(device, { callId, phase: 'ringing' }, 'ringing on each of Bob’s devices');
      expect(ringing).toMatchObject({ conversationId, direction: 'incoming', media: 'video', negotiates: null });
      expect(ringing?.peer.displayName).toBe('Alice');
    }

    await bobLaptop.acceptCall({ callId, media: 'audio' });
    expect(await bobLaptop.getCall()).toMatchObject({ phase: 'connecting', negotiates: 'offer' });
    await callOf(alice, { phase: 'connecting', negotiates: 'answer' }, 'Alice hears the call was answered');
    await callOf(
      bobPhone,
      { phase: 'ended', ended: { reason: 'answered_elsewhere', durationMs: null } },
      'the phone stops ringing',
    );

    // The device that answered offers; only the caller's device reads it, and its answer reaches only that device.
    const offer = { kind: 'description' as const, type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    await bobLaptop.sendCallNegotiation({ callId, negotiation: offer });
    const answer = { kind: 'description' as const, type: 'answer' as const, sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };
    const candidates = {
      kind: 'candidates' as const,
      candidates: [{ candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 }],
    };
    await eventually(
      () => negotiationsAt(alice),
      (seen) => seen.length === 1,
      'the offer at Alice’s',
    );
    await alice.sendCallNegotiation({ callId, negotiation: answer });
    await alice.sendCallNegotiation({ callId, negotiation: candidates });
    await eventually(
      () => negotiationsAt(bobLaptop),
      (seen) => JSON.stringify(seen) === JSON.stringify([answer, candidates]),
      'the answer, then the candidates, in order, at Bob’s laptop',
    );
    expect(negotiationsAt(alice)).toEqual([offer]);

    await bobLaptop.reportCallMedia({ callId, status: 'connected' });
    await alice.reportCallMedia({ callId, status: 'connected' });
    expect((await alice.getCall())?.connectedAt).toEqual(expect.any(Number));
    await bobLaptop.setCallSending({ callId, sending: { audio: false, video: false, screen: false } });
    await callOf(alice, { peerSending: { audio: false, video: false, screen: false } }, 'Alice sees Bob muted');

    await alice.hangUpCall({ callId });
    expect((await alice.getCall())?.ended?.reason).toBe('completed');
    await callOf(bobLaptop, { phase: 'ended' }, 'the call ends at Bob’s');
    expect((await bobLaptop.getCall())?.ended?.reason).toBe('completed');
    // The phone was never in the call: nothing the two said reached it.
    expect(negotiationsAt(bobPhone)).toEqual([]);
    await bobLaptop.dismissCall({ callId });
    expect(await bobLaptop.getCall()).toBeNull();
  });

  it('a declined call ends for the caller as declined, and on the callee’s other device as declined elsewhere', async () => {
    const server = await servers.startServer();
    const { core: alice } = await person(clients, server, 'alice');
    const { core: bobLaptop } = await person(clients, server, 'bob');
    const { core: bobPhone } = await person(clients, server, 'bob', { existing: true, linkedFrom: bobLaptop });
    await devicesPublished(server, (await bobLaptop.getSession())!.user.id, 2);
    const conversationId = await converse(alice, bobLaptop, 'bob');
    await eventually(
      () => bobPhone.listConversations({ folder: 'all' }),
      (list) => list.some((c) => c.id === conversationId && !c.request),
      'the conversation, accepted, on the phone too',
    );
    const { callId } = await alice.startCall({ conversationId, media: 'audio' });
    await callOf(bobPhone, { callId, phase: 'ringing' }, 'the phone rings');
    await callOf(bobLaptop, { callId, phase: 'ringing' }, 'the laptop rings');
    await bobPhone.declineCall({ callId });
    await callOf(alice, { phase: 'ended', ended: { reason: 'declined', durationMs: null } }, 'Alice hears it was declined');
    await callOf(
      bobLaptop,
      { phase: 'ended', ended: { reason: 'declined_elsewhere', durationMs: null } },
      'the laptop stops ringing',
    );
  });

  it('glare: two people ringing each other at once end in one call, and none of their other devices goes on ringing', async () => {
    const server = await servers.startServer();
    let holding = true;
    const aliceHeld = holdingFrames((text) => holding && text.includes('"type":"ephemeral_push"'));
    const bobHeld = holdingFrames((text) => holding && text.includes('"type":"ephemeral_push"'));
    const { core: alice } = await person(clients, server, 'alice', { transport: aliceHeld.transport });
    const { core: alicePhone } = await person(clients, server, 'alice', { existing: true, linkedFrom: alice });
    const { core: bob } = await person(clients, server, 'bob', { transport: bobHeld.transport });
    const { core: bobPhone } = await person(clients, server, 'bob', { existing: true, linkedFrom: bob });
    await devicesPublished(server, (await alice.getSession())!.user.id, 2);
    await devicesPublished(server, (await bob.getSession())!.user.id, 2);
    const conversationId = await converse(alice, bob, 'bob');
    for (const phone of [alicePhone, bobPhone]) {
      await eventually(
        () => phone.listConversations({ folder: 'all' }),
        (list) => list.some((c) => c.id === conversationId && !c.request),
        'the conversation, accepted, on each phone',
      );
    }

    // Each laptop rings the other before hearing the other's ring: both offers cross.
    const fromAlice = await alice.startCall({ conversationId, media: 'audio' });
    const fromBob = await bob.startCall({ conversationId, media: 'audio' });
    await callOf(alicePhone, { callId: fromBob.callId, phase: 'ringing' }, 'Alice’s phone rings for Bob’s call');
    await callOf(bobPhone, { callId: fromAlice.callId, phase: 'ringing' }, 'Bob’s phone rings for Alice’s call');
    holding = false;
    aliceHeld.release();
    bobHeld.release();

    const survivor = fromAlice.callId < fromBob.callId ? fromAlice.callId : fromBob.callId;
    for (const laptop of [alice, bob])
      await callOf(laptop, { callId: survivor, phase: 'connecting' }, 'one call on both laptops');
    for (const phone of [alicePhone, bobPhone]) await callOf(phone, { phase: 'ended' }, 'each phone stops ringing');
  });

  it('refuses a call offline, in a group, while another is on, and to someone blocked, in words the renderer shows by code', async () => {
    const server = await servers.startServer();
    const { core: alice } = await person(clients, server, 'alice');
    const { core: bob } = await person(clients, server, 'bob');
    const bobId = (await bob.getSession())!.user.id;
    const conversationId = await converse(alice, bob, 'bob');
    const group = await alice.createGroup({ name: 'Trip', memberIds: [bobId] });
    await expect(alice.startCall({ conversationId: group.id, media: 'audio' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });

    await alice.setBlocked({ userId: bobId, blocked: true });
    await expect(alice.startCall({ conversationId, media: 'audio' })).rejects.toMatchObject({ code: 'refused' });
    await alice.setBlocked({ userId: bobId, blocked: false });

    const { callId } = await alice.startCall({ conversationId, media: 'audio' });
    await expect(alice.startCall({ conversationId, media: 'video' })).rejects.toMatchObject({ code: 'conflict' });
    await alice.hangUpCall({ callId });

    await alice.setPreferences({ workOffline: true });
    await eventually(
      () => alice.getConnectionState(),
      (state) => state === 'offline',
      'offline',
    );
    await expect(alice.startCall({ conversationId, media: 'audio' })).rejects.toMatchObject({ code: 'offline' });
    expect((await alice.getCall())?.phase).not.toBe('outgoing');
  });
});
