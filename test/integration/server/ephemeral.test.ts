/**
 * Calls' ephemeral envelopes over the sync socket (call-frames.ts: send_ephemeral): forwarded at
 * once to the addressed devices that are connected, stored nowhere (a device that connects later
 * finds nothing), addressed and refused as the device inbox's are, and counted in its budget.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import type { OutgoingEnvelope } from '../../../sync/protocol/inbox-frames.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { ecKey, firstPublish } from '../../support/key-material.js';
import { createServerHarness, logIn, people, type SocketPerson, type TestServer } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const envelope = (userId: string, deviceNumber: number, registrationId: number): OutgoingEnvelope => ({
  userId,
  deviceNumber,
  registrationId,
  kind: 'whisper',
  ciphertext: randomBytes(120).toString('base64'),
});

type Pushed = Extract<ServerFrame, { type: 'ephemeral_push' }>;

describeEachStore('ephemeral envelopes', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  async function secondDevice(server: TestServer, person: SocketPerson, identity: string, registrationId: number) {
    const login = await logIn(server.httpUrl, person.user.username, person.account.password);
    const socket = await h.connect(server, (login.body as { token: string }).token);
    await socket.call(firstPublish(identity, { registrationId }), 'key_counts');
    return socket;
  }

  /** Alice, and Bob with a desk (1) and a phone (2), in a direct conversation, every device with keys. */
  async function aliceAndBob(server: TestServer) {
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    await alice.socket.call(firstPublish(ecKey(), { registrationId: 101 }), 'key_counts');
    const bobIdentity = ecKey();
    await bob.socket.call(firstPublish(bobIdentity, { registrationId: 201 }), 'key_counts');
    const phone = await secondDevice(server, bob, bobIdentity, 202);
    await alice.socket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    return { alice, bob, carol, phone };
  }

  it('reaches the connected devices at once, with the sender attested, and is stored nowhere', async () => {
    const server = await h.startServer();
    const { alice, bob, phone } = await aliceAndBob(server);
    const toDesk = envelope(bob.user.id, 1, 201);
    const toPhone = envelope(bob.user.id, 2, 202);
    const sent = await alice.socket.call({ type: 'send_ephemeral', envelopes: [toDesk, toPhone] }, 'ephemeral_sent');
    expect(sent.type).toBe('ephemeral_sent');
    for (const device of [bob.socket, phone]) {
      const pushed: Pushed = await device.waitForPush('ephemeral_push');
      expect(pushed.envelopes).toEqual([
        {
          senderUserId: alice.user.id,
          senderDevice: 1,
          deviceNumber: 1,
          kind: 'whisper',
          ciphertext: toDesk.ciphertext,
          sentAt: expect.any(Number) as number,
        },
        {
          senderUserId: alice.user.id,
          senderDevice: 1,
          deviceNumber: 2,
          kind: 'whisper',
          ciphertext: toPhone.ciphertext,
          sentAt: expect.any(Number) as number,
        },
      ]);
      // Nothing waits in the device's inbox, now or on its next connection.
      expect((await device.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toEqual([]);
    }
    // The sender's own connection is not pushed its send.
    expect(alice.socket.pushes.some((push) => push.type === 'ephemeral_push')).toBe(false);
  });

  it('is refused whole for a stranger or for devices that are not the person’s, forwarding nothing', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, phone } = await aliceAndBob(server);
    await carol.socket.call(firstPublish(ecKey(), { registrationId: 301 }), 'key_counts');
    expect(await alice.socket.request({ type: 'send_ephemeral', envelopes: [envelope(carol.user.id, 1, 301)] })).toMatchObject({
      type: 'error',
      ...REFUSALS.not_a_contact,
    });
    // The phone left out, and the desk under an old registration id.
    expect(await alice.socket.request({ type: 'send_ephemeral', envelopes: [envelope(bob.user.id, 1, 999)] })).toMatchObject({
      type: 'devices_changed',
      mismatches: [{ userId: bob.user.id, missing: [2], extra: [], stale: [1] }],
    });
    await alice.socket.call({ type: 'ping' }, 'ok');
    for (const device of [bob.socket, phone, carol.socket]) {
      await device.call({ type: 'ping' }, 'ok');
      expect(device.pushes.some((push) => push.type === 'ephemeral_push')).toBe(false);
    }
  });
});
