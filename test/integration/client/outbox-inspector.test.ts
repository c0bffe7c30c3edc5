/**
 * The outbox inspector (Settings → "Outbox") over real cores and a real server: what is queued is
 * listed per conversation in send order with its kind, state, attempts and last error (a code,
 * never the server's words); "Retry now" sends at once what waits for a retry or a reconnect, and
 * queues a refused one again; "Discard" takes an item out, and the server never sees it. What
 * the outbox sends goes sealed (`send_envelope`): frames are told apart by client id and order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxItemView } from '../../../sync/app-api/outbox-api.js';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { openClientCore } from '../../../sync/client/client-core.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { handRuntime } from '../../support/hand-runtime.js';
import { converse, offline, online, person, settled, acceptedBy } from '../../support/people.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
const ownCores: ClientCore[] = [];
afterEach(async () => {
  await Promise.all(ownCores.splice(0).map((core) => core.close()));
  await clients.cleanup();
  await servers.cleanup();
});

/** What the dialog shows of an item, without the ids. */
const shown = (item: OutboxItemView) => ({
  conversationName: item.conversationName,
  kind: item.kind,
  text: item.text,
  state: item.state,
  attempts: item.attempts,
  lastError: item.lastError,
});

const texts = async (core: ClientCore, conversationId: string) =>
  (await core.listMessages({ conversationId, limit: 1000 })).messages.map((m) => m.text);

/**
 * Alice on a clock and timers that move only when the test says (they never do here): a retry
 * or a reconnect she waits for never comes by itself. Signed up, online, in a conversation with Bob.
 */
async function aliceOnHandClock(server: TestServer, transport: FaultyTransport) {
  const bob = (await person(clients, server, 'bob')).core;
  const { runtime } = handRuntime(1_000_000);
  const alice = await openClientCore(
    {
      profileDir: await clients.profileDir(),
      defaultServerUrl: server.url,
      runtime: { ...runtime, random: realRuntime().random },
    },
    { transport },
  );
  ownCores.push(alice);
  await alice.createAccount({ serverUrl: server.url, username: 'alice', displayName: 'Alice', password: DEFAULT_TEST_PASSWORD });
  await eventually(
    () => alice.getConnectionState(),
    (state) => state === 'online',
    'alice online',
  );
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, conversationId);
  return { alice, bob, conversationId, now: () => runtime.clock.now() };
}

/** Alice and Bob (real clocks) in a conversation with one acknowledged message, "hello". */
async function pair(transport?: FaultyTransport) {
  const server = await servers.startServer();
  const alice = (await person(clients, server, 'alice', transport ? { transport } : {})).core;
  const bob = (await person(clients, server, 'bob')).core;
  const conversationId = await converse(alice, bob, 'bob');
  const hello = await alice.sendMessage({ conversationId, text: 'hello' });
  await settled(alice, conversationId);
  const bobId = (await bob.getSession())!.user.id;
  return { server, alice, bob, bobId, conversationId, hello };
}

async function goOffline(server: TestServer, alice: TestCore) {
  await server.close();
  await offline(alice);
}

describe('outbox inspector', () => {
  it('lists what was queued offline per conversation in send order, with kind, preview and state, and drains', async () => {
    const { server, alice, bob, bobId, conversationId, hello } = await pair();
    await goOffline(server, alice);
    alice.events.length = 0;

    await alice.sendMessage({ conversationId, text: 'one' });
    await alice.editMessage({ conversationId, messageId: hello.id, text: 'hello again' });
    await alice.setReaction({ conversationId, messageId: hello.id, emoji: '👍', on: true });
    const group = await alice.createGroup({ name: 'Trip', memberIds: [bobId] });
    await alice.sendMessage({ conversationId: group.id, text: 'to the group' });
    await alice.sendMessage({ conversationId, text: 'two' });

    const listing = await alice.listOutbox();
    const waiting = { state: 'waiting_for_connection', attempts: 0, lastError: null } as const;
    expect(listing.total).toBe(6);
    expect(listing.items.map(shown)).toEqual([
      { conversationName: 'Bob', kind: 'message', text: 'one', ...waiting },
      { conversationName: 'Bob', kind: 'edit', text: 'hello again', ...waiting },
      { conversationName: 'Bob', kind: 'add_reaction', text: 'hello', ...waiting },
      { conversationName: 'Bob', kind: 'message', text: 'two', ...waiting },
      { conversationName: 'Trip', kind: 'create_conversation', text: 'Trip', ...waiting },
      { conversationName: 'Trip', kind: 'message', text: 'to the group', ...waiting },
    ]);
    expect(listing.items[2]!.emoji).toBe('👍');
    expect(listing.items[4]!.people).toEqual(['Bob']);
    expect(listing.items.every((item) => item.nextRetryAt === null)).toBe(true);
    expect(alice.events).toContainEqual({ type: 'outbox' });

    await servers.startServer({ dataDir: server.dataDir, port: server.port });
    await eventually(
      () => alice.listOutbox(),
      (after) => after.total === 0 && after.items.length === 0,
      'the outbox drained',
      20_000,
    );
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 3 && list[0] === 'hello again',
      'bob has them',
    );
    expect(await texts(bob, conversationId)).toEqual(['hello again', 'one', 'two']);
  });

  it('shows a refusal by its code, never the server’s words; Retry now queues it again and it is sent', async () => {
    const transport = new FaultyTransport();
    const { alice, bob, conversationId } = await pair(transport);
    // The next two envelopes are refused, in the order they go: with a reason, then without one.
    const refusals: Array<(rid: string) => ServerFrame> = [
      (rid) => ({ type: 'error', rid, code: 'forbidden', reason: 'not_allowed', message: 'Words from the server' }),
      (rid) => ({ type: 'error', rid, code: 'invalid', message: 'Another server sentence' }),
    ];
    transport.fromClient = (frame) => {
      const refusal = frame.type === 'send_envelope' ? refusals.shift() : undefined;
      return refusal ? { answer: refusal(frame.rid) } : 'pass';
    };
    const withReason = await alice.sendMessage({ conversationId, text: 'refused with a reason' });
    await eventually(
      () => alice.listOutbox(),
      (listing) => listing.items.some((item) => item.state === 'failed'),
      'the first refused',
    );
    const withoutReason = await alice.sendMessage({ conversationId, text: 'refused without one' });
    const listing = await eventually(
      () => alice.listOutbox(),
      (now) => now.items.length === 2 && now.items.every((item) => item.state === 'failed'),
      'both refused',
    );
    expect(listing.items.map((item) => [item.id, item.kind, item.lastError, item.attempts])).toEqual([
      [withReason.id, 'message', 'not_allowed', 1],
      [withoutReason.id, 'message', 'refused', 1],
    ]);
    expect(JSON.stringify(listing)).not.toMatch(/server/i);

    transport.fromClient = () => 'pass';
    await alice.retryOutboxItem({ id: withReason.id });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.includes('refused with a reason'),
      'bob receives the retried message',
    );
    await eventually(
      () => alice.listOutbox(),
      (now) => now.items.map((item) => item.id).join() === withoutReason.id,
      'only the other is left',
    );
    expect(await texts(bob, conversationId)).toEqual(['hello', 'refused with a reason']);
  });

  it('Retry now sends an item waiting for its retry at once, while online', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const { alice, bob, conversationId, now } = await aliceOnHandClock(server, transport);
    // The server fails for a moment (a transient `internal`), once.
    let failures = 1;
    transport.fromClient = (frame) =>
      frame.type === 'send_envelope' && failures-- > 0
        ? { answer: { type: 'error', rid: frame.rid, code: 'internal', message: 'The store failed for a moment' } }
        : 'pass';
    const later = await alice.sendMessage({ conversationId, text: 'later' });
    const [item] = (
      await eventually(
        () => alice.listOutbox(),
        (listing) => listing.items[0]?.state === 'waiting_to_retry',
        'the send backs off',
      )
    ).items;
    expect(item).toMatchObject({ id: later.id, state: 'waiting_to_retry', attempts: 1, lastError: 'server_error' });
    expect(item!.nextRetryAt).toBeGreaterThan(now());
    // Its retry time never comes on this clock: nothing more goes by itself.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(transport.sent.filter((frame) => frame.type === 'send_envelope')).toEqual([]);

    await alice.retryOutboxItem({ id: later.id });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.includes('later'),
      'bob receives it',
    );
    expect(await texts(bob, conversationId)).toEqual(['later']);
    expect(transport.sent.flatMap((frame) => (frame.type === 'send_envelope' ? [frame.clientId] : []))).toEqual([later.id]);
    expect((await alice.listOutbox()).items).toEqual([]);
  });

  it('Retry now reconnects at once when the connection waits to try again', async () => {
    const server = await servers.startServer();
    const { alice, bob, conversationId } = await aliceOnHandClock(server, new FaultyTransport());
    await server.close();
    await eventually(
      () => alice.getConnectionState(),
      (state) => state === 'offline',
      'alice offline',
    );
    const queued = await alice.sendMessage({ conversationId, text: 'queued' });
    expect((await alice.listOutbox()).items.map(shown)).toEqual([
      { conversationName: 'Bob', kind: 'message', text: 'queued', state: 'waiting_for_connection', attempts: 0, lastError: null },
    ]);
    await servers.startServer({ dataDir: server.dataDir, port: server.port });
    await online(bob);
    // Her reconnect is due on a clock that does not move.
    expect(await alice.getConnectionState()).toBe('offline');

    await alice.retryOutboxItem({ id: queued.id });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.includes('queued'),
      'bob receives it',
    );
    expect(await texts(bob, conversationId)).toEqual(['queued']);
  });

  it('Discard takes a queued message or change out: the server never sees it, and nothing else is lost', async () => {
    const transport = new FaultyTransport();
    const { server, alice, bob, conversationId, hello } = await pair(transport);
    await goOffline(server, alice);
    const keep = await alice.sendMessage({ conversationId, text: 'keep' });
    const drop = await alice.sendMessage({ conversationId, text: 'drop' });
    await alice.editMessage({ conversationId, messageId: hello.id, text: 'an edit nobody sees' });
    const edit = (await alice.listOutbox()).items.find((item) => item.kind === 'edit')!;

    await alice.discardOutboxItem({ id: drop.id });
    await alice.discardOutboxItem({ id: edit.id });
    expect((await alice.listOutbox()).items.map((item) => [item.kind, item.text])).toEqual([['message', 'keep']]);
    expect(await texts(alice, conversationId)).toEqual(['hello', 'keep']);
    await expect(alice.discardOutboxItem({ id: drop.id })).rejects.toMatchObject({ code: 'not_found' });

    await servers.startServer({ dataDir: server.dataDir, port: server.port });
    await eventually(
      () => alice.listOutbox(),
      (listing) => listing.total === 0,
      'the outbox drained',
      20_000,
    );
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.includes('keep'),
      'bob receives what was kept',
    );
    expect(await texts(bob, conversationId)).toEqual(['hello', 'keep']);
    // The edit would have gone as an envelope of its own: only the two messages ever went.
    const onTheWire = transport.sent.flatMap((frame) => (frame.type === 'send_envelope' ? [frame.clientId] : []));
    expect(onTheWire).toEqual([hello.id, keep.id]);
  });

  it('refuses to discard what is on the wire: the server is handling it', async () => {
    const transport = new FaultyTransport();
    const { alice, conversationId } = await pair(transport);
    // No answer comes (the frame is lost): it stays on the wire.
    transport.fromClient = (frame) => (frame.type === 'send_envelope' ? 'drop' : 'pass');
    const unanswered = await alice.sendMessage({ conversationId, text: 'no answer yet' });
    await eventually(
      () => alice.listOutbox(),
      (listing) => listing.items[0]?.state === 'sending',
      'on the wire',
    );
    await expect(alice.discardOutboxItem({ id: unanswered.id })).rejects.toMatchObject({ code: 'conflict' });
    expect((await alice.listOutbox()).items.map((item) => [item.id, item.state, item.attempts])).toEqual([
      [unanswered.id, 'sending', 1],
    ]);
  });
});
