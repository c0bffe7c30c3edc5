import Database from 'better-sqlite3-multiple-ciphers';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { acceptedBy, devicesPublished } from '../../support/people.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageStatus } from '../../../sync/app-api/contract.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function signUp(core: TestCore, serverUrl: string, username: string) {
  return core.createAccount({ serverUrl, username, displayName: username.toUpperCase(), password: DEFAULT_TEST_PASSWORD });
}

async function online(core: TestCore) {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === 'online',
    'online',
  );
}

async function statuses(core: TestCore, conversationId: string): Promise<(MessageStatus | null)[]> {
  return (await core.listMessages({ conversationId })).messages.map((message) => message.status);
}

async function texts(core: TestCore, conversationId: string): Promise<string[]> {
  return (await core.listMessages({ conversationId, limit: 1000 })).messages.map((message) => message.text);
}

async function twoPeople() {
  const server = await servers.startServer();
  const aliceProfile = await clients.profileDir();
  const alice = await clients.open(aliceProfile, server.url);
  const bob = await clients.open(await clients.profileDir(), server.url);
  await signUp(alice, server.url, 'alice');
  await signUp(bob, server.url, 'bob');
  await online(alice);
  await online(bob);
  const started = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, started.id);
  return { server, alice, bob, aliceProfile, conversationId: started.id };
}

describe('client core against a real server', () => {
  it('indexes received messages for search by itself after they are written, without a search asking', async () => {
    const { alice, bob, conversationId } = await twoPeople();
    for (const text of ['first of three', 'second of three', 'third of three']) await alice.sendMessage({ conversationId, text });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 3,
      'bob has the messages',
    );
    const indexed = () => {
      const db = new Database(join(bob.profileDir, 'mirror.sqlite'), { readonly: true });
      try {
        return db.prepare('SELECT COUNT(*) FROM message_search_docsize').pluck().get();
      } finally {
        db.close();
      }
    };
    await eventually(indexed, (count) => count === 3, 'the index holds the three messages');
  });

  it('finds received and own messages by their words, offline too, edits by their new text', async () => {
    const { server, alice, bob, conversationId } = await twoPeople();
    const sent = await alice.sendMessage({ conversationId, text: 'Привет! The parcel was delivered' });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 1,
      'bob has the message',
    );
    const [hit] = await bob.searchMessages({ query: 'deliv привет' });
    expect(hit).toMatchObject({
      conversationId,
      conversationTitle: 'ALICE',
      messageId: sent.id,
      senderName: 'ALICE',
      own: false,
    });
    expect(hit!.snippet.filter((part) => part.match).map((part) => part.text)).toEqual(['Привет', 'delivered']);

    await alice.editMessage({ conversationId, messageId: sent.id, text: 'The parcel is lost' });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.join() === 'The parcel is lost',
      'the edit reaches bob',
    );
    await server.close();
    await eventually(
      () => bob.getConnectionState(),
      (state) => state !== 'online',
      'bob is offline',
    );
    expect(await bob.searchMessages({ query: 'delivered' })).toEqual([]);
    expect((await bob.searchMessages({ query: 'LOST' })).map((result) => result.messageId)).toEqual([sent.id]);
    expect((await alice.searchMessages({ query: 'lost' }))[0]).toMatchObject({ own: true, conversationTitle: 'BOB' });
  });

  it('checkpoints the mirror once a catch-up is over: the catch-up only put the checkpoints off', async () => {
    const server = await servers.startServer();
    const alice = await clients.open(await clients.profileDir(), server.url);
    const bobProfile = await clients.profileDir();
    const bob = await clients.open(bobProfile, server.url);
    await signUp(alice, server.url, 'alice');
    const bobSession = await signUp(bob, server.url, 'bob');
    await online(alice);
    const { id: conversationId } = await alice.startConversation({ username: 'bob' });
    await acceptedBy(bob, conversationId);
    // Closed once his keys are published: what Alice seals meanwhile is then sealed for his device too.
    await devicesPublished(server, bobSession.user.id, 1);
    await bob.close();
    // About 6 MiB of text while bob is away: past the 4 MiB at which a commit checkpoints by default.
    for (let i = 0; i < 600; i += 1) await alice.sendMessage({ conversationId, text: `${i} ${'x'.repeat(10_000 - 8)}` });
    const file = join(bobProfile, 'mirror.sqlite');
    const before = statSync(file).size;
    const back = await clients.open(bobProfile, server.url);
    await eventually(
      () => texts(back, conversationId),
      (list) => list.length === 600,
      'bob caught up',
    );
    // Everything is in the file, not only in the WAL, once the work after the catch-up committed.
    await eventually(
      () => statSync(file).size - before,
      (grown) => grown > 5 * 1024 * 1024,
      'the WAL checkpointed into the file',
    );
  });

  it('delivers a message and moves its checkmarks Sending → Sent → Delivered → Read', async () => {
    const { alice, bob, conversationId } = await twoPeople();
    const sent = await alice.sendMessage({ conversationId, text: '  hello bob  ' });
    expect(sent.status).toBe('sending');
    expect(sent.text).toBe('hello bob');

    await eventually(
      () => texts(bob, conversationId),
      (list) => list.join() === 'hello bob',
      'bob has the message',
    );
    await eventually(
      () => statuses(alice, conversationId),
      (list) => list[0] === 'delivered',
      'delivered',
    );
    const [bobSummary] = await bob.listConversations();
    expect(bobSummary?.unreadCount).toBe(1);
    expect(bobSummary?.peer?.displayName).toBe('ALICE');
    expect(bobSummary?.lastMessage).toMatchObject({ text: 'hello bob', own: false });

    await bob.markRead({ conversationId });
    expect((await bob.listConversations())[0]?.unreadCount).toBe(0);
    await eventually(
      () => statuses(alice, conversationId),
      (list) => list[0] === 'read',
      'read',
    );
  });

  it('keeps messages written offline, sends them in order exactly once when the server is back', async () => {
    const { server, alice, bob, conversationId } = await twoPeople();
    const port = server.port;
    await server.close();
    await eventually(
      () => alice.getConnectionState(),
      (state) => state === 'offline',
      'alice offline',
    );

    for (const text of ['one', 'two', 'three']) await alice.sendMessage({ conversationId, text });
    expect(await statuses(alice, conversationId)).toEqual(['sending', 'sending', 'sending']);

    await servers.startServer({ dataDir: server.dataDir, port });
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.length === 3,
      'bob has three',
      20_000,
    );
    expect(await texts(bob, conversationId)).toEqual(['one', 'two', 'three']);
    const seqs = (await bob.listMessages({ conversationId })).messages.map((message) => message.seq);
    expect(seqs).toEqual([1, 2, 3]);
    await eventually(
      () => statuses(alice, conversationId),
      (list) => list.every((s) => s === 'delivered'),
      'delivered',
    );
  });

  it('keeps the outbox across closing and reopening the mirror', async () => {
    const { server, alice, bob, aliceProfile, conversationId } = await twoPeople();
    const port = server.port;
    await server.close();
    await alice.sendMessage({ conversationId, text: 'written on the train' });
    await alice.close();

    await servers.startServer({ dataDir: server.dataDir, port });
    // A new core on the same profile directory: the queued message is still there and goes out.
    const reopened = await clients.open(aliceProfile, server.url);
    expect((await reopened.listMessages({ conversationId })).messages.map((m) => [m.text, m.status])).toEqual([
      ['written on the train', 'sending'],
    ]);
    await eventually(
      () => texts(bob, conversationId),
      (list) => list.join() === 'written on the train',
      'delivered to bob',
      20_000,
    );
    await eventually(
      () => statuses(reopened, conversationId),
      (list) => list[0] === 'delivered',
      'delivered',
    );
  });
});
