/**
 * Sealing under this device's sender key (crypto/sender-keys.ts), between real engines on a real
 * server with real libsignal: the first seal in a group hands the key to every member's devices
 * and to the account's other device, and each of them opens what was sealed; later seals hand out
 * nothing more; a member added is handed the current key and reads from then on, not before;
 * someone removed makes the next seal start a new key that they are never handed, and so does a
 * device of the account unlinked. Holders are devices: a holder's newly linked device is handed
 * the key at the next send (the server refuses it as sealed for other devices), and a holder's
 * device unlinked makes the next seal start a new key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { revokeSession } from '../../../sync/client/accounts-http.js';
import { decodeContent, type Content } from '../../../sync/content/content.js';
import { eventually } from '../../support/client-harness.js';
import type { SealedEnvelope } from '../../../sync/protocol/envelope-frames.js';
import { engineDevices, hasSenderKey, post, ratchetOf, signal, signIn, type EngineDevice } from '../../support/crypto-devices.js';
import { createGroup, createServerHarness, groupChange, type TestClient, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const { device, cleanup } = engineDevices(servers);
afterEach(async () => {
  await cleanup();
  await servers.cleanup();
});

const say = (text: string): Content => ({ kind: 'message', text });

/** What `reader` opens of `sealed` from `sender`, or null when it cannot. */
async function open(reader: EngineDevice, sender: EngineDevice, sealed: string): Promise<Content | null> {
  try {
    const address = signal.ProtocolAddress.new(sender.userId, sender.deviceNumber());
    return decodeContent(await signal.groupDecrypt(address, ratchetOf(reader), new Uint8Array(Buffer.from(sealed, 'base64'))));
  } catch {
    return null;
  }
}

let sends = 0;
/**
 * Seals through the engine and sends it over a socket of the sender's session, sealed again when
 * the server says the devices changed (as the outbox does); the sealed text stored.
 */
async function seal(
  sender: EngineDevice,
  socket: TestClient,
  conversationId: string,
  content: Content,
): Promise<{ messageId: string; ciphertext: string }> {
  let kept: SealedEnvelope | null = null;
  const sealed = await sender.engine.seal(conversationId, content, (each) => {
    kept = each;
  });
  expect(kept).toEqual(sealed);
  const messageId = `send-${++sends}`;
  return { messageId, ciphertext: await post({ device: sender, socket }, conversationId, messageId, content) };
}

/** Waits until the reader's device shows the message sent as `sent` with `text`: it opened it. */
async function reads(reader: EngineDevice, conversationId: string, sent: { messageId: string }, text: string): Promise<void> {
  await eventually(
    () => reader.mirror.views.messageView(conversationId, sent.messageId, reader.userId)?.text,
    (shown) => shown === text,
    `${text} on ${reader.userId}.${reader.deviceNumber()}`,
  );
}

/** The devices a sender key was handed to, as `user.number` each. */
const holdersOf = (device: EngineDevice, distributionId: string) =>
  device.mirror.signal.senderKeyHolders(distributionId).map((holder) => `${holder.userId}.${holder.deviceNumber}`);

/** Alice's group with `memberIds`, made over her socket, once her laptop has it. */
async function tripOnLaptop(laptop: EngineDevice, aliceSocket: TestClient, memberIds: string[]) {
  const group = await createGroup(aliceSocket, { memberIds });
  await eventually(
    () => laptop.mirror.members(group.id).length,
    (count) => count === memberIds.length + 1,
    'the group on the laptop',
  );
  return group;
}

async function people(server: TestServer, ...names: string[]) {
  return Promise.all(names.map((name) => servers.createAccount(server, { username: name })));
}

describe("this device's sender keys", () => {
  it('hands the key to every member and the account’s other device once, then reads from whoever got it', async () => {
    const server = await servers.startServer();
    const [alice, bob, carol, dave] = await people(server, 'alice', 'bob', 'carol', 'dave');
    const aliceIdentity = signal.IdentityKeyPair.generate();
    const laptop = await device(server, alice!.user.id, alice!.token, aliceIdentity);
    const phone = await device(server, alice!.user.id, await signIn(server, alice!), aliceIdentity);
    const bobDesk = await device(server, bob!.user.id, bob!.token, signal.IdentityKeyPair.generate());
    const carolDesk = await device(server, carol!.user.id, carol!.token, signal.IdentityKeyPair.generate());
    const daveDesk = await device(server, dave!.user.id, dave!.token, signal.IdentityKeyPair.generate());
    const aliceSocket = await servers.connect(server, alice!.token);
    const group = await tripOnLaptop(laptop, aliceSocket, [bob!.user.id, carol!.user.id]);

    const first = await seal(laptop, aliceSocket, group.id, say('hello, group'));
    const key = laptop.mirror.signal.senderKeyOf(group.id)!;
    for (const reader of [bobDesk, carolDesk, phone]) {
      await eventually(() => hasSenderKey(reader, laptop, key), Boolean, 'the key handed out');
      await reads(reader, group.id, first, 'hello, group');
    }
    expect(holdersOf(laptop, key)).toEqual(
      [`${alice!.user.id}.${phone.deviceNumber()}`, `${bob!.user.id}.1`, `${carol!.user.id}.1`].sort(),
    );
    await eventually(
      () => laptop.mirror.signal.outgoing(() => undefined).length,
      (waiting) => waiting === 0,
      'the key delivered',
    );

    // A second seal hands out nothing: everyone has the key.
    const second = await seal(laptop, aliceSocket, group.id, say('still here'));
    expect(laptop.mirror.signal.outgoing(() => undefined)).toEqual([]);
    await reads(bobDesk, group.id, second, 'still here');

    // Dave joins: he is handed the key as it is now, and reads from then on, not what came before.
    await groupChange(aliceSocket, group.id, 'add-dave', { kind: 'add_members', userIds: [dave!.user.id] });
    await eventually(
      () => laptop.mirror.members(group.id).length,
      (count) => count === 4,
      'Dave in the group',
    );
    const third = await seal(laptop, aliceSocket, group.id, say('welcome, Dave'));
    expect(laptop.mirror.signal.senderKeyOf(group.id)).toBe(key);
    await eventually(() => hasSenderKey(daveDesk, laptop, key), Boolean, 'the key handed to Dave');
    await reads(daveDesk, group.id, third, 'welcome, Dave');
    expect(await open(daveDesk, laptop, second.ciphertext)).toBeNull();

    // Carol is removed: the next seal starts a new key, handed to everyone but her.
    await groupChange(aliceSocket, group.id, 'remove-carol', { kind: 'remove_member', userId: carol!.user.id });
    await eventually(
      () => laptop.mirror.members(group.id).length,
      (count) => count === 3,
      'Carol gone',
    );
    const fourth = await seal(laptop, aliceSocket, group.id, say('just us'));
    const rotated = laptop.mirror.signal.senderKeyOf(group.id)!;
    expect(rotated).not.toBe(key);
    for (const reader of [bobDesk, daveDesk, phone]) {
      await eventually(() => hasSenderKey(reader, laptop, rotated), Boolean, 'the new key');
      await reads(reader, group.id, fourth, 'just us');
    }
    await eventually(
      () => laptop.mirror.signal.outgoing(() => undefined).length,
      (waiting) => waiting === 0,
      'the new key delivered',
    );
    expect(hasSenderKey(carolDesk, laptop, rotated)).toBe(false);
    expect(await open(carolDesk, laptop, fourth.ciphertext)).toBeNull();
    for (const each of [laptop, phone, bobDesk, carolDesk, daveDesk]) expect(each.warnings).toEqual([]);
  });

  it('starts a new key once a device of the account is unlinked, which the unlinked device is never handed', async () => {
    const server = await servers.startServer();
    const [alice, bob] = await people(server, 'alice', 'bob');
    const aliceIdentity = signal.IdentityKeyPair.generate();
    const laptop = await device(server, alice!.user.id, alice!.token, aliceIdentity);
    const phoneToken = await signIn(server, alice!);
    const phone = await device(server, alice!.user.id, phoneToken, aliceIdentity);
    const bobDesk = await device(server, bob!.user.id, bob!.token, signal.IdentityKeyPair.generate());
    const aliceSocket = await servers.connect(server, alice!.token);
    const group = await tripOnLaptop(laptop, aliceSocket, [bob!.user.id]);
    await seal(laptop, aliceSocket, group.id, say('before'));
    const key = laptop.mirror.signal.senderKeyOf(group.id)!;
    await eventually(() => hasSenderKey(phone, laptop, key), Boolean, 'the key on the phone');

    // The phone is unlinked (its session ends, its keys go with it), and the laptop retires its keys as the core does then.
    expect(await revokeSession(fetch, server.httpUrl, phoneToken)).toBe('revoked');
    laptop.mirror.signal.retireSenderKeys();
    const after = await seal(laptop, aliceSocket, group.id, say('after the phone is gone'));
    const rotated = laptop.mirror.signal.senderKeyOf(group.id)!;
    expect(rotated).not.toBe(key);
    await eventually(() => hasSenderKey(bobDesk, laptop, rotated), Boolean, 'the new key for Bob');
    await reads(bobDesk, group.id, after, 'after the phone is gone');
    await eventually(
      () => laptop.mirror.signal.outgoing(() => undefined).length,
      (waiting) => waiting === 0,
      'the new key delivered',
    );
    expect(hasSenderKey(phone, laptop, rotated)).toBe(false);
    expect(await open(phone, laptop, after.ciphertext)).toBeNull();
  });

  it("hands the key to a holder's newly linked device, which reads the next message; a device unlinked later reads nothing after", async () => {
    const server = await servers.startServer();
    const [alice, bob] = await people(server, 'alice', 'bob');
    const laptop = await device(server, alice!.user.id, alice!.token, signal.IdentityKeyPair.generate());
    const bobIdentity = signal.IdentityKeyPair.generate();
    const bobDesk = await device(server, bob!.user.id, bob!.token, bobIdentity);
    const aliceSocket = await servers.connect(server, alice!.token);
    const group = await tripOnLaptop(laptop, aliceSocket, [bob!.user.id]);
    await seal(laptop, aliceSocket, group.id, say('before the phone'));
    const key = laptop.mirror.signal.senderKeyOf(group.id)!;
    await eventually(() => hasSenderKey(bobDesk, laptop, key), Boolean, 'the key on Bob’s desk');

    // Bob links a phone: its keys published, the server's devices version moves, and the laptop's
    // next send is refused until the phone is handed the key it holds already as a person.
    const phoneToken = await signIn(server, bob!);
    const bobPhone = await device(server, bob!.user.id, phoneToken, bobIdentity);
    // Over the engine's own connection the refusal is a RequestError carrying the devices: what the outbox sees.
    const stale = await laptop.engine
      .request({ type: 'send_envelope', conversationId: group.id, clientId: 'stale', ciphertext: 'AAAA', devicesVersion: 1 })
      .catch((error: unknown) => error);
    expect(stale).toMatchObject({ code: 'conflict', reason: 'conversation_devices_changed' });
    expect(await laptop.engine.devicesChanged(group.id, new Error('not a refusal'))).toBe(false);
    expect(await laptop.engine.devicesChanged(group.id, stale)).toBe(true);
    const next = await seal(laptop, aliceSocket, group.id, say('hello, phone'));
    expect(laptop.mirror.signal.senderKeyOf(group.id)).toBe(key);
    expect(holdersOf(laptop, key)).toEqual([`${bob!.user.id}.1`, `${bob!.user.id}.${bobPhone.deviceNumber()}`]);
    await eventually(() => hasSenderKey(bobPhone, laptop, key), Boolean, 'the key on Bob’s phone');
    await reads(bobPhone, group.id, next, 'hello, phone');
    // The desk, handed the key again with the phone (the inbox goes to every device of a person), reads on.
    await reads(bobDesk, group.id, next, 'hello, phone');
    await eventually(
      () => laptop.mirror.signal.outgoing(() => undefined).length,
      (waiting) => waiting === 0,
      'the key delivered',
    );

    // Bob unlinks the phone: the laptop's next send is refused, and the next seal starts a key the phone is never handed.
    expect(await revokeSession(fetch, server.httpUrl, phoneToken)).toBe('revoked');
    const after = await seal(laptop, aliceSocket, group.id, say('after the phone is gone'));
    const rotated = laptop.mirror.signal.senderKeyOf(group.id)!;
    expect(rotated).not.toBe(key);
    expect(holdersOf(laptop, rotated)).toEqual([`${bob!.user.id}.1`]);
    await eventually(() => hasSenderKey(bobDesk, laptop, rotated), Boolean, 'the new key on Bob’s desk');
    await reads(bobDesk, group.id, after, 'after the phone is gone');
    await eventually(
      () => laptop.mirror.signal.outgoing(() => undefined).length,
      (waiting) => waiting === 0,
      'the new key delivered',
    );
    expect(hasSenderKey(bobPhone, laptop, rotated)).toBe(false);
    expect(await open(bobPhone, laptop, after.ciphertext)).toBeNull();
    expect(laptop.warnings).toEqual([]);
  });
});
