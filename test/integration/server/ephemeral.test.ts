/**
 * Calls' ephemeral envelopes over the sync socket (call-frames.ts: send_ephemeral): forwarded at
 * once to the addressed devices that are connected, stored nowhere (a device that connects later
 * finds nothing, and no table of either store holds a byte of it), addressed and refused as the
 * device inbox's are, and counted in its budget (a flood is cut off there).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import type { OutgoingEnvelope } from '../../../sync/protocol/inbox-frames.js';
import { FRAME_THROTTLE } from '../../../sync/server/frame-throttle.js';
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

  it('writes nothing to any table: the stores look the same before and after a send reached both devices', async () => {
    const server = await h.startServer();
    const { alice, bob, phone } = await aliceAndBob(server);
    const reader = await server.database!.openSnapshotReader();
    try {
      for (const socket of [alice.socket, bob.socket, phone]) await socket.call({ type: 'ping' }, 'ok');
      const before = await reader.snapshot();
      const marked = (deviceNumber: number, registrationId: number) => ({
        ...envelope(bob.user.id, deviceNumber, registrationId),
        ciphertext: Buffer.from(`ephemeral-marker-${deviceNumber}-${'x'.repeat(9_000)}`).toString('base64'),
      });
      const envelopes = [marked(1, 201), marked(2, 202)];
      await alice.socket.call({ type: 'send_ephemeral', envelopes }, 'ephemeral_sent');
      for (const device of [bob.socket, phone]) await device.waitForPush('ephemeral_push');
      for (const socket of [alice.socket, bob.socket, phone]) await socket.call({ type: 'ping' }, 'ok');
      const after = await reader.snapshot();
      expect(after).toEqual(before);
      const everything = JSON.stringify(after);
      for (const { ciphertext } of envelopes) {
        // As the stores hold text: itself (PostgreSQL's JSON rows), or the hex of its bytes (SQLite's snapshot).
        expect(everything).not.toContain(ciphertext.slice(0, 64));
        expect(everything).not.toContain(Buffer.from(ciphertext.slice(0, 64)).toString('hex').toUpperCase());
      }
    } finally {
      await reader.close();
    }
  });

  it('a flood of sends is cut off by the device envelope budget: what fits is forwarded, the rest refused with when to try again', async () => {
    const server = await h.startServer({
      frameThrottle: { ...FRAME_THROTTLE, lookupsPerWindow: 1_000_000, envelopesPerWindow: 10 },
    });
    const { alice, bob, phone } = await aliceAndBob(server);
    const both = { type: 'send_ephemeral' as const, envelopes: [envelope(bob.user.id, 1, 201), envelope(bob.user.id, 2, 202)] };
    // Forty frames at once, two envelopes each: the budget holds five of them.
    const replies = await Promise.all(Array.from({ length: 40 }, () => alice.socket.request(both)));
    expect(replies.slice(0, 5).map((reply) => reply.type)).toEqual(Array(5).fill('ephemeral_sent'));
    for (const reply of replies.slice(5)) {
      expect(reply).toMatchObject({ type: 'error', code: 'rate_limited' });
      expect(reply.type === 'error' && reply.retryAfterMs).toBeGreaterThan(0);
    }
    for (const device of [bob.socket, phone]) {
      await device.call({ type: 'ping' }, 'ok');
      expect(device.pushes.filter((push) => push.type === 'ephemeral_push')).toHaveLength(5);
    }
    // The budget is the person's, shared with the device inbox; the socket is still served.
    expect(
      await alice.socket.request({ type: 'send_to_devices', clientId: 'after-flood', envelopes: both.envelopes }),
    ).toMatchObject({ type: 'error', code: 'rate_limited' });
    await alice.socket.call({ type: 'ping' }, 'ok');
  });

  it('goes nowhere between people with a block between them, either way, and the sender is answered as for any send', async () => {
    const server = await h.startServer();
    const { alice, bob, phone } = await aliceAndBob(server);
    const block = (by: SocketPerson, value: boolean) =>
      by.socket.call(
        {
          type: 'set_settings',
          settings: [{ setting: { kind: 'blocked', userId: alice.user.id, value }, at: value ? 1 : 2, by: 'd' }],
        },
        'settings',
      );
    const both = { type: 'send_ephemeral' as const, envelopes: [envelope(bob.user.id, 1, 201), envelope(bob.user.id, 2, 202)] };
    // Bob blocks Alice: her ring reaches none of his devices, and she cannot tell.
    await block(bob, true);
    expect((await alice.socket.call(both, 'ephemeral_sent')).type).toBe('ephemeral_sent');
    // Nor does what Bob's devices send reach hers.
    await bob.socket.call({ type: 'send_ephemeral', envelopes: [envelope(alice.user.id, 1, 101)] }, 'ephemeral_sent');
    for (const device of [bob.socket, phone, alice.socket]) {
      await device.call({ type: 'ping' }, 'ok');
      expect(device.pushes.some((push) => push.type === 'ephemeral_push')).toBe(false);
    }
    // Lifted: the next ring goes through.
    await block(bob, false);
    await alice.socket.call(both, 'ephemeral_sent');
    for (const device of [bob.socket, phone]) await device.waitForPush('ephemeral_push');
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
