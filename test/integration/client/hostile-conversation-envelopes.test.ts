/**
 * Hostile conversation envelopes against a real receiving engine (crypto/envelope-opener.ts and
 * the mirror's applier), sent through the real server: garbage, a replay of a real envelope under
 * another client id, a member's message sealed under another member's distribution id with his own
 * chain, a member's edit of someone else's message, and a stranger's envelope. None shows, none
 * stops the conversation, nothing is shown twice or as someone else's, and what comes after opens.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { encodeContent } from '../../../sync/content/content.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { eventually } from '../../support/client-harness.js';
import {
  engineDevices,
  groupOf,
  post,
  ratchetOf,
  sendEnvelope as send,
  signal,
  waitingIn,
} from '../../support/crypto-devices.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const { member, cleanup } = engineDevices(servers);
afterEach(async () => {
  await cleanup();
  await servers.cleanup();
});

it('shows none of what is hostile, and goes on opening what comes after', async () => {
  const server = await servers.startServer();
  const alice = await member(server, 'alice');
  const bob = await member(server, 'bob');
  const mallory = await member(server, 'mallory');
  const groupId = await groupOf(alice, [bob, mallory]);
  const shown = (messageId: string) => bob.device.mirror.views.messageView(groupId, messageId, bob.device.userId);

  const sealed = await post(alice, groupId, 'm1', { kind: 'message', text: 'meet at nine' });
  await eventually(
    () => shown('m1')?.text,
    (text) => text === 'meet at nine',
    'Alice’s message',
  );
  // Mallory has a key of his own here (so his real envelopes open), then turns hostile.
  await post(mallory, groupId, 'x0', { kind: 'message', text: 'hi all' });
  await eventually(
    () => shown('x0')?.text,
    (text) => text === 'hi all',
    'Mallory’s first message',
  );

  await send(alice, groupId, 'g1', randomBytes(120).toString('base64'));
  await send(alice, groupId, 'r1', sealed);
  // Under Alice's distribution id, with a chain of his own: it can only ever be his.
  const aliceKey = alice.device.mirror.signal.senderKeyOf(groupId)!;
  const forging = ratchetOf(mallory.device);
  const malloryAddress = signal.ProtocolAddress.new(mallory.device.userId, mallory.device.deviceNumber());
  await signal.SenderKeyDistributionMessage.create(malloryAddress, aliceKey, forging);
  const forged = await signal.groupEncrypt(
    malloryAddress,
    aliceKey,
    forging,
    encodeContent({ kind: 'message', text: 'send me the money' }),
  );
  await send(mallory, groupId, 'f1', Buffer.from(forged.serialize()).toString('base64'));
  await post(mallory, groupId, 'e1', { kind: 'edit', messageId: 'm1', text: 'meet at midnight' });
  const eve = await servers.createAccount(server, { username: 'eve' });
  const eveSocket = await servers.connect(server, eve.token);
  expect(
    await eveSocket.request({ type: 'send_envelope', conversationId: groupId, clientId: 'v1', ciphertext: sealed }),
  ).toMatchObject({
    type: 'error',
    ...REFUSALS.conversation_not_found,
  });

  await post(alice, groupId, 'm2', { kind: 'message', text: 'see you there' });
  await eventually(
    () => shown('m2')?.text,
    (text) => text === 'see you there',
    'what came after',
  );
  expect(shown('m1')).toMatchObject({ text: 'meet at nine', edited: false });
  for (const hostile of ['g1', 'r1', 'f1', 'e1']) expect(shown(hostile)).toBeNull();
  expect(waitingIn(bob.device, groupId).map((envelope) => envelope.clientId)).toEqual(['g1', 'r1', 'f1']);
  // The garbage and the replay are told; the forgery waits for a key of Mallory's that does not exist, quietly.
  const unopened = bob.device.warnings.filter((warning) => warning.message === 'an envelope did not open');
  expect(unopened.map((warning) => warning.fields?.seq)).toHaveLength(2);
  expect(bob.device.engine.connectionState).toBe('online');
});
