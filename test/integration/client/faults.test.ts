import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
import { acceptedBy } from '../../support/people.js';
import { MIRROR_FILE } from '../../../sync/client/client-core.js';
import { contentSchema } from '../../../sync/content/content.js';
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function setUp(aliceTransport?: FaultyTransport, bobTransport?: FaultyTransport) {
  const server = await servers.startServer();
  const aliceProfile = await clients.profileDir();
  const bobProfile = await clients.profileDir();
  const alice = await clients.open(aliceProfile, server.url, aliceTransport);
  const bob = await clients.open(bobProfile, server.url, bobTransport);
  await alice.createAccount({ serverUrl: server.url, username: 'alice', displayName: 'Alice', password: DEFAULT_TEST_PASSWORD });
  await bob.createAccount({ serverUrl: server.url, username: 'bob', displayName: 'Bob', password: DEFAULT_TEST_PASSWORD });
  await eventually(
    () => alice.getConnectionState(),
    (s) => s === 'online',
    'alice online',
  );
  await eventually(
    () => bob.getConnectionState(),
    (s) => s === 'online',
    'bob online',
  );
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, conversationId);
  return { server, alice, bob, bobProfile, conversationId };
}

const texts = async (core: TestCore, conversationId: string) =>
  (await core.listMessages({ conversationId, limit: 1000 })).messages.map((m) => m.text);

/** The client ids of the envelopes that went on the wire (what the outbox sends goes sealed), in order. */
const envelopes = (transport: FaultyTransport) =>
  transport.sent.flatMap((frame) => (frame.type === 'send_envelope' ? [frame.clientId] : []));

/** What the device kept of the envelope `clientId` it sealed (mirror/sent-content.ts), read from its mirror file. */
function sentContent(core: TestCore, conversationId: string, clientId: string): unknown {
  const db = new Database(join(core.profileDir, MIRROR_FILE), { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare('SELECT content FROM sent_content WHERE conversation_id = ? AND client_id = ?')
      .get(conversationId, clientId) as { content: string } | undefined;
    return row ? contentSchema.parse(JSON.parse(row.content)) : null;
  } finally {
    db.close();
  }
}

describe('client core under faults', () => {
  it('names a refused username lookup as rate-limited, for the app to say so in its own words', async () => {
    const server = await servers.startServer({
      frameThrottle: { lookupsPerWindow: 1, lookupWindowMs: 60_000, typingRelayEveryMs: 1_000 },
    });
    const alice = await clients.open(await clients.profileDir(), server.url);
    await alice.createAccount({
      serverUrl: server.url,
      username: 'alice',
      displayName: 'Alice',
      password: DEFAULT_TEST_PASSWORD,
    });
    await servers.createAccount(server, { username: 'bob' });
    await servers.createAccount(server, { username: 'carol' });
    await eventually(
      () => alice.getConnectionState(),
      (s) => s === 'online',
      'alice online',
    );
    await alice.startConversation({ username: 'bob' });
    await expect(alice.startConversation({ username: 'carol' })).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('learns of a lost acknowledgement from catch-up after reconnecting, and sends nothing twice', async () => {
    const faulty = new FaultyTransport();
    let dropped = 0;
    faulty.fromServer = (frame, socket) => {
      if (frame.type === 'sent' && dropped === 0) {
        dropped += 1;
        socket.close(); // the server committed, the client never heard
        return 'drop';
      }
      return 'pass';
    };
    const { alice, bob, conversationId } = await setUp(faulty);
    const message = await alice.sendMessage({ conversationId, text: 'only once' });
    await eventually(
      () => alice.listMessages({ conversationId }),
      (p) => p.messages[0]?.seq === 1,
      'acknowledged',
      20_000,
    );
    expect(envelopes(faulty)).toEqual([message.id]);
    // Its outbox row went with the catch-up, and an open outbox dialog was told to read again.
    expect((await alice.listOutbox()).items).toEqual([]);
    const cut = alice.events.map((event) => event.type === 'connection' && event.state !== 'online').lastIndexOf(true);
    expect(cut).toBeGreaterThan(-1);
    expect(alice.events.slice(cut)).toContainEqual({ type: 'outbox' });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 1,
      'bob has it',
    );
    expect((await alice.listMessages({ conversationId })).messages).toHaveLength(1);
    // What it said is kept to send again, as the lost answer would have kept it (crypto/resend-answerer.ts).
    expect(sentContent(alice, conversationId, message.id)).toEqual({ kind: 'message', text: 'only once' });
  });

  it('resends with the same client message id when the acknowledgement is lost, and the server stores it once', async () => {
    const faulty = new FaultyTransport();
    let phase: 'drop-ack' | 'hide-catch-up' | 'normal' = 'drop-ack';
    faulty.fromServer = (frame, socket) => {
      if (frame.type === 'sent' && phase === 'drop-ack') {
        phase = 'hide-catch-up';
        socket.close();
        return 'drop';
      }
      return 'pass';
    };
    faulty.fromClient = (frame) => {
      // After reconnecting, pretend catch-up found nothing, so only a resend can settle the message.
      if (frame.type === 'catch_up' && phase === 'hide-catch-up') {
        phase = 'normal';
        return {
          answer: { type: 'events', rid: frame.rid, conversationId: frame.conversationId, events: [], hasMore: false, users: [] },
        };
      }
      return 'pass';
    };
    const { alice, bob, conversationId } = await setUp(faulty);
    const message = await alice.sendMessage({ conversationId, text: 'only once' });
    await eventually(
      () => alice.listMessages({ conversationId }),
      (p) => p.messages[0]?.seq === 1,
      'acknowledged',
      20_000,
    );
    expect(envelopes(faulty)).toEqual([message.id, message.id]);
    // Sent again as the very envelope it was sealed into, not sealed afresh.
    const ciphertexts = faulty.sent.flatMap((frame) => (frame.type === 'send_envelope' ? [frame.ciphertext] : []));
    expect(new Set(ciphertexts).size).toBe(1);
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 1,
      'bob has it',
    );
    expect((await bob.listMessages({ conversationId })).messages.map((m) => [m.text, m.seq])).toEqual([['only once', 1]]);
    expect((await alice.listMessages({ conversationId })).messages).toHaveLength(1);
  });

  it('notices a gap in live sequence numbers and catches up the missing event', async () => {
    const bobTransport = new FaultyTransport();
    let droppedLive = false;
    bobTransport.fromServer = (frame) => {
      if (frame.type === 'event' && frame.event.seq === 2 && !droppedLive) {
        droppedLive = true;
        return 'drop';
      }
      return 'pass';
    };
    const { alice, bob, conversationId } = await setUp(undefined, bobTransport);
    for (const text of ['first', 'second', 'third']) {
      await alice.sendMessage({ conversationId, text });
      await eventually(
        () => alice.listMessages({ conversationId }),
        (p) => p.messages.at(-1)?.seq !== null,
        'acked',
      );
    }
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 3,
      'bob caught up',
    );
    expect(droppedLive).toBe(true);
    expect(await texts(bob, conversationId)).toEqual(['first', 'second', 'third']);
    expect(bobTransport.sent.some((frame) => frame.type === 'catch_up' && frame.afterSeq === 1)).toBe(true);
  });

  it('catches up across several pages after being away', async () => {
    const { alice, bob, bobProfile, server, conversationId } = await setUp();
    await bob.close();
    const count = LIMITS.maxCatchUpPage * 2 + 50; // three pages
    for (let i = 1; i <= count; i += 1) await alice.sendMessage({ conversationId, text: `message ${i}` });
    // Unsent messages are always part of a page, so a one-message page shows whether any remain.
    await eventually(
      async () => (await alice.listMessages({ conversationId, limit: 1 })).messages.filter((m) => m.seq === null).length,
      (pending) => pending === 0,
      'all acknowledged',
      50_000,
    );
    const transport = new FaultyTransport();
    const back = await clients.open(bobProfile, server.url, transport);
    await eventually(
      async () => (await back.listMessages({ conversationId, limit: 1 })).messages[0]?.seq,
      (seq) => seq === count,
      'all caught up',
      30_000,
    );
    // Read the whole history back, newest page first, then older pages by seq.
    const history: { seq: number | null; text: string }[] = [];
    let page = await back.listMessages({ conversationId, limit: 400 });
    history.unshift(...page.messages);
    while (page.hasOlder) {
      page = await back.listMessages({ conversationId, limit: 400, beforeSeq: page.messages[0]!.seq! });
      history.unshift(...page.messages);
    }
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(history.map((m) => m.text)).toEqual(Array.from({ length: count }, (_, i) => `message ${i + 1}`));
    expect(transport.sent.filter((frame) => frame.type === 'catch_up').length).toBeGreaterThanOrEqual(3);
    await eventually(
      () => back.listConversations(),
      (list) => list[0]?.unreadCount === count,
      'unread count',
    );
  }, 90_000);

  it('marks a refused message failed with the reason; Retry sends it, Delete removes it', async () => {
    const faulty = new FaultyTransport();
    let refusals = 2;
    faulty.fromClient = (frame) => {
      // The first two sends are refused as a server that says no would; the server never sees them.
      if (frame.type === 'send_envelope' && refusals > 0) {
        refusals -= 1;
        return { answer: { type: 'error', rid: frame.rid, code: 'invalid', message: 'Refused by policy' } };
      }
      return 'pass';
    };
    const { alice, bob, conversationId } = await setUp(faulty);
    const kept = await alice.sendMessage({ conversationId, text: 'try again' });
    const dropped = await alice.sendMessage({ conversationId, text: 'never mind' });
    const after = await alice.sendMessage({ conversationId, text: 'not blocked' });
    await eventually(
      async () => (await alice.listMessages({ conversationId })).messages.map((m) => [m.text, m.status, m.error]),
      (list) => list.length === 3 && list[2]?.[1] !== 'sending',
      'refusals settled',
    );
    const settled = (await alice.listMessages({ conversationId })).messages;
    // Acknowledged ones come first (by sequence), then the ones still waiting or failed: with the
    // error's code (the renderer has the words), never the server's sentence.
    expect(settled.map((m) => [m.text, m.status, m.error])).toEqual([
      ['not blocked', expect.stringMatching(/sent|delivered/), null],
      ['try again', 'failed', 'invalid'],
      ['never mind', 'failed', 'invalid'],
    ]);

    await alice.retryMessage({ messageId: kept.id });
    await alice.discardMessage({ messageId: dropped.id });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 2,
      'bob has two',
    );
    expect(await texts(bob, conversationId)).toEqual(['not blocked', 'try again']);
    expect((await alice.listMessages({ conversationId })).messages.map((m) => m.text)).toEqual(['not blocked', 'try again']);
    await expect(alice.retryMessage({ messageId: after.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('retries a transient failure on a timer, without waiting for another send', async () => {
    const faulty = new FaultyTransport();
    let failures = 1;
    faulty.fromClient = (frame) => {
      if (frame.type === 'send_envelope' && failures > 0) {
        failures -= 1;
        return { answer: { type: 'error', rid: frame.rid, code: 'internal', message: 'Database busy' } };
      }
      return 'pass';
    };
    const { alice, bob, conversationId } = await setUp(faulty);
    const message = await alice.sendMessage({ conversationId, text: 'eventually' });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.join() === 'eventually',
      'retried',
      15_000,
    );
    expect(envelopes(faulty)).toEqual([message.id]);
    expect(failures).toBe(0);
  });
});
