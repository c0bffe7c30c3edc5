/**
 * Hostile device envelopes against a real receiving engine (crypto/inbox-receiver.ts), sent
 * through the real server from raw sockets whose sessions are real libsignal sessions started from
 * the receiver's published bundle: garbage ciphertexts of either kind, a ciphertext of one kind
 * labelled the other, a replay, plaintexts that are not JSON or not a device message this client
 * knows, and a stranger's sender key under someone else's distribution id. Each is logged and
 * acknowledged, none stops the inbox, the stranger's key is only ever his, and a sender key sent
 * afterwards still opens its sender's group messages.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { toPreKeyBundle } from '../../../sync/client/crypto/prekeys.js';
import { encodeDeviceMessage, type DeviceMessage } from '../../../sync/content/device-messages.js';
import type { EnvelopeKind } from '../../../sync/protocol/inbox-frames.js';
import { eventually } from '../../support/client-harness.js';
import { createServerHarness, type TestClient } from '../../support/server-harness.js';
import {
  engineDevices,
  groupMessage,
  hasSenderKey,
  openGroupMessage,
  ratchetOf,
  senderKey,
  signal,
  type EngineDevice,
  type SignalDevice,
} from '../../support/crypto-devices.js';

const servers = createServerHarness();
const devices = engineDevices(servers);
afterEach(async () => {
  await devices.cleanup();
  await servers.cleanup();
});

/** A device driven by hand: its socket, and its pairwise session with `to`, started from the bundle the server hands out. */
interface Writer extends SignalDevice {
  socket: TestClient;
  to: { registrationId: number };
}

/** Encrypts `plaintext` for `to` in the writer's session with it: the ciphertext as base64 and its kind. */
async function seal(writer: Writer, to: SignalDevice, plaintext: Uint8Array) {
  const state = ratchetOf(writer);
  const sealed = await signal.signalEncrypt(
    new Uint8Array(plaintext),
    signal.ProtocolAddress.new(to.userId, to.deviceNumber()),
    signal.ProtocolAddress.new(writer.userId, writer.deviceNumber()),
    state,
    state,
  );
  writer.mirror.transaction(() => state.writeTo(writer.mirror.signal));
  // libsignal's CiphertextMessageType.PreKey; type() answers a plain number.
  const kind: EnvelopeKind = sealed.type() === 3 ? 'prekey' : 'whisper';
  return { kind, ciphertext: Buffer.from(sealed.serialize()).toString('base64') };
}

let sends = 0;
/** Sends one envelope to `to`'s device as the server's send_to_devices takes it, under a new client id. */
async function send(writer: Writer, to: SignalDevice, envelope: { kind: EnvelopeKind; ciphertext: string }): Promise<void> {
  await writer.socket.call(
    {
      type: 'send_to_devices',
      clientId: `hostile-${++sends}`,
      envelopes: [{ userId: to.userId, deviceNumber: to.deviceNumber(), registrationId: writer.to.registrationId, ...envelope }],
    },
    'envelopes_sent',
  );
}

/** Any JSON as the bytes of a device message: most of the hostile ones are no DeviceMessage. */
const json = (message: DeviceMessage | object) => encodeDeviceMessage(message as DeviceMessage);

it('logs and acknowledges garbage, replays, unreadable plaintexts and a stranger’s sender key, and still opens the sender key sent after them', async () => {
  const server = await servers.startServer();
  const alice = await servers.createAccount(server, { username: 'alice' });
  const bob = await servers.createAccount(server, { username: 'bob' });
  const mallory = await servers.createAccount(server, { username: 'mallory' });
  const bobDesk: EngineDevice = await devices.device(server, bob.user.id, bob.token, signal.IdentityKeyPair.generate());

  /** Alice's and Mallory's device: a socket in a conversation with Bob (Mallory's a message request), a session with his device. */
  async function writer(account: typeof alice): Promise<Writer> {
    const socket = await servers.connect(server, account.token);
    await socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    const welcome = await socket.waitForPush('welcome');
    const own = await devices.bareDevice(account.user.id, welcome.deviceNumber);
    const bundles = await socket.call({ type: 'fetch_key_bundles', userId: bob.user.id }, 'key_bundles');
    const bundle = bundles.bundles.find((each) => each.deviceNumber === bobDesk.deviceNumber())!;
    const state = ratchetOf(own);
    await signal.processPreKeyBundle(
      toPreKeyBundle(signal, bundles.identityKey, bundle),
      signal.ProtocolAddress.new(bob.user.id, bundle.deviceNumber),
      signal.ProtocolAddress.new(own.userId, own.deviceNumber()),
      state,
      state,
    );
    own.mirror.transaction(() => state.writeTo(own.mirror.signal));
    return { ...own, socket, to: { registrationId: bundle.registrationId } };
  }
  const aliceLaptop = await writer(alice);
  const malloryPhone = await writer(mallory);
  const unreadable = () => bobDesk.warnings.filter((warning) => warning.message === 'a device envelope could not be read');

  // A real first envelope (a sender key Bob keeps), then the same ciphertext again under a new client id.
  const first = await senderKey(aliceLaptop, 'trip');
  const firstSealed = await seal(aliceLaptop, bobDesk, json(first.message));
  expect(firstSealed.kind).toBe('prekey');
  await send(aliceLaptop, bobDesk, firstSealed);
  await eventually(() => hasSenderKey(bobDesk, aliceLaptop, first.distributionId), Boolean, 'the first sender key');
  const notJson = await seal(aliceLaptop, bobDesk, new Uint8Array(Buffer.from('not json {')));
  /** Each hostile envelope, and whether Bob's session opens it (so that it moves the session on). */
  const hostile: Array<{ envelope: { kind: EnvelopeKind; ciphertext: string }; opens: boolean }> = [
    { envelope: firstSealed, opens: false },
    { envelope: { kind: 'prekey', ciphertext: randomBytes(600).toString('base64') }, opens: false },
    { envelope: { kind: 'whisper', ciphertext: randomBytes(120).toString('base64') }, opens: false },
    // A real ciphertext labelled as the other kind.
    { envelope: { ...(await seal(aliceLaptop, bobDesk, json(first.message))), kind: 'whisper' }, opens: false },
    // Opened, and not a device message: not JSON; JSON of a kind this client does not know; a known kind without its
    // fields; a sender key that is no SenderKeyDistributionMessage.
    { envelope: notJson, opens: true },
    { envelope: await seal(aliceLaptop, bobDesk, json({ kind: 'link_device', secret: 'x' })), opens: true },
    { envelope: await seal(aliceLaptop, bobDesk, json({ kind: 'sender_key', conversationId: 'trip' })), opens: true },
    {
      envelope: await seal(
        aliceLaptop,
        bobDesk,
        json({ kind: 'sender_key', conversationId: 'trip', distribution: randomBytes(90).toString('base64') }),
      ),
      opens: true,
    },
    // Opened once, not understood: the session moved on, so it does not open again.
    { envelope: notJson, opens: false },
  ];
  for (const { envelope } of hostile) await send(aliceLaptop, bobDesk, envelope);
  await eventually(
    () => unreadable().length,
    (count) => count >= hostile.length,
    'each hostile envelope logged',
  );

  // Mallory, a stranger who wrote to Bob, hands him a sender key under the distribution id Alice will use.
  const aliceDistribution = randomUUID();
  const mallorys = await senderKey(malloryPhone, 'trip', aliceDistribution);
  await send(malloryPhone, bobDesk, await seal(malloryPhone, bobDesk, json(mallorys.message)));
  await eventually(() => hasSenderKey(bobDesk, malloryPhone, aliceDistribution), Boolean, 'Mallory’s key, kept as his');
  expect(hasSenderKey(bobDesk, aliceLaptop, aliceDistribution)).toBe(false);
  const forged = await groupMessage(malloryPhone, aliceDistribution, 'I am Alice');
  expect(await openGroupMessage(bobDesk, aliceLaptop, forged)).toBeNull();
  expect(await openGroupMessage(bobDesk, malloryPhone, forged)).toBe('I am Alice');

  // Alice's own key under that id comes after all of it, and opens her messages and only hers.
  const real = await senderKey(aliceLaptop, 'trip', aliceDistribution);
  await send(aliceLaptop, bobDesk, await seal(aliceLaptop, bobDesk, json(real.message)));
  await eventually(() => hasSenderKey(bobDesk, aliceLaptop, aliceDistribution), Boolean, 'Alice’s key');
  expect(await openGroupMessage(bobDesk, aliceLaptop, await groupMessage(aliceLaptop, aliceDistribution, 'hello bob'))).toBe(
    'hello bob',
  );
  expect(
    await openGroupMessage(bobDesk, aliceLaptop, await groupMessage(malloryPhone, aliceDistribution, 'still Alice?')),
  ).toBeNull();

  // Everything was acknowledged; each hostile envelope was logged once as Alice's, and nothing else went wrong.
  const bobSocket = await servers.connect(server, bob.token);
  await eventually(
    async () => (await bobSocket.call({ type: 'fetch_inbox' }, 'inbox')).envelopes.length,
    (waiting) => waiting === 0,
    'the inbox emptied',
  );
  expect(bobDesk.engine.connectionState).toBe('online');
  expect(unreadable().map(({ fields }) => [fields?.sender, fields?.kind, fields?.opened])).toEqual(
    hostile.map(({ envelope, opens }) => [`${alice.user.id}.${aliceLaptop.deviceNumber()}`, envelope.kind, opens]),
  );
  // Both replays were refused as replays, not as garbage.
  expect(unreadable().filter(({ fields }) => fields?.errorName === 'DuplicatedMessage')).toHaveLength(2);
  expect(bobDesk.warnings).toHaveLength(hostile.length);
});
