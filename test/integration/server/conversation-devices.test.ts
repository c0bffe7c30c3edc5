/**
 * A conversation's devices version (protocol/conversation-devices.ts) over the sync socket, on each
 * store: it moves when a member's device publishes keys or is signed out and when a member leaves;
 * an envelope sealed for the version now is stored, one for another (or none) is refused with
 * every member's devices now, which a member may also ask for; and that refusal stays within what a client accepts for the largest group.
 */
import { afterEach, expect, it } from 'vitest';
import { revokeSession } from '../../../sync/client/accounts-http.js';
import { conversationDevicesSchema } from '../../../sync/protocol/conversation-devices.js';
import { KEY_LIMITS } from '../../../sync/protocol/key-frames.js';
import { ACCOUNT_CAPS, LIMITS } from '../../../sync/protocol/limits.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { toConversationDevices } from '../../../sync/server/store/conversation-devices.js';
import { devicesOf, devicesRefused } from '../../support/envelope-devices.js';
import { seedGroupFlood, strangerId } from '../../support/group-flood.js';
import { ecKey, firstPublish } from '../../support/key-material.js';
import { createServerHarness, groupChange, groupOf, logIn, people } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('conversation devices version', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it("moves with every change to the members' devices with keys, and refuses envelopes sealed for another version", async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const group = await groupOf(alice, [bob, carol]);
    const bobIdentity = ecKey();

    const start = await devicesOf(alice.socket, group.id);
    expect(start.members.map((member) => member.devices)).toEqual([[], [], []]);

    await alice.socket.call(firstPublish(ecKey(), { registrationId: 101 }), 'key_counts');
    await bob.socket.call(firstPublish(bobIdentity, { registrationId: 201 }), 'key_counts');
    const keyed = await devicesOf(alice.socket, group.id);
    expect(keyed.version).toBeGreaterThan(start.version);
    expect(keyed.members.find((member) => member.userId === bob.user.id)!.devices).toEqual([
      { deviceNumber: 1, registrationId: 201 },
    ]);

    // Sealed for the version now: stored. Sent again naming another: the stored one answers.
    const frame = { type: 'send_envelope', conversationId: group.id, clientId: 'e1', ciphertext: 'AAAA' } as const;
    const { event } = await alice.socket.call({ ...frame, devicesVersion: keyed.version }, 'sent');
    expect(await alice.socket.call({ ...frame, devicesVersion: keyed.version + 7 }, 'sent')).toMatchObject({ event });

    // Bob links a phone: its keys move the version, and an envelope for the one before is refused with the devices now.
    const phoneToken = (await logIn(server.httpUrl, bob.user.username, bob.account.password)).body as { token: string };
    const phone = await h.connect(server, phoneToken.token);
    await phone.call(firstPublish(bobIdentity, { registrationId: 202 }), 'key_counts');
    const refused = await alice.socket.request({ ...frame, clientId: 'e2', devicesVersion: keyed.version });
    const { code, reason, message } = REFUSALS.conversation_devices_changed;
    expect(refused).toMatchObject({ type: 'error', code, reason, message });
    const linked = (refused as { devices: ReturnType<typeof toConversationDevices> }).devices;
    expect(linked.version).toBeGreaterThan(keyed.version);
    expect(linked.members.find((member) => member.userId === bob.user.id)!.devices).toEqual([
      { deviceNumber: 1, registrationId: 201 },
      { deviceNumber: 2, registrationId: 202 },
    ]);
    expect(await alice.socket.call({ ...frame, clientId: 'e2', devicesVersion: linked.version }, 'sent')).toMatchObject({
      event: { clientId: 'e2' },
    });

    // The phone signed out, then Carol removed: each moves the version, and the devices say so.
    expect(await revokeSession(fetch, server.httpUrl, phoneToken.token)).toBe('revoked');
    const unlinked = await devicesOf(alice.socket, group.id);
    expect(unlinked.version).toBeGreaterThan(linked.version);
    expect(unlinked.members.find((member) => member.userId === bob.user.id)!.devices).toEqual([
      { deviceNumber: 1, registrationId: 201 },
    ]);
    await groupChange(alice.socket, group.id, 'remove-carol', { kind: 'remove_member', userId: carol.user.id });
    const removed = await devicesOf(alice.socket, group.id);
    expect(removed.version).toBeGreaterThan(unlinked.version);
    expect(removed.members.map((member) => member.userId).sort()).toEqual([alice.user.id, bob.user.id].sort());
  });

  it('answers a member who asks for the devices with what a refusal would carry; anyone else hears of no such conversation', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const group = await groupOf(alice, [bob, carol]);
    await bob.socket.call(firstPublish(ecKey(), { registrationId: 301 }), 'key_counts');
    const asked = await bob.socket.call({ type: 'fetch_conversation_devices', conversationId: group.id }, 'conversation_devices');
    expect(asked.devices).toEqual(await devicesOf(alice.socket, group.id));
    expect(asked.devices.members.find((member) => member.userId === bob.user.id)!.devices).toEqual([
      { deviceNumber: 1, registrationId: 301 },
    ]);
    const { code, reason } = REFUSALS.conversation_not_found;
    for (const conversationId of [group.id, 'no-such-conversation']) {
      expect(await dave.socket.request({ type: 'fetch_conversation_devices', conversationId })).toMatchObject({
        type: 'error',
        code,
        reason,
      });
    }
  });

  it('refuses a stale envelope in a group of 200 members of two devices each with all their devices, in one frame well within limits', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server);
    // Seeded through the store: signing up 200 people over HTTP would spend the test hashing passwords.
    const store = await server.database!.open();
    const [groupId] = await seedGroupFlood(store, alice.user.id, { groups: 1, members: 200 });
    try {
      for (let n = 1; n < 200; n++) {
        const identity = ecKey();
        for (const device of [1, 2]) {
          const sessionId = `${strangerId(n)}-${device}`;
          await store.createSession({
            id: sessionId,
            tokenHash: `hash-${sessionId}`,
            userId: strangerId(n),
            deviceName: null,
            createdAt: Date.now(),
            maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount,
            expiredBefore: 0,
          });
          const keys = firstPublish(identity, { registrationId: 16_000 + device, ecCount: 1, kyberCount: 1 });
          const published = await store.keyDirectory.publishKeys({
            userId: strangerId(n),
            sessionId,
            identityKey: keys.identityKey,
            replaceIdentity: false,
            registrationId: keys.registrationId,
            signedPrekey: keys.signedPrekey,
            kyberLastResortPrekey: keys.kyberLastResortPrekey,
            ecPrekeys: keys.ecPrekeys ?? [],
            kyberPrekeys: keys.kyberPrekeys ?? [],
            maxStored: KEY_LIMITS.maxPrekeysStored,
            now: Date.now(),
          });
          expect(published.status).toBe('stored');
        }
      }
    } finally {
      await store.close();
    }
    const socket = await h.connect(server, alice.token);
    const frame = { type: 'send_envelope', conversationId: groupId!, clientId: 'e1', ciphertext: 'AAAA' } as const;
    // The reply as the client's connection reads it (checked against the protocol's schema).
    const reply = await socket.request({ ...frame, devicesVersion: 1 });
    const devices = devicesRefused(reply)!;
    expect(devices.members).toHaveLength(200);
    expect(devices.members.filter((member) => member.devices.length === 2)).toHaveLength(199);
    // About 35 KB (1,000 members: about 175 KB, the test below).
    expect(Buffer.byteLength(JSON.stringify(reply))).toBeLessThan(LIMITS.maxServerFrameBytes / 100);
    expect(await socket.call({ ...frame, devicesVersion: devices.version }, 'sent')).toMatchObject({
      event: { kind: 'envelope', clientId: 'e1', senderId: alice.user.id },
    });
  });
});

it('keeps the refusal of the largest group, its members of two devices each with the longest ids, within a server frame', () => {
  const rows = Array.from({ length: LIMITS.maxGroupMembers }, (_, i) => `${i}`.padStart(LIMITS.maxIdChars, 'u')).flatMap(
    (userId) =>
      [1, 2].map((deviceNumber) => ({ user_id: userId, device_number: deviceNumber, registration_id: 16_000 + deviceNumber })),
  );
  const devices = toConversationDevices(Number.MAX_SAFE_INTEGER, rows);
  expect(conversationDevicesSchema.parse(devices)).toEqual(devices);
  const { code, reason, message } = REFUSALS.conversation_devices_changed;
  const bytes = Buffer.byteLength(
    JSON.stringify({ type: 'error', rid: 'r'.repeat(LIMITS.maxIdChars), code, reason, message, devices }),
  );
  // About 175 KB: under a fortieth of what a client accepts from the server.
  expect(bytes).toBeLessThan(LIMITS.maxServerFrameBytes / 40);
  expect(bytes).toBeGreaterThan(100_000);
});
