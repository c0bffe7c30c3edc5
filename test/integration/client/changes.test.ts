import { afterEach, describe, expect, it } from 'vitest';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { converse, offline, online, person, shared, sharedPage } from '../../support/people.js';
import { LIMITS } from '../../../sync/protocol/limits.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const texts = async (core: Awaited<ReturnType<typeof person>>['core'], conversationId: string) =>
  (await core.listMessages({ conversationId })).messages.map((m) => (m.deleted ? '(deleted)' : m.text));

describe('edits, deletes, reactions and replies between two people', () => {
  it('every change reaches the other side with its own sequence number, and quotes follow the original', async () => {
    const server = await servers.startServer();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');

    const first = await alice.core.sendMessage({ conversationId, text: 'Lunch at noon?' });
    await eventually(
      () => texts(bob.core, conversationId),
      (list) => list.length === 1,
      'bob has it',
    );
    const reply = await bob.core.sendMessage({ conversationId, text: 'Sure!', replyTo: first.id });
    expect(reply.replyTo).toMatchObject({ messageId: first.id, available: true, text: 'Lunch at noon?', senderName: 'Alice' });
    await eventually(
      () => texts(alice.core, conversationId),
      (list) => list.length === 2,
      'alice has the reply',
    );

    await alice.core.setReaction({ conversationId, messageId: reply.id, emoji: '👍', on: true });
    await alice.core.setReaction({ conversationId, messageId: reply.id, emoji: '🙏', on: true });
    await bob.core.setReaction({ conversationId, messageId: reply.id, emoji: '👍', on: true });
    await alice.core.editMessage({ conversationId, messageId: first.id, text: 'Lunch at one?' });

    await eventually(
      () => bob.core.listMessages({ conversationId }),
      (page) => page.messages[0]?.text === 'Lunch at one?' && page.messages[1]?.reactions.length === 2,
      'bob sees the edit and reactions',
    );
    const bobPage = (await bob.core.listMessages({ conversationId })).messages;
    expect(bobPage[0]).toMatchObject({ text: 'Lunch at one?', edited: true });
    expect(bobPage[1]?.replyTo).toMatchObject({ text: 'Lunch at one?', deleted: false });
    expect(bobPage[1]?.reactions).toEqual([
      { emoji: '👍', count: 2, mine: true },
      { emoji: '🙏', count: 1, mine: false },
    ]);
    expect((await bob.core.getEditHistory({ conversationId, messageId: first.id })).map((v) => v.text)).toEqual([
      'Lunch at noon?',
      'Lunch at one?',
    ]);

    await alice.core.deleteMessage({ conversationId, messageId: first.id });
    await eventually(
      () => texts(bob.core, conversationId),
      (list) => list[0] === '(deleted)',
      'bob sees the delete',
    );
    const [deleted, quoting] = (await bob.core.listMessages({ conversationId })).messages;
    expect(deleted).toMatchObject({ deleted: true, text: '', edited: false, reactions: [] });
    expect(quoting?.replyTo).toMatchObject({ deleted: true, text: '' });
    expect(await bob.core.getEditHistory({ conversationId, messageId: first.id })).toEqual([]);

    const onBob = JSON.stringify(await sharedPage(bob.core, conversationId));
    await eventually(
      () => sharedPage(alice.core, conversationId),
      (page) => JSON.stringify(page) === onBob,
      'both sides agree',
    );
    expect((await bob.core.listMessages({ conversationId })).messages.map((m) => m.seq)).toEqual([1, 2]);
  });
});

describe('offline rules for queued changes', () => {
  async function offlineAlice() {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const alice = await person(clients, server, 'alice', { transport });
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');
    const port = server.port;
    await server.close();
    await offline(alice.core);
    const back = async () => {
      await servers.startServer({ dataDir: server.dataDir, port });
      await online(alice.core);
    };
    return { alice, bob, conversationId, transport, back };
  }

  it('editing an unsent message changes what is sent: one send, the latest text, no edit', async () => {
    const { alice, bob, conversationId, transport, back } = await offlineAlice();
    const message = await alice.core.sendMessage({ conversationId, text: 'teh draft' });
    await alice.core.editMessage({ conversationId, messageId: message.id, text: 'the draft' });
    await alice.core.editMessage({ conversationId, messageId: message.id, text: 'the final draft' });
    expect((await alice.core.listMessages({ conversationId })).messages).toMatchObject([
      { text: 'the final draft', status: 'sending', edited: false },
    ]);
    await back();
    await eventually(
      () => texts(bob.core, conversationId),
      (list) => list.length === 1,
      'bob has it',
    );
    expect((await bob.core.listMessages({ conversationId })).messages).toMatchObject([
      { text: 'the final draft', edited: false },
    ]);
    // One envelope: the message with its latest text (sealed; Bob's copy says what it held). It may
    // go twice: sealed again for the conversation's devices when the server first names them.
    const envelopes = transport.sent.flatMap((f) => (f.type === 'send_envelope' ? [f.clientId] : []));
    expect([...new Set(envelopes)]).toEqual([message.id]);
  });

  it('deleting an unsent message sends nothing at all', async () => {
    const { alice, bob, conversationId, transport, back } = await offlineAlice();
    const gone = await alice.core.sendMessage({ conversationId, text: 'never mind' });
    await alice.core.setReaction({ conversationId, messageId: gone.id, emoji: '😂', on: true });
    await alice.core.deleteMessage({ conversationId, messageId: gone.id });
    await alice.core.sendMessage({ conversationId, text: 'hello' });
    expect(await texts(alice.core, conversationId)).toEqual(['hello']);
    await back();
    await eventually(
      () => texts(bob.core, conversationId),
      (list) => list.length === 1,
      'bob has one',
    );
    expect(await texts(bob.core, conversationId)).toEqual(['hello']);
    expect(new Set(transport.sent.flatMap((f) => (f.type === 'send_envelope' ? [f.clientId] : []))).size).toBe(1);
  });

  it('a reaction or reply to an unsent message goes after it, pointing at it; all arrive once, in order', async () => {
    const { alice, bob, conversationId, transport, back } = await offlineAlice();
    const first = await alice.core.sendMessage({ conversationId, text: 'first' });
    await alice.core.setReaction({ conversationId, messageId: first.id, emoji: '❤️', on: true });
    const reply = await alice.core.sendMessage({ conversationId, text: 'and a follow-up', replyTo: first.id });
    await alice.core.editMessage({ conversationId, messageId: reply.id, text: 'and a follow-up!' });
    expect((await alice.core.listMessages({ conversationId })).messages[0]?.reactions).toEqual([
      { emoji: '❤️', count: 1, mine: true },
    ]);
    await back();
    await eventually(
      () => sharedPage(bob.core, conversationId),
      (page) => page.length === 2 && page[0]?.reactions.length === 1,
      'bob has everything',
    );
    const page = (await bob.core.listMessages({ conversationId })).messages;
    expect(page.map((m) => [m.seq, m.text])).toEqual([
      [1, 'first'],
      [3, 'and a follow-up!'],
    ]);
    expect(page[1]?.replyTo).toMatchObject({ messageId: first.id, text: 'first' });
    const order = [...new Set(transport.sent.flatMap((f) => (f.type === 'send_envelope' ? [f.clientId] : [])))];
    expect(order).toHaveLength(3);
    expect([order[0], order[2]]).toEqual([first.id, reply.id]);
    expect(await sharedPage(alice.core, conversationId)).toEqual(await sharedPage(bob.core, conversationId));
  });

  it('an edit that arrives before its message is applied once the message is there', async () => {
    const server = await servers.startServer();
    const bobTransport = new FaultyTransport();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob', { transport: bobTransport });
    const conversationId = await converse(alice.core, bob.core, 'bob');
    // The network delivers the edit to Bob before the message it edits.
    let held: string | null = null;
    bobTransport.fromServer = (frame) => {
      if (frame.type === 'event' && frame.event.kind === 'envelope' && held === null) {
        held = frame.event.clientId;
        return 'drop';
      }
      return 'pass';
    };
    const message = await alice.core.sendMessage({ conversationId, text: 'draft' });
    await eventually(
      () => alice.core.listMessages({ conversationId }),
      (p) => p.messages[0]?.seq === 1,
      'acked',
    );
    await alice.core.editMessage({ conversationId, messageId: message.id, text: 'final' });
    await eventually(
      () => bob.core.listMessages({ conversationId }),
      (p) => p.messages[0]?.text === 'final',
      'edit applied',
    );
    expect(held).toBe(message.id);
    expect((await bob.core.listMessages({ conversationId })).messages).toMatchObject([{ text: 'final', edited: true, seq: 1 }]);
  });

  it('a reaction past the limit is refused at once, as every receiving device would drop it; the queue keeps moving', async () => {
    const server = await servers.startServer();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');
    const message = await bob.core.sendMessage({ conversationId, text: 'react to me' });
    await eventually(
      () => texts(alice.core, conversationId),
      (list) => list.length === 1,
      'alice has it',
    );

    // LIMITS.maxReactionsPerPerson distinct emojis per person (content/rules.ts); one more is refused.
    const emojis = [
      '👍',
      '❤️',
      '😂',
      '😮',
      '😢',
      '🙏',
      '🎉',
      '🔥',
      '👏',
      '🤔',
      '👀',
      '💯',
      '✅',
      '🙌',
      '😍',
      '🤝',
      '💪',
      '🥳',
      '😎',
      '🍕',
    ];
    expect(emojis.length).toBe(LIMITS.maxReactionsPerPerson);
    for (const emoji of emojis) await alice.core.setReaction({ conversationId, messageId: message.id, emoji, on: true });
    await expect(alice.core.setReaction({ conversationId, messageId: message.id, emoji: '🚀', on: true })).rejects.toMatchObject({
      code: 'refused',
      message: 'too_many_reactions',
    });
    await alice.core.sendMessage({ conversationId, text: 'the queue keeps moving' });
    await eventually(
      async () => (await bob.core.listMessages({ conversationId })).messages.map((m) => m.reactions.length),
      (counts) => counts.length === 2 && counts[0] === LIMITS.maxReactionsPerPerson,
      'every reaction and the later message arrive',
    );

    // Making room lets it through.
    await alice.core.setReaction({ conversationId, messageId: message.id, emoji: '👍', on: false });
    await alice.core.setReaction({ conversationId, messageId: message.id, emoji: '🚀', on: true });
    await eventually(
      async () => (await bob.core.listMessages({ conversationId })).messages[0]?.reactions.map((r) => r.emoji) ?? [],
      (list) => list.includes('🚀') && !list.includes('👍'),
      'the reaction arrives',
    );
    expect((await alice.core.listMessages({ conversationId })).messages[0]?.failedChanges).toEqual([]);
  });
});

describe('more devices, typing and presence', () => {
  it('two devices of one account converge, and the author sees the right checkmarks on both', async () => {
    const server = await servers.startServer();
    const laptop = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(laptop.core, bob.core, 'bob');
    const phone = await person(clients, server, 'alice', { existing: true, linkedFrom: laptop.core });
    await eventually(
      () => phone.core.listConversations(),
      (list) => list.length === 1,
      'phone knows the conversation',
    );

    const fromLaptop = await laptop.core.sendMessage({ conversationId, text: 'sent from the laptop' });
    await eventually(
      () => texts(phone.core, conversationId),
      (list) => list.length === 1,
      'phone has it',
    );
    const onPhone = (await phone.core.listMessages({ conversationId })).messages[0];
    expect(onPhone).toMatchObject({ id: fromLaptop.id, own: true });

    await phone.core.editMessage({ conversationId, messageId: fromLaptop.id, text: 'edited on the phone' });
    await bob.core.setReaction({ conversationId, messageId: fromLaptop.id, emoji: '😮', on: true });
    await phone.core.sendMessage({ conversationId, text: 'sent from the phone' });
    await bob.core.markRead({ conversationId });
    await eventually(
      () => texts(bob.core, conversationId),
      (list) => list.length === 2,
      'bob has both',
    );
    await bob.core.markRead({ conversationId });

    for (const device of [laptop, phone]) {
      await eventually(
        async () => (await device.core.listMessages({ conversationId })).messages.map((m) => m.status),
        (statuses) => statuses.length === 2 && statuses.every((s) => s === 'read'),
        'read checkmarks on every device of the author',
      );
    }
    const expected = await sharedPage(bob.core, conversationId);
    expect(expected.map((m) => m.text)).toEqual(['edited on the phone', 'sent from the phone']);
    await eventually(
      () => sharedPage(laptop.core, conversationId),
      (page) => JSON.stringify(page) === JSON.stringify(expected),
      'laptop converges',
    );
    await eventually(
      () => sharedPage(phone.core, conversationId),
      (page) => JSON.stringify(page) === JSON.stringify(expected),
      'phone converges',
    );
    expect(shared((await laptop.core.listMessages({ conversationId })).messages[0]!).reactions).toEqual([
      { emoji: '😮', count: 1 },
    ]);
  });

  it('typing shows on the other side and expires by itself; presence follows connections', async () => {
    const server = await servers.startServer();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');
    // Presence and typing flow between people who have both written (presence-rules.ts).
    await alice.core.sendMessage({ conversationId, text: 'hello' });
    await eventually(
      () => bob.core.listMessages({ conversationId }),
      (page) => page.messages.length === 1,
      'bob has it',
    );
    expect((await bob.core.getActivity({ conversationId })).peerPresence).toBeNull();
    await bob.core.sendMessage({ conversationId, text: 'hi' });

    await eventually(
      () => bob.core.getActivity({ conversationId }),
      (a) => a.peerPresence?.online === true,
      'alice online',
    );
    await alice.core.setTyping({ conversationId });
    await eventually(
      () => bob.core.getActivity({ conversationId }),
      (activity) => activity.typing.map((u) => u.username).join() === 'alice',
      'bob sees alice typing',
    );
    expect((await alice.core.getActivity({ conversationId })).typing).toEqual([]);
    await eventually(
      () => bob.core.getActivity({ conversationId }),
      (a) => a.typing.length === 0,
      'typing expires',
      LIMITS.typingTtlMs * 3,
    );

    await alice.core.close();
    const activity = await eventually(
      () => bob.core.getActivity({ conversationId }),
      (a) => a.peerPresence?.online === false,
      'alice offline',
    );
    expect(activity.peerPresence?.lastSeenAt).toEqual(expect.any(Number));
  });
});
