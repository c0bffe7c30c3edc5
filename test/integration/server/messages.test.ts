/**
 * The conversation log as senders and readers meet it: the seqs of envelopes sent at once by both
 * members, exactly-once by the sender's client id across conversations and members, and catch-up
 * paging. What one envelope holds, who hears of it and deletes are in envelopes.test.ts.
 */
import { afterEach, expect, it } from 'vitest';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { createServerHarness, envelopesIn, testOpened, testSealed, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/**
 * Sends envelopes sealed for the conversation's devices as they are now, as a client that knows
 * them does: any number may be pipelined, none is refused first to learn the devices.
 */
async function senderIn(socket: TestClient, conversationId: string, timeoutMs?: number) {
  const devicesVersion = await devicesVersionOf(socket, conversationId);
  return async (clientId: string, text: string): Promise<EnvelopeEvent> => {
    const frame = { type: 'send_envelope', conversationId, clientId, ciphertext: testSealed(text), devicesVersion } as const;
    const { event } = await socket.call(frame, 'sent', timeoutMs);
    if (event.kind !== 'envelope') throw new Error(`An envelope was answered with a ${event.kind} event`);
    return event;
  };
}

describeEachStore('sending envelopes', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('numbers concurrent sends from both members 1..n without gaps, in each sender’s order', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation, alice, bob } = await h.pair(server);
    const perSender = 30;
    const fromAlice = await senderIn(aliceSocket, conversation.id);
    const fromBob = await senderIn(bobSocket, conversation.id);
    // Fire everything before awaiting anything, interleaving the two sockets.
    const pending = Array.from({ length: perSender }, (_, i) => [
      fromAlice(`a-${i}`, `a ${i}`),
      fromBob(`b-${i}`, `b ${i}`),
    ]).flat();
    const replies = await Promise.all(pending);

    const seqs = replies.map((event) => event.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 2 * perSender }, (_, i) => i + 1));
    const events = envelopesIn(await aliceSocket.allEvents(conversation.id));
    expect(events.map((e) => e.seq)).toEqual(seqs);
    for (const [who, user] of [
      ['a', alice.user],
      ['b', bob.user],
    ] as const) {
      // Each socket's frames are handled in arrival order, so its seqs rise in send order.
      expect(events.filter((e) => e.senderId === user.id).map(testOpened)).toEqual(
        Array.from({ length: perSender }, (_, i) => `${who} ${i}`),
      );
    }

    // Each side got a push for every envelope of the other side, and none for its own.
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(aliceSocket.pushesOf('event').map((p) => p.event.senderId)).toEqual(Array(perSender).fill(bob.user.id));
    expect(bobSocket.pushesOf('event').map((p) => p.event.senderId)).toEqual(Array(perSender).fill(alice.user.id));
  });

  it('refuses a client id the sender used in another conversation with client_id_reused, and stores nothing there', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    await h.createAccount(server, { username: 'carol' });
    const other = (await aliceSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation')).conversation;
    await aliceSocket.send(conversation.id, 'same', 'to bob');
    expect(await aliceSocket.sendEnvelope(other.id, 'same', 'to carol')).toMatchObject({
      type: 'error',
      ...REFUSALS.client_id_reused,
    });
    expect((await aliceSocket.call({ type: 'catch_up', conversationId: other.id, afterSeq: 0 }, 'events')).events).toEqual([]);
  });

  it('keeps client ids per sender: another member’s envelope under the same id is stored as theirs, not answered with the first', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const alices = await aliceSocket.send(conversation.id, 'x', 'a');
    // Answered with Alice's envelope, Bob's device would take his as sent while nobody ever got it.
    const bobs = await bobSocket.send(conversation.id, 'x', 'b');
    expect(bobs).toMatchObject({ seq: alices.seq + 1, senderId: bob.user.id, clientId: 'x' });
    expect((await aliceSocket.waitForPush('event', (push) => push.event.seq === bobs.seq)).event).toEqual(bobs);
    const log = envelopesIn(await aliceSocket.allEvents(conversation.id));
    expect(log.map((e) => [e.senderId, testOpened(e)])).toEqual([
      [alice.user.id, 'a'],
      [bob.user.id, 'b'],
    ]);
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
    const send = await senderIn(aliceSocket, conversation.id, 20_000);
    await Promise.all(Array.from({ length: total }, (_, i) => send(`c${i}`, `message ${i}`)));

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
    const events = envelopesIn(pages.flatMap((p) => p.events));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Sends from one socket keep their order, so text i has seq i + 1.
    expect(events.map(testOpened)).toEqual(Array.from({ length: total }, (_, i) => `message ${i}`));
    expect(pages.every((p) => p.conversationId === conversation.id)).toBe(true);
  });

  it('uses the default page size without a limit and returns nothing after the last seq', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    const total = LIMITS.defaultCatchUpPage + 5;
    const send = await senderIn(aliceSocket, conversation.id);
    await Promise.all(Array.from({ length: total }, (_, i) => send(`d${i}`, 'x')));
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
