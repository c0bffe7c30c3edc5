/**
 * Device messages through the device inbox, between real sync engines on a real server with real
 * libsignal (crypto/device-sender.ts, crypto/inbox-receiver.ts): a sender key handed to every
 * device of a person and to one's own other device opens what the sender then encrypts under it;
 * a send made offline goes out on connecting; a device added after the first send is found through
 * the server's "devices changed" and gets the next one; an envelope dealt with whose
 * acknowledgement was lost is not opened twice; a pushed envelope that cannot be opened now waits
 * for the next connection. (Hostile envelopes: hostile-envelopes.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncTransport } from '../../../sync/client/transport.js';
import { wsTransport } from '../../../sync/client/ws-transport.js';
import { eventually, holdingFrames } from '../../support/client-harness.js';
import { createServerHarness } from '../../support/server-harness.js';
import { toPreKeyBundle } from '../../../sync/client/crypto/prekeys.js';
import {
  engineDevices,
  groupRoundTrip,
  hasSenderKey,
  ratchetOf,
  senderKey,
  signal,
  signIn,
} from '../../support/crypto-devices.js';

const servers = createServerHarness();
const devices = engineDevices(servers);
const device = devices.device;
afterEach(async () => {
  await devices.cleanup();
  await servers.cleanup();
});

/** Closes the socket as it sends an ack_inbox while `cut` is on: the device dealt with envelopes, and the server never heard. */
function cuttingAcks(): { transport: SyncTransport; cut: { on: boolean; cuts: number } } {
  const cut = { on: false, cuts: 0 };
  return {
    cut,
    transport: {
      open(url, token, handlers) {
        const socket = wsTransport.open(url, token, handlers);
        return {
          send(text) {
            if (cut.on && text.includes('"ack_inbox"')) {
              cut.on = false;
              cut.cuts += 1;
              socket.close();
              return;
            }
            socket.send(text);
          },
          flush: () => socket.flush?.(),
          close: () => socket.close(),
        };
      },
    },
  };
}

describe('device messages through the device inbox', () => {
  it('hands a sender key to every device of a person and to one’s own other device; offline sends go on connecting', async () => {
    const server = await servers.startServer();
    const alice = await servers.createAccount(server, { username: 'alice' });
    const bob = await servers.createAccount(server, { username: 'bob' });
    const aliceIdentity = signal.IdentityKeyPair.generate();
    const bobIdentity = signal.IdentityKeyPair.generate();
    const laptop = await device(server, alice.user.id, alice.token, aliceIdentity);
    const phone = await device(server, alice.user.id, await signIn(server, alice), aliceIdentity);
    const bobDesk = await device(server, bob.user.id, bob.token, bobIdentity);
    const bobTablet = await device(server, bob.user.id, await signIn(server, bob), bobIdentity);
    const socket = await servers.connect(server, alice.token);
    await socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');

    // Written while offline: kept, and sent once connected.
    laptop.engine.setWorkOffline(true);
    const key = await senderKey(laptop, 'trip');
    laptop.engine.sendToDevices([bob.user.id, alice.user.id], key.message);
    expect(laptop.mirror.signal.outgoing(() => undefined)).toHaveLength(1);
    laptop.engine.setWorkOffline(false);

    for (const reader of [bobDesk, bobTablet, phone]) {
      await eventually(() => hasSenderKey(reader, laptop, key.distributionId), Boolean, 'the sender key');
      expect(await groupRoundTrip(laptop, reader, key.distributionId, 'hello, everyone')).toBe('hello, everyone');
    }
    await eventually(
      () => laptop.mirror.signal.outgoing(() => undefined).length,
      (waiting) => waiting === 0,
      'the send confirmed',
    );
    for (const each of [laptop, phone, bobDesk, bobTablet]) expect(each.warnings).toEqual([]);
  });

  it('finds a device added after the first send through the server, and sends the next one to it too', async () => {
    const server = await servers.startServer();
    const alice = await servers.createAccount(server, { username: 'alice' });
    const bob = await servers.createAccount(server, { username: 'bob' });
    const bobIdentity = signal.IdentityKeyPair.generate();
    const laptop = await device(server, alice.user.id, alice.token, signal.IdentityKeyPair.generate());
    const bobDesk = await device(server, bob.user.id, bob.token, bobIdentity);
    const socket = await servers.connect(server, alice.token);
    await socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');

    const first = await senderKey(laptop, 'trip');
    laptop.engine.sendToDevices([bob.user.id], first.message);
    await eventually(() => hasSenderKey(bobDesk, laptop, first.distributionId), Boolean, 'the first key');

    const bobTablet = await device(server, bob.user.id, await signIn(server, bob), bobIdentity);
    const second = await senderKey(laptop, 'trip');
    laptop.engine.sendToDevices([bob.user.id], second.message);
    for (const reader of [bobDesk, bobTablet]) {
      await eventually(() => hasSenderKey(reader, laptop, second.distributionId), Boolean, 'the second key');
    }
    expect(await groupRoundTrip(laptop, bobTablet, second.distributionId, 'welcome, tablet')).toBe('welcome, tablet');
    expect(hasSenderKey(bobTablet, laptop, first.distributionId)).toBe(false);
    for (const each of [laptop, bobDesk, bobTablet]) expect(each.warnings).toEqual([]);
  });

  it('keeps the session a device started itself while the server said the one a send was sealed with is stale', async () => {
    const server = await servers.startServer();
    const alice = await servers.createAccount(server, { username: 'alice' });
    const bob = await servers.createAccount(server, { username: 'bob' });
    const holding = { changed: true, pushes: false };
    const held = holdingFrames(
      (text) =>
        (holding.changed && text.includes('"type":"devices_changed"')) ||
        (holding.pushes && text.includes('"type":"inbox_push"')),
    );
    const laptop = await device(server, alice.user.id, alice.token, signal.IdentityKeyPair.generate(), {
      transport: held.transport,
    });
    const bobDesk = await device(server, bob.user.id, bob.token, signal.IdentityKeyPair.generate());
    const socket = await servers.connect(server, alice.token);
    await socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');

    // The laptop holds a session with Bob's desk under a registration id the desk does not have
    // (as with a device number given again): the server will say it is stale.
    const { identityKey, bundles } = await socket.call({ type: 'fetch_key_bundles', userId: bob.user.id }, 'key_bundles');
    const bundle = bundles[0]!;
    const ratchet = ratchetOf(laptop);
    await signal.processPreKeyBundle(
      toPreKeyBundle(signal, identityKey, {
        ...bundle,
        registrationId: bundle.registrationId === 1 ? 2 : bundle.registrationId - 1,
      }),
      signal.ProtocolAddress.new(bob.user.id, bundle.deviceNumber),
      signal.ProtocolAddress.new(alice.user.id, laptop.deviceNumber()),
      ratchet,
      ratchet,
      new Date(),
    );
    laptop.mirror.transaction(() => ratchet.writeTo(laptop.mirror.signal));

    const fromLaptop = await senderKey(laptop, 'trip');
    laptop.engine.sendToDevices([bob.user.id], fromLaptop.message);
    await eventually(
      () => held.waiting.length,
      (count) => count === 1,
      'the server saying the desk is stale',
    );
    // Meanwhile the desk writes to the laptop twice in a session of its own; the laptop opens the
    // first, and the second is still on its way when the laptop puts its send right.
    const first = await senderKey(bobDesk, 'trip');
    bobDesk.engine.sendToDevices([alice.user.id], first.message);
    await eventually(() => hasSenderKey(laptop, bobDesk, first.distributionId), Boolean, 'the desk’s first key');
    holding.pushes = true;
    const second = await senderKey(bobDesk, 'trip');
    bobDesk.engine.sendToDevices([alice.user.id], second.message);
    await eventually(
      () => held.waiting.length,
      (count) => count === 2,
      'the desk’s second key on its way',
    );

    holding.changed = false;
    holding.pushes = false;
    const [changed, pushed] = held.waiting.splice(0);
    held.waiting.push(changed!);
    held.release();
    await eventually(() => hasSenderKey(bobDesk, laptop, fromLaptop.distributionId), Boolean, 'the laptop’s key on the desk');
    held.waiting.push(pushed!);
    held.release();
    await eventually(() => hasSenderKey(laptop, bobDesk, second.distributionId), Boolean, 'the desk’s second key');
    for (const each of [laptop, bobDesk]) expect(each.warnings).toEqual([]);
  });

  it('only acknowledges again an envelope it dealt with when the acknowledgement was lost', async () => {
    const server = await servers.startServer();
    const alice = await servers.createAccount(server, { username: 'alice' });
    const bob = await servers.createAccount(server, { username: 'bob' });
    const laptop = await device(server, alice.user.id, alice.token, signal.IdentityKeyPair.generate());
    const { transport, cut } = cuttingAcks();
    const bobDesk = await device(server, bob.user.id, bob.token, signal.IdentityKeyPair.generate(), { transport });
    const socket = await servers.connect(server, alice.token);
    await socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');

    cut.on = true;
    const key = await senderKey(laptop, 'trip');
    laptop.engine.sendToDevices([bob.user.id], key.message);
    await eventually(
      () => cut.cuts,
      (cuts) => cuts === 1,
      'the acknowledgement cut off',
    );
    expect(hasSenderKey(bobDesk, laptop, key.distributionId)).toBe(true);
    // Reconnected, the device reads the envelope again from its inbox and only acknowledges it.
    const bobSocket = await servers.connect(server, bob.token);
    await eventually(
      async () => (await bobSocket.call({ type: 'fetch_inbox' }, 'inbox')).envelopes.length,
      (waiting) => waiting === 0,
      'the inbox emptied',
    );
    expect(bobDesk.warnings.filter((warning) => warning.message.includes('could not be read'))).toEqual([]);
    expect(await groupRoundTrip(laptop, bobDesk, key.distributionId, 'once')).toBe('once');
  });

  it('leaves a pushed envelope it cannot open now (its identity unreadable) waiting, says so, and opens it on the next connection', async () => {
    const server = await servers.startServer();
    const alice = await servers.createAccount(server, { username: 'alice' });
    const bob = await servers.createAccount(server, { username: 'bob' });
    const laptop = await device(server, alice.user.id, alice.token, signal.IdentityKeyPair.generate());
    let readable = true;
    const bobDesk = await device(server, bob.user.id, bob.token, signal.IdentityKeyPair.generate(), {
      identityReadable: () => readable,
    });
    const socket = await servers.connect(server, alice.token);
    await socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');

    readable = false;
    const key = await senderKey(laptop, 'trip');
    laptop.engine.sendToDevices([bob.user.id], key.message);
    await eventually(
      () => bobDesk.warnings.map((warning) => warning.message),
      (messages) => messages.includes('reading pushed device envelopes failed'),
      'the failure logged',
    );
    expect(hasSenderKey(bobDesk, laptop, key.distributionId)).toBe(false);
    readable = true;
    bobDesk.engine.setWorkOffline(true);
    bobDesk.engine.setWorkOffline(false);
    await eventually(() => hasSenderKey(bobDesk, laptop, key.distributionId), Boolean, 'the sender key, on reconnecting');
    expect(await groupRoundTrip(laptop, bobDesk, key.distributionId, 'later')).toBe('later');
  });
});
