/**
 * Hostile resend requests and answers (crypto/resend-answerer.ts, crypto/resend-asker.ts) against
 * a real engine, sent by real engines through the real server: requests that are not device
 * messages, a request naming a conversation the asker is not in, one for another device, content
 * sent again that nobody asked for or that is no content. Each is ignored and logged by ids and
 * codes alone (never what it said), and the inbox and the conversation go on.
 */
import { afterEach, expect, it } from 'vitest';
import type { DeviceMessage } from '../../../sync/content/device-messages.js';
import { eventually } from '../../support/client-harness.js';
import { engineDevices, groupOf, post, postStored } from '../../support/crypto-devices.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const { member, cleanup } = engineDevices(servers);
afterEach(async () => {
  await cleanup();
  await servers.cleanup();
});

/** Any JSON as a device message: the sender's engine encodes it as it is, unchecked. */
const unchecked = (message: object) => message as DeviceMessage;

it('ignores garbage requests, requests about other conversations and unasked content, logging ids only, and goes on', async () => {
  const server = await servers.startServer();
  const alice = await member(server, 'alice');
  const bob = await member(server, 'bob');
  const mallory = await member(server, 'mallory');
  const groupId = await groupOf(alice, [bob]);
  const elsewhere = await groupOf(mallory, [alice]);
  const stored = await postStored(alice, groupId, 'm1', { kind: 'message', text: 'secret words' });
  alice.device.mirror.sentContent.keep(stored, { kind: 'message', text: 'secret words' });
  const to = alice.device.deviceNumber();
  const hostile = [
    // Not device messages: no client id; a device number no device has; content that is none.
    unchecked({ kind: 'resend_request', forDevice: to, conversationId: groupId }),
    unchecked({ kind: 'resend_request', forDevice: 0, conversationId: groupId, clientId: 'm1' }),
    unchecked({
      kind: 'resent_content',
      forDevice: to,
      conversationId: groupId,
      clientId: 'm1',
      content: { kind: 'message', text: ' ' },
    }),
    // Well formed: for another of Alice's devices (dropped), and content Alice never asked for.
    { kind: 'resend_request' as const, forDevice: to + 1, conversationId: groupId, clientId: 'm1' },
    {
      kind: 'resent_content' as const,
      forDevice: to,
      conversationId: groupId,
      clientId: 'm1',
      content: { kind: 'message' as const, text: 'secret words' },
    },
  ];
  for (const message of hostile) bob.device.engine.sendToDevices([alice.device.userId], message);
  // Mallory asks about the group she is not in, naming its message.
  mallory.device.engine.sendToDevices([alice.device.userId], {
    kind: 'resend_request',
    forDevice: to,
    conversationId: groupId,
    clientId: 'm1',
  });
  await eventually(
    () => alice.device.warnings.map((warning) => warning.message),
    (messages) =>
      messages.filter((message) => message === 'a device envelope could not be read').length === 3 &&
      messages.includes('a resend request from someone not a member was ignored'),
    'each hostile message logged',
  );

  // The inbox and the conversation go on: what Bob writes next shows, and nothing was sent to Mallory.
  await post(bob, groupId, 'm2', { kind: 'message', text: 'and on' });
  await eventually(
    () => alice.device.mirror.views.messageView(groupId, 'm2', alice.device.userId)?.text,
    (text) => text === 'and on',
    'Bob’s next message',
  );
  expect(alice.device.engine.connectionState).toBe('online');
  expect(
    alice.device.mirror.sentContent.noteResend(
      groupId,
      'm1',
      { userId: mallory.device.userId, deviceNumber: mallory.device.deviceNumber() },
      0,
    ),
  ).toBe(true);
  expect(alice.device.mirror.views.messagePage(elsewhere, alice.device.userId, 50).messages).toEqual([]);
  // Logged by ids and codes: nothing any of them said.
  expect(JSON.stringify(alice.device.warnings)).not.toContain('secret words');
  expect(alice.device.warnings).toHaveLength(4);
});
