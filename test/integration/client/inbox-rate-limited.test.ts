/**
 * The device inbox read at connecting brings the sender keys of what was sealed meanwhile. A busy
 * server may turn that read away (rate_limited: read again after the wait the server names), or
 * fail it (read again after a backoff): either way the messages open once it is read, instead of
 * waiting to be asked for again.
 */
import { afterEach, expect, it } from 'vitest';
import { acceptanceStored, converse, offline, online, person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function awayWhileAliceWrites() {
  const server = await servers.startServer();
  const transport = new FaultyTransport();
  const alice = (await person(clients, server, 'alice')).core;
  const bob = (await person(clients, server, 'bob', { transport })).core;
  const conversationId = await converse(alice, bob, 'bob');
  await acceptanceStored(server, bob, conversationId);

  await bob.setPreferences({ workOffline: true });
  await offline(bob);
  // Alice's first message here hands her key to bob's device: it waits in his inbox.
  const sent = await alice.sendMessage({ conversationId, text: 'while you were away' });
  await eventually(
    async () => (await alice.listMessages({ conversationId })).messages.find((m) => m.id === sent.id)?.seq,
    (seq) => seq !== null && seq !== undefined,
    'alice’s message stored',
  );

  return { alice, bob, transport, conversationId };
}

it.each([
  ['turned away as rate_limited', { code: 'rate_limited' as const, message: 'Try again later', retryAfterMs: 50 }],
  ['that failed on the server', { code: 'internal' as const, message: 'Database busy' }],
])('a device inbox read %s is read again, and what was sealed meanwhile opens without a resend', async (_, refusal) => {
  const { bob, transport, conversationId } = await awayWhileAliceWrites();
  let inboxReads = 0;
  transport.fromClient = (frame) => {
    if (frame.type !== 'fetch_inbox') return 'pass';
    inboxReads += 1;
    if (inboxReads > 1) return 'pass';
    return { answer: { type: 'error', rid: frame.rid, ...refusal } };
  };
  const sentBefore = transport.sent.length;
  await bob.setPreferences({ workOffline: false });
  await online(bob);
  await eventually(
    async () => (await bob.listMessages({ conversationId })).messages.map((m) => m.text),
    (texts) => texts.includes('while you were away'),
    'bob reads the message',
  );
  expect(inboxReads).toBe(2);
  // Nothing went from bob's device to alice's: no request to send it again.
  expect(transport.sent.slice(sentBefore).filter((frame) => frame.type === 'send_to_devices')).toEqual([]);
});
