import { afterEach, expect, it } from 'vitest';
import { LIMITS } from '../../../sync/protocol/limits.js';
import type { MessageEvent } from '../../../sync/protocol/frames.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { createServerHarness, messagesIn, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

async function allMessages(socket: TestClient, conversationId: string): Promise<MessageEvent[]> {
  return messagesIn(await socket.allEvents(conversationId));
}

describeEachStore('sending messages', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('numbers concurrent sends from both members 1..n without gaps, in each sender’s order', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation, alice, bob } = await h.pair(server);
    const perSender = 30;
    const send = (socket: TestClient, who: string, i: number) => socket.send(conversation.id, `${who}-${i}`, `${who} ${i}`);
    // Fire everything before awaiting anything, interleaving the two sockets.
    const pending = Array.from({ length: perSender }, (_, i) => [send(aliceSocket, 'a', i), send(bobSocket, 'b', i)]).flat();
    const replies = await Promise.all(pending);

    const seqs = replies.map((event) => event.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 2 * perSender }, (_, i) => i + 1));
    for (const who of ['a', 'b']) {
      const mine = replies.filter((event) => event.clientMessageId.startsWith(`${who}-`));
      // Each socket's frames are handled in arrival order, so its seqs rise in send order.
      const inSendOrder = mine.map((event) => event.seq);
      expect(inSendOrder).toEqual([...inSendOrder].sort((x, y) => x - y));
    }

    const events = await allMessages(aliceSocket, conversation.id);
    expect(events.map((e) => e.seq)).toEqual(seqs);
    expect(events.filter((e) => e.senderId === alice.user.id)).toHaveLength(perSender);
    expect(events.filter((e) => e.senderId === bob.user.id)).toHaveLength(perSender);

    // Each side got a push for every message of the other side, and none for its own.
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(aliceSocket.pushesOf('event').map((p) => p.event.senderId)).toEqual(Array(perSender).fill(bob.user.id));
    expect(bobSocket.pushesOf('event').map((p) => p.event.senderId)).toEqual(Array(perSender).fill(alice.user.id));
  });

  it('pushes a message to the other member and to the sender’s other devices, not back to the sending socket', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const aliceLaptop = await h.connect(server, alice.token);
    const { event } = await aliceSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'hello-1', text: 'hello' },
      'sent',
    );
    expect(event).toMatchObject({
      kind: 'message',
      seq: 1,
      senderId: alice.user.id,
      clientMessageId: 'hello-1',
      text: 'hello',
      replyTo: null,
      deleted: false,
    });
    expect((await bobSocket.waitForPush('event')).event).toEqual(event);
    expect((await aliceLaptop.waitForPush('event')).event).toEqual(event);
    await aliceSocket.barrier();
    expect(aliceSocket.pushesOf('event')).toEqual([]);
  });

  it('answers a resend of a known clientMessageId with the original event and stores nothing new', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const first = await aliceSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'once', text: 'only once' },
      'sent',
    );
    const resent = await aliceSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'once', text: 'only once' },
      'sent',
    );
    expect(resent.event).toEqual(first.event);

    // A later message gets the next number: the resend consumed none.
    const next = await aliceSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'twice', text: 'next' },
      'sent',
    );
    expect(next.event.seq).toBe(first.event.seq + 1);

    const events = await allMessages(bobSocket, conversation.id);
    expect(events.map((e) => e.clientMessageId)).toEqual(['once', 'twice']);
    await bobSocket.barrier();
    expect(messagesIn(bobSocket.pushesOf('event').map((p) => p.event)).map((e) => e.clientMessageId)).toEqual(['once', 'twice']);
  });

  it('refuses a clientMessageId reused for another conversation with invalid', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    await h.createAccount(server, { username: 'carol' });
    const other = (await aliceSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation')).conversation;
    await aliceSocket.call({ type: 'send', conversationId: conversation.id, clientMessageId: 'same', text: 'to bob' }, 'sent');
    const reused = await aliceSocket.call(
      { type: 'send', conversationId: other.id, clientMessageId: 'same', text: 'to carol' },
      'error',
    );
    expect(reused).toMatchObject(REFUSALS.client_id_reused);
    expect((await aliceSocket.call({ type: 'catch_up', conversationId: other.id, afterSeq: 0 }, 'events')).events).toEqual([]);
  });

  it('keeps a clientMessageId unique within a conversation: another member cannot take it there', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await h.createAccount(server, { username: 'carol' });
    const withCarol = (await bobSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation')).conversation;
    await aliceSocket.send(conversation.id, 'x', 'a');
    // It is the messageId that edits and replies name, so a second message "x" here would be ambiguous.
    const taken = await bobSocket.call(
      { type: 'send', conversationId: conversation.id, clientMessageId: 'x', text: 'b' },
      'error',
    );
    expect(taken).toMatchObject(REFUSALS.message_id_taken);
    // Elsewhere the id is free: uniqueness is per sender and per conversation, not global.
    expect((await bobSocket.send(withCarol.id, 'x', 'b')).seq).toBe(1);
    expect((await allMessages(aliceSocket, conversation.id)).map((e) => [e.seq, e.text])).toEqual([[1, 'a']]);
  });
});

describeEachStore('catch-up', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('pages through 450 events in order, 200 at a time, with hasMore', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const total = 450;
    // Pipelined: the last reply comes after all the others, so each may wait as long as the test (20 s).
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        aliceSocket.call(
          { type: 'send', conversationId: conversation.id, clientMessageId: `c${i}`, text: `message ${i}` },
          'sent',
          20_000,
        ),
      ),
    );

    const pages = [];
    let afterSeq = 0;
    for (;;) {
      const page = await bobSocket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq, limit: 200 }, 'events');
      pages.push(page);
      if (!page.hasMore) break;
      afterSeq = page.events.at(-1)!.seq;
    }
    expect(pages.map((p) => [p.events.length, p.hasMore])).toEqual([
      [200, true],
      [200, true],
      [50, false],
    ]);
    const events = messagesIn(pages.flatMap((p) => p.events));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Sends from one socket keep their order, so text i has seq i + 1.
    expect(events.map((e) => e.text)).toEqual(Array.from({ length: total }, (_, i) => `message ${i}`));
    expect(pages.every((p) => p.conversationId === conversation.id)).toBe(true);
  });

  it('uses the default page size without a limit and returns nothing after the last seq', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    const total = LIMITS.defaultCatchUpPage + 5;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        aliceSocket.call({ type: 'send', conversationId: conversation.id, clientMessageId: `d${i}`, text: 'x' }, 'sent'),
      ),
    );
    const first = await aliceSocket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'events');
    expect(first.events).toHaveLength(LIMITS.defaultCatchUpPage);
    expect(first.hasMore).toBe(true);
    const exactEnd = await aliceSocket.call(
      { type: 'catch_up', conversationId: conversation.id, afterSeq: total - 5, limit: 5 },
      'events',
    );
    expect(exactEnd.events.map((e) => e.seq)).toEqual([total - 4, total - 3, total - 2, total - 1, total]);
    expect(exactEnd.hasMore).toBe(false);
    const beyond = await aliceSocket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: total }, 'events');
    expect(beyond).toMatchObject({ events: [], hasMore: false });
  });
});
