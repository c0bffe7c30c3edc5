/**
 * The device inbox over the sync socket (inbox-frames.ts, handlers/inbox.ts): envelopes go to
 * exactly a person's devices with keys, are pushed at once to whichever are connected, wait for
 * the rest, and go when acknowledged; a send is exactly-once by its client id, refused whole when
 * the addressing is stale or the person is a stranger, and counted against the sender's budget.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { CURRENT_SESSION_PATH, type ServerFrame } from '../../../sync/protocol/frames.js';
import { INBOX_LIMITS, type OutgoingEnvelope } from '../../../sync/protocol/inbox-frames.js';
import { FRAME_THROTTLE } from '../../../sync/server/frame-throttle.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { ecKey, firstPublish } from '../../support/key-material.js';
import {
  createServerHarness,
  logIn,
  people,
  type SocketPerson,
  type TestClient,
  type TestServer,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const ciphertext = (bytes = 180) => randomBytes(bytes).toString('base64');

function envelope(userId: string, deviceNumber: number, registrationId: number, kind: OutgoingEnvelope['kind'] = 'whisper') {
  return { userId, deviceNumber, registrationId, kind, ciphertext: ciphertext() };
}

function inboxPushes(client: TestClient): Array<Extract<ServerFrame, { type: 'inbox_push' }>> {
  return client.pushes.filter((push): push is Extract<ServerFrame, { type: 'inbox_push' }> => push.type === 'inbox_push');
}

describeEachStore('the device inbox', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  /** Another device of `person`'s, connected, with its keys published under the person's identity. */
  async function anotherDevice(server: TestServer, person: SocketPerson, identity: string, registrationId: number) {
    const login = await logIn(server.httpUrl, person.user.username, person.account.password);
    const token = (login.body as { token: string }).token;
    const socket = await h.connect(server, token);
    await socket.call(firstPublish(identity, { registrationId }), 'key_counts');
    return Object.assign(socket, { token });
  }

  /** Alice (laptop 1, phone 2) and Bob (one device), in a direct conversation, every device with keys. */
  async function aliceAndBob(server: TestServer) {
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const aliceIdentity = ecKey();
    const bobIdentity = ecKey();
    await alice.socket.call(firstPublish(aliceIdentity, { registrationId: 101 }), 'key_counts');
    const phone = await anotherDevice(server, alice, aliceIdentity, 102);
    await bob.socket.call(firstPublish(bobIdentity, { registrationId: 201 }), 'key_counts');
    await alice.socket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    return { alice, bob, phone, bobIdentity };
  }

  it('stores envelopes for a person’s devices and one’s own others, pushes them at once, and keeps them until acknowledged', async () => {
    const server = await h.startServer();
    const { alice, bob, phone } = await aliceAndBob(server);
    const toBob = envelope(bob.user.id, 1, 201, 'prekey');
    const toPhone = envelope(alice.user.id, 2, 102);
    expect(
      await alice.socket.call({ type: 'send_to_devices', clientId: 'c1', envelopes: [toBob, toPhone] }, 'envelopes_sent'),
    ).toEqual(expect.objectContaining({ clientId: 'c1' }));
    const pushed = await bob.socket.waitForPush('inbox_push');
    expect(pushed.envelopes).toEqual([
      {
        id: expect.stringMatching(/^[0-9]+$/) as string,
        senderUserId: alice.user.id,
        senderDevice: 1,
        deviceNumber: 1,
        kind: 'prekey',
        ciphertext: toBob.ciphertext,
        sentAt: expect.any(Number) as number,
      },
    ]);
    const toSibling = await phone.waitForPush('inbox_push');
    expect(toSibling.envelopes.map((each) => [each.deviceNumber, each.ciphertext])).toEqual([[2, toPhone.ciphertext]]);
    // The sending device is not told of its own send.
    await alice.socket.call({ type: 'ping' }, 'ok');
    expect(inboxPushes(alice.socket)).toEqual([]);

    // Bob's device finds it waiting after a reconnect, until it says it has dealt with it.
    const bobAgain = await h.connect(server, bob.account.token);
    const waiting = await bobAgain.call({ type: 'fetch_inbox' }, 'inbox');
    expect(waiting).toMatchObject({ hasMore: false, envelopes: [{ ciphertext: toBob.ciphertext }] });
    await bobAgain.call({ type: 'ack_inbox', ids: [waiting.envelopes[0]!.id] }, 'ok');
    expect(await bobAgain.call({ type: 'fetch_inbox' }, 'inbox')).toMatchObject({ envelopes: [], hasMore: false });
    // Acknowledging another device's envelope does nothing to it.
    const phoneWaiting = await phone.call({ type: 'fetch_inbox' }, 'inbox');
    await bob.socket.call({ type: 'ack_inbox', ids: [phoneWaiting.envelopes[0]!.id] }, 'ok');
    expect((await phone.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toHaveLength(1);
  });

  it('stores a send once however often it comes, and pushes it once', async () => {
    const server = await h.startServer();
    const { alice, bob, phone } = await aliceAndBob(server);
    const frame = {
      type: 'send_to_devices' as const,
      clientId: 'again',
      envelopes: [envelope(bob.user.id, 1, 201), envelope(alice.user.id, 2, 102)],
    };
    await alice.socket.call(frame, 'envelopes_sent');
    await alice.socket.call(frame, 'envelopes_sent');
    // The same client id with other envelopes (a client that lost its answer and encrypted again) stores nothing either.
    await alice.socket.call({ ...frame, envelopes: [envelope(bob.user.id, 1, 201)] }, 'envelopes_sent');
    await bob.socket.call({ type: 'ping' }, 'ok');
    expect(inboxPushes(bob.socket)).toHaveLength(1);
    expect((await bob.socket.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toHaveLength(1);
    expect((await phone.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toHaveLength(1);
  });

  it('refuses a send whole when it addresses other devices than a person has, saying which, and takes the corrected one', async () => {
    const server = await h.startServer();
    const { alice, bob, phone, bobIdentity } = await aliceAndBob(server);
    // Bob has a second device now, and Alice's laptop does not know.
    const bobTablet = await anotherDevice(server, bob, bobIdentity, 202);
    const stale = await alice.socket.call(
      {
        type: 'send_to_devices',
        clientId: 'c1',
        envelopes: [envelope(bob.user.id, 1, 999), envelope(bob.user.id, 7, 207), envelope(alice.user.id, 2, 102)],
      },
      'devices_changed',
    );
    expect(stale.mismatches).toEqual([{ userId: bob.user.id, missing: [2], extra: [7], stale: [1] }]);
    // Nothing of it went anywhere, not even to the addressing that was right.
    expect((await phone.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toEqual([]);
    // Addressing oneself: the sending device is not one of the devices to address.
    const toSelf = await alice.socket.call(
      { type: 'send_to_devices', clientId: 'c2', envelopes: [envelope(alice.user.id, 1, 101), envelope(alice.user.id, 2, 102)] },
      'devices_changed',
    );
    expect(toSelf.mismatches).toEqual([{ userId: alice.user.id, missing: [], extra: [1], stale: [] }]);
    // The same client id, corrected, is stored: a refusal did not use it up.
    await alice.socket.call(
      {
        type: 'send_to_devices',
        clientId: 'c1',
        envelopes: [envelope(bob.user.id, 1, 201), envelope(bob.user.id, 2, 202), envelope(alice.user.id, 2, 102)],
      },
      'envelopes_sent',
    );
    expect((await bobTablet.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toHaveLength(1);
  });

  it('refuses envelopes to a stranger, and takes them once the two share a conversation', async () => {
    const server = await h.startServer();
    const { alice, mallory } = await people(h, server, 'alice', 'mallory');
    await alice.socket.call(firstPublish(ecKey(), { registrationId: 101 }), 'key_counts');
    const send = (clientId: string) =>
      mallory.socket.request({ type: 'send_to_devices', clientId, envelopes: [envelope(alice.user.id, 1, 101)] });
    expect(await send('m1')).toMatchObject({ type: 'error', ...REFUSALS.not_a_contact });
    // A message request is a shared conversation: the first message of one needs a session.
    await mallory.socket.call({ type: 'start_conversation', username: alice.user.username }, 'conversation');
    expect(await send('m1')).toMatchObject({ type: 'envelopes_sent' });
  });

  it('refuses malformed sends as bad frames: two envelopes for one device, a ciphertext that is not base64, too many', async () => {
    const server = await h.startServer();
    const { alice, bob } = await aliceAndBob(server);
    const twice = envelope(bob.user.id, 1, 201);
    const refusals = await Promise.all([
      alice.socket.request({
        type: 'send_to_devices',
        clientId: 'x1',
        envelopes: [twice, { ...twice, ciphertext: ciphertext() }],
      }),
      alice.socket.request({ type: 'send_to_devices', clientId: 'x2', envelopes: [{ ...twice, ciphertext: 'not base64!' }] }),
      alice.socket.request({
        type: 'send_to_devices',
        clientId: 'x3',
        envelopes: Array.from({ length: INBOX_LIMITS.maxEnvelopesPerSend + 1 }, (_, i) => envelope(`user-${i}`, 1, 1)),
      }),
      alice.socket.request({ type: 'ack_inbox', ids: ['0'] }),
    ]);
    for (const refusal of refusals) expect(refusal).toMatchObject({ type: 'error', code: 'bad_frame' });
    expect((await bob.socket.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toEqual([]);
  });

  it('counts the envelopes a person sends against an hourly budget', async () => {
    const server = await h.startServer({
      frameThrottle: { ...FRAME_THROTTLE, lookupsPerWindow: 1_000_000, envelopesPerWindow: 3 },
    });
    const { alice, bob, phone } = await aliceAndBob(server);
    const both = (clientId: string) => ({
      type: 'send_to_devices' as const,
      clientId,
      envelopes: [envelope(bob.user.id, 1, 201), envelope(alice.user.id, 2, 102)],
    });
    await alice.socket.call(both('b1'), 'envelopes_sent');
    const refused = await alice.socket.request(both('b2'));
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(refused.type === 'error' && refused.retryAfterMs).toBeGreaterThan(0);
    // One more envelope still fits the budget, which is the person's, not the device's; someone else's is their own.
    await alice.socket.call(
      { type: 'send_to_devices', clientId: 'b3', envelopes: [envelope(bob.user.id, 1, 201)] },
      'envelopes_sent',
    );
    expect(
      await phone.request({ type: 'send_to_devices', clientId: 'p1', envelopes: [envelope(bob.user.id, 1, 201)] }),
    ).toMatchObject({
      type: 'error',
      code: 'rate_limited',
    });
    await bob.socket.call(
      { type: 'send_to_devices', clientId: 'r1', envelopes: [envelope(alice.user.id, 1, 101), envelope(alice.user.id, 2, 102)] },
      'envelopes_sent',
    );
  });

  it('stops counting a device that signed out among the devices to address', async () => {
    const server = await h.startServer();
    const { alice, bob, phone } = await aliceAndBob(server);
    await alice.socket.call(
      { type: 'send_to_devices', clientId: 'c1', envelopes: [envelope(alice.user.id, 2, 102)] },
      'envelopes_sent',
    );
    expect((await phone.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toHaveLength(1);
    const signOut = await fetch(`${server.httpUrl}${CURRENT_SESSION_PATH}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${phone.token}` },
    });
    expect(signOut.status).toBe(204);
    const afterwards = await alice.socket.call(
      { type: 'send_to_devices', clientId: 'c2', envelopes: [envelope(bob.user.id, 1, 201), envelope(alice.user.id, 2, 102)] },
      'devices_changed',
    );
    expect(afterwards.mismatches).toEqual([{ userId: alice.user.id, missing: [], extra: [2], stale: [] }]);
  });
});
