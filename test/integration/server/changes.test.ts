import { afterEach, expect, it } from 'vitest';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { createServerHarness, messagesIn, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

async function lastSeq(socket: TestClient, conversationId: string): Promise<number> {
  const { conversations } = await socket.call({ type: 'list_conversations' }, 'conversations');
  return conversations.find((c) => c.id === conversationId)!.lastSeq;
}

describeEachStore('replies', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('stores a reply to an existing message, and refuses one to a message that does not exist', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'question', 'lunch?');

    const reply = await bobSocket.send(conversation.id, 'answer', 'yes', 'question');
    expect(reply).toMatchObject({ kind: 'message', seq: 2, replyTo: 'question', deleted: false });
    expect((await aliceSocket.waitForPush('event', (p) => p.event.seq === 2)).event).toEqual(reply);

    const orphan = await bobSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'orphan', text: 'hm', replyTo: 'no-such-message' },
      'error',
    );
    expect(orphan).toMatchObject(REFUSALS.reply_target_missing);
    // A message cannot answer itself either: it does not exist before it is stored.
    const itself = await bobSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'self', text: 'hm', replyTo: 'self' },
      'error',
    );
    expect(itself).toMatchObject(REFUSALS.reply_target_missing);
    expect(await lastSeq(bobSocket, conversation.id)).toBe(2);
  });

  it('refuses a reply to a message of another conversation, and allows one to a deleted message', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    await h.createAccount(server, { username: 'carol' });
    const withCarol = (await aliceSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation')).conversation;
    await aliceSocket.send(withCarol.id, 'for-carol', 'hi carol');
    const elsewhere = await aliceSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'r1', text: 'see there', replyTo: 'for-carol' },
      'error',
    );
    expect(elsewhere).toMatchObject(REFUSALS.reply_target_missing);

    await aliceSocket.send(conversation.id, 'gone', 'oops');
    await aliceSocket.change(conversation.id, 'del-gone', { kind: 'delete', messageId: 'gone' });
    const toDeleted = await aliceSocket.send(conversation.id, 'r2', 'I meant…', 'gone');
    expect(toDeleted).toMatchObject({ replyTo: 'gone', seq: 3 });
  });
});

describeEachStore('edits', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('stores the author’s edit as an event with its own seq, pushed like a message', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const aliceLaptop = await h.connect(server, alice.token);
    await aliceSocket.send(conversation.id, 'm1', 'helo');
    await bobSocket.send(conversation.id, 'm2', 'hi');

    const edit = await aliceSocket.change(conversation.id, 'e1', { kind: 'edit', messageId: 'm1', text: 'hello' });
    expect(edit).toEqual({
      kind: 'edit',
      conversationId: conversation.id,
      seq: 3,
      senderId: alice.user.id,
      sentAt: expect.any(Number) as unknown,
      clientChangeId: 'e1',
      messageId: 'm1',
      text: 'hello',
    });
    expect((await bobSocket.waitForPush('event', (p) => p.event.seq === 3)).event).toEqual(edit);
    expect((await aliceLaptop.waitForPush('event', (p) => p.event.seq === 3)).event).toEqual(edit);
    await aliceSocket.barrier();
    expect(aliceSocket.pushesOf('event').map((p) => p.event.seq)).toEqual([2]);

    // The original stays in the log as it was: the edit with the highest seq is the current text.
    const events = await bobSocket.allEvents(conversation.id);
    expect(events.map((e) => [e.seq, e.kind])).toEqual([
      [1, 'message'],
      [2, 'message'],
      [3, 'edit'],
    ]);
    expect(messagesIn(events)[0]!.text).toBe('helo');
  });

  it('refuses an edit or delete by anyone but the author with forbidden, and a missing target with invalid', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'mine');

    const edit = await bobSocket.call(
      {
        type: 'change',
        conversationId: conversation.id,
        clientChangeId: 'b-e',
        change: { kind: 'edit', messageId: 'm1', text: 'yours now' },
      },
      'error',
    );
    expect(edit).toMatchObject(REFUSALS.not_author);
    expect(edit.code).toBe('forbidden');
    const del = await bobSocket.call(
      { type: 'change', conversationId: conversation.id, clientChangeId: 'b-d', change: { kind: 'delete', messageId: 'm1' } },
      'error',
    );
    expect(del).toMatchObject(REFUSALS.not_author);

    const missing = await aliceSocket.call(
      {
        type: 'change',
        conversationId: conversation.id,
        clientChangeId: 'a-e',
        change: { kind: 'edit', messageId: 'nope', text: 'x' },
      },
      'error',
    );
    expect(missing).toMatchObject(REFUSALS.no_such_message);
    expect(missing.code).toBe('invalid');

    expect(await lastSeq(aliceSocket, conversation.id)).toBe(1);
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(aliceSocket.pushesOf('event')).toEqual([]);
  });

  it('refuses an edit of a deleted message', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'soon gone');
    await aliceSocket.change(conversation.id, 'd1', { kind: 'delete', messageId: 'm1' });
    const edit = await aliceSocket.call(
      {
        type: 'change',
        conversationId: conversation.id,
        clientChangeId: 'e1',
        change: { kind: 'edit', messageId: 'm1', text: 'back' },
      },
      'error',
    );
    expect(edit).toMatchObject(REFUSALS.message_deleted);
    expect(edit.code).toBe('invalid');
    expect(await lastSeq(aliceSocket, conversation.id)).toBe(2);
  });
});

describeEachStore('delete for everyone', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('purges the message, its edits and its reactions; catch-up serves the purged rows and the delete', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'secret plan');
    await aliceSocket.change(conversation.id, 'e1', { kind: 'edit', messageId: 'm1', text: 'secret plan v2' });
    await bobSocket.change(conversation.id, 'r1', { kind: 'reaction', messageId: 'm1', emoji: '👀', on: true });
    await aliceSocket.send(conversation.id, 'm2', 'unrelated');

    const deletion = await aliceSocket.change(conversation.id, 'd1', { kind: 'delete', messageId: 'm1' });
    expect(deletion).toMatchObject({ kind: 'delete', seq: 5, senderId: alice.user.id, clientChangeId: 'd1', messageId: 'm1' });
    expect((await bobSocket.waitForPush('event', (p) => p.event.seq === 5)).event).toEqual(deletion);

    const events = await bobSocket.allEvents(conversation.id);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]).toMatchObject({ kind: 'message', clientMessageId: 'm1', text: '', deleted: true });
    expect(events[1]).toMatchObject({ kind: 'edit', messageId: 'm1', text: '' });
    // The reaction event stays (it carries no text); clients drop reactions of a deleted message.
    expect(events[2]).toMatchObject({ kind: 'reaction', messageId: 'm1', emoji: '👀', on: true });
    expect(events[3]).toMatchObject({ kind: 'message', clientMessageId: 'm2', text: 'unrelated', deleted: false });
    expect(events[4]).toEqual(deletion);

    // Gone at rest too, not only from what is served: read from the server's own database.
    const texts = await server.database!.query<{ text: string }>(`SELECT text FROM events WHERE text LIKE '%secret%'`);
    expect(texts).toEqual([]);
    expect(await server.database!.query(`SELECT * FROM reactions WHERE message_id = 'm1'`)).toEqual([]);
  });

  it('refuses a second delete and a reaction to a deleted message', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'x');
    await aliceSocket.change(conversation.id, 'd1', { kind: 'delete', messageId: 'm1' });
    const again = await aliceSocket.call(
      { type: 'change', conversationId: conversation.id, clientChangeId: 'd2', change: { kind: 'delete', messageId: 'm1' } },
      'error',
    );
    expect(again).toMatchObject(REFUSALS.already_deleted);
    expect(again.code).toBe('invalid');
    const reaction = await bobSocket.call(
      {
        type: 'change',
        conversationId: conversation.id,
        clientChangeId: 'r1',
        change: { kind: 'reaction', messageId: 'm1', emoji: '👍', on: true },
      },
      'error',
    );
    expect(reaction).toMatchObject(REFUSALS.message_deleted);
    expect(await lastSeq(bobSocket, conversation.id)).toBe(2);
  });
});

describeEachStore('ordering', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('numbers messages and changes from both members together, without gaps, in each socket’s order', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'pinned', 'react here');
    const rounds = 15;
    // A change may follow its message without waiting for the reply: one socket's frames are
    // handled in arrival order, so the message is stored before the change is judged.
    const pending = Array.from({ length: rounds }, (_, i) => [
      aliceSocket.send(conversation.id, `a${i}`, `alice ${i}`),
      aliceSocket.change(conversation.id, `a${i}-edit`, { kind: 'edit', messageId: `a${i}`, text: `alice ${i}!` }),
      bobSocket.change(conversation.id, `b${i}-react`, { kind: 'reaction', messageId: 'pinned', emoji: '👍', on: i % 2 === 0 }),
      bobSocket.send(conversation.id, `b${i}`, `bob ${i}`),
    ]).flat();
    const stored = await Promise.all(pending);

    const events = await bobSocket.allEvents(conversation.id);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 1 + 4 * rounds }, (_, i) => i + 1));
    expect([...stored].sort((x, y) => x.seq - y.seq)).toEqual(events.slice(1));
    for (let i = 0; i < rounds; i += 1) {
      const message = events.find((e) => e.kind === 'message' && e.clientMessageId === `a${i}`)!;
      const edit = events.find((e) => e.kind === 'edit' && e.clientChangeId === `a${i}-edit`)!;
      expect(edit.seq).toBeGreaterThan(message.seq);
    }
  });
});

describeEachStore('idempotent changes', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers a resend of a clientChangeId with the original event, as it is now, and stores nothing new', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'first');
    const edit = { kind: 'edit', messageId: 'm1', text: 'second' } as const;
    const original = await aliceSocket.change(conversation.id, 'e1', edit);
    const resent = await aliceSocket.change(conversation.id, 'e1', edit);
    expect(resent).toEqual(original);
    expect(await lastSeq(aliceSocket, conversation.id)).toBe(2);
    await bobSocket.barrier();
    expect(bobSocket.pushesOf('event').map((p) => p.event.seq)).toEqual([1, 2]);

    // After a delete the rules would refuse a new edit, but a resend is still answered, purged.
    await aliceSocket.change(conversation.id, 'd1', { kind: 'delete', messageId: 'm1' });
    expect(await aliceSocket.change(conversation.id, 'e1', edit)).toEqual({ ...original, text: '' });
    expect(await aliceSocket.send(conversation.id, 'm1', 'first')).toMatchObject({ seq: 1, text: '', deleted: true });
    expect(await lastSeq(aliceSocket, conversation.id)).toBe(3);
  });

  it('refuses a client id already used for something else: one namespace per sender', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'hello');
    await aliceSocket.change(conversation.id, 'c1', { kind: 'edit', messageId: 'm1', text: 'hello!' });
    const attempts = await Promise.all([
      // The change id again, for another kind of change.
      aliceSocket.call(
        { type: 'change', conversationId: conversation.id, clientChangeId: 'c1', change: { kind: 'delete', messageId: 'm1' } },
        'error',
      ),
      // A message id as a change id, and a change id as a message id.
      aliceSocket.call(
        {
          type: 'change',
          conversationId: conversation.id,
          clientChangeId: 'm1',
          change: { kind: 'edit', messageId: 'm1', text: 'x' },
        },
        'error',
      ),
      aliceSocket.call({ type: 'send', conversationId: conversation.id, clientMessageId: 'c1', text: 'x' }, 'error'),
    ]);
    for (const error of attempts) expect(error).toMatchObject(REFUSALS.client_id_reused);
    expect(await lastSeq(aliceSocket, conversation.id)).toBe(2);
  });
});
