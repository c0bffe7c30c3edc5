import { afterEach, expect, it } from 'vitest';
import type { SyncSocket } from '../../../sync/client/transport.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { acceptedBy, devicesPublished } from '../../support/people.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

it('catches up across pages sent in parts, and a connection cut mid-parts loses nothing and applies nothing twice', async () => {
  const server = await servers.startServer();
  const bobProfile = await clients.profileDir();
  const alice = await clients.open(await clients.profileDir(), server.url);
  const bob = await clients.open(bobProfile, server.url);
  await alice.createAccount({ serverUrl: server.url, username: 'alice', displayName: 'Alice', password: DEFAULT_TEST_PASSWORD });
  const bobSession = await bob.createAccount({
    serverUrl: server.url,
    username: 'bob',
    displayName: 'Bob',
    password: DEFAULT_TEST_PASSWORD,
  });
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, conversationId);
  // Closed once his keys are published: what Alice seals meanwhile is then sealed for his device too.
  await devicesPublished(server, bobSession.user.id, 1);
  await bob.close();

  // Two pages, each of several parts (a few hundred bytes of text per message).
  const count = LIMITS.maxCatchUpPage + 300;
  const text = (i: number) => Array.from({ length: 25 }, () => `message ${i}`).join(' ');
  for (let i = 1; i <= count; i += 1) await alice.sendMessage({ conversationId, text: text(i) });
  await eventually(
    async () => (await alice.listMessages({ conversationId, limit: 1 })).messages.filter((m) => m.seq === null).length,
    (pending) => pending === 0,
    'all acknowledged',
    50_000,
  );

  // The second page's connection is cut after two of its parts arrived.
  const transport = new FaultyTransport();
  const afterSeqOf = new Map<string, number>();
  const partsSeen: number[] = [];
  let cutSocket: SyncSocket | null = null;
  transport.fromClient = (frame) => {
    if (frame.type === 'catch_up' && frame.conversationId === conversationId) afterSeqOf.set(frame.rid, frame.afterSeq);
    return 'pass';
  };
  transport.fromServer = (frame, socket) => {
    if (socket === cutSocket) return 'drop';
    if (frame.type !== 'events_part' || frame.conversationId !== conversationId) return 'pass';
    partsSeen.push(frame.events.length);
    if (cutSocket === null && (afterSeqOf.get(frame.rid) ?? 0) > 0 && partsSeen.length >= 2) {
      cutSocket = socket;
      socket.close();
      return 'drop';
    }
    return 'pass';
  };
  const back = await clients.open(bobProfile, server.url, transport);
  await eventually(
    async () => (await back.listMessages({ conversationId, limit: 1 })).messages[0]?.seq,
    (seq) => seq === count,
    'all caught up',
    30_000,
  );
  expect(cutSocket).not.toBeNull();
  expect(partsSeen.length).toBeGreaterThan(10);

  // After the cut, the page was asked for again from the end of the first (more than once when a
  // slow machine's request timed out too): its parts moved nothing.
  const catchUps = transport.sent.filter((frame) => frame.type === 'catch_up' && frame.conversationId === conversationId);
  const firstPageEnd = catchUps.find((frame) => frame.type === 'catch_up' && frame.afterSeq > 0);
  const afterSeqs = catchUps.map((frame) => (frame.type === 'catch_up' ? frame.afterSeq : -1));
  expect(
    afterSeqs.filter((afterSeq) => afterSeq === (firstPageEnd as { afterSeq: number }).afterSeq).length,
  ).toBeGreaterThanOrEqual(2);
  expect(catchUps.every((frame) => frame.type === 'catch_up' && frame.inParts === true)).toBe(true);

  const history: { seq: number | null; text: string }[] = [];
  let page = await back.listMessages({ conversationId, limit: 400 });
  history.unshift(...page.messages);
  while (page.hasOlder) {
    page = await back.listMessages({ conversationId, limit: 400, beforeSeq: page.messages[0]!.seq! });
    history.unshift(...page.messages);
  }
  expect(history.map((m) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(history.map((m) => m.text)).toEqual(Array.from({ length: count }, (_, i) => text(i + 1)));
  await eventually(
    () => back.listConversations(),
    (list) => list[0]?.unreadCount === count,
    'unread count',
  );
}, 120_000);
