/**
 * A text sent online is sealed before it is written, and the message, its outbox row, the sealed
 * envelope and the sender key's new state are stored in one transaction (OutboxSender.sealFirst).
 * What people see must not change with it: messages written quickly one after another, or beside
 * another change to the conversation, still go in the order they were written, each once, and a
 * seal made ahead of a row that turns out not to be the one due is never sent.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SenderKeys } from '../../../sync/client/crypto/sender-keys.js';
import { converse, person } from '../../support/people.js';
import { withMirrorOf } from '../../support/db-invariants.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  vi.restoreAllMocks();
  await clients.cleanup();
  await servers.cleanup();
});

/** Alice (on `transport`) and Bob, online, in a direct conversation with `history` messages of Alice's acknowledged. */
async function talking(transport: FaultyTransport, history: number) {
  const server = await servers.startServer();
  const alice = (await person(clients, server, 'alice', { transport })).core;
  const bob = (await person(clients, server, 'bob')).core;
  const conversationId = await converse(alice, bob, 'bob');
  const earlier = Array.from({ length: history }, (_, i) => `earlier ${i + 1}`);
  for (const text of earlier) await alice.sendMessage({ conversationId, text });
  await drained(alice);
  return { alice, bob, conversationId, earlier };
}

async function drained(core: TestCore): Promise<void> {
  await eventually(
    () => core.listOutbox(),
    (listing) => listing.total === 0,
    'the outbox drained',
    20_000,
  );
}

/** Reads the core's mirror through a connection of its own, as it is committed. */
function withMirror<T>(core: TestCore, read: (db: Database.Database) => T): T {
  return withMirrorOf(core.profileDir, read);
}

/** Texts and sequence numbers as `core` shows them, once it has `count` of them. */
async function shown(core: TestCore, conversationId: string, count: number) {
  const list = await eventually(
    async () => (await core.listMessages({ conversationId, limit: 1000 })).messages,
    (messages) => messages.length >= count && messages.every((m) => m.seq !== null),
    `${count} messages shown with their sequence numbers`,
    20_000,
  );
  return list.map((m) => [m.text, m.seq]);
}

describe('a text sealed before it is written', () => {
  it('is on disk only with its envelope: the message, its row and the seal commit together', async () => {
    const transport = new FaultyTransport();
    const { alice, bob, conversationId, earlier } = await talking(transport, 2);
    const onDiskAsSealingBegins: Array<{ messages: number; unsealedRows: number }> = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the instance as `this`
    const seal = SenderKeys.prototype.seal;
    vi.spyOn(SenderKeys.prototype, 'seal').mockImplementation(function (this: SenderKeys, ...args) {
      onDiskAsSealingBegins.push(
        withMirror(alice, (db) => ({
          messages: (db.prepare("SELECT COUNT(*) AS n FROM messages WHERE text = 'sealed first'").get() as { n: number }).n,
          unsealedRows: (db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE sealed IS NULL').get() as { n: number }).n,
        })),
      );
      return seal.apply(this, args);
    });
    const sent = await alice.sendMessage({ conversationId, text: 'sealed first' });
    expect(onDiskAsSealingBegins).toEqual([{ messages: 0, unsealedRows: 0 }]);
    const frames = transport.sent.filter((frame) => frame.type === 'send_envelope' && frame.clientId === sent.id);
    expect(frames).toHaveLength(1);
    const texts = [...earlier, 'sealed first'].map((text, i) => [text, i + 1]);
    expect(await shown(bob, conversationId, 3)).toEqual(texts);
    expect(await shown(alice, conversationId, 3)).toEqual(texts);
  });

  it('texts and a poll sent one after another without waiting go in the order written, each once', async () => {
    const transport = new FaultyTransport();
    const { alice, bob, conversationId, earlier } = await talking(transport, 1);
    // The poll is never sealed ahead (only a text alone is): it waits for the text before it.
    const views = await Promise.all([
      alice.sendMessage({ conversationId, text: 'quick 1' }),
      alice.sendPoll({ conversationId, question: 'Lunch?', options: ['yes', 'no'], multiple: false }),
      alice.sendMessage({ conversationId, text: 'quick 2' }),
      alice.sendMessage({ conversationId, text: 'quick 3' }),
    ]);
    const quick = ['quick 1', 'Lunch?', 'quick 2', 'quick 3'];
    expect(views.map((view) => view.text)).toEqual(quick);
    const texts = [...earlier, ...quick].map((text, i) => [text, i + 1]);
    expect(await shown(bob, conversationId, texts.length)).toEqual(texts);
    expect(await shown(alice, conversationId, texts.length)).toEqual(texts);
    const envelopes = transport.sent.flatMap((frame) => (frame.type === 'send_envelope' ? [frame.clientId] : []));
    expect(new Set(envelopes).size).toBe(envelopes.length);
    await drained(alice);
  });

  it('a reaction queued while the text is being sealed goes first; the text goes after it, sealed again, once', async () => {
    const transport = new FaultyTransport();
    const { alice, bob, conversationId } = await talking(transport, 1);
    const [first] = (await alice.listMessages({ conversationId, limit: 10 })).messages;
    const before = transport.sent.length;
    const sending = alice.sendMessage({ conversationId, text: 'after the reaction' });
    // In the same turn: the text's seal has not begun, the reaction's row is written at once.
    await alice.setReaction({ conversationId, messageId: first!.id, emoji: '👍', on: true });
    const sent = await sending;
    await drained(alice);
    const envelopes = transport.sent
      .slice(before)
      .flatMap((frame) => (frame.type === 'send_envelope' ? [{ clientId: frame.clientId, ciphertext: frame.ciphertext }] : []));
    // Two envelopes: the reaction's, then the text's, never the seal made ahead of the reaction.
    expect(envelopes).toHaveLength(2);
    expect(envelopes[1]!.clientId).toBe(sent.id);
    const onBob = await eventually(
      async () => (await bob.listMessages({ conversationId, limit: 10 })).messages,
      (messages) => messages.length === 2 && messages[0]!.reactions.length === 1,
      'bob has the reaction and the text',
      20_000,
    );
    expect(onBob.map((m) => [m.text, m.seq])).toEqual([
      ['earlier 1', 1],
      ['after the reaction', 3],
    ]);
    expect(onBob[0]!.reactions.map((r) => r.emoji)).toEqual(['👍']);
  });
});
