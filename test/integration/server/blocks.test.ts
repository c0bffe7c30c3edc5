import { afterEach, expect, it } from 'vitest';
import type { ConversationEvent, ServerFrame } from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import {
  bothWrite,
  createGroup,
  createServerHarness,
  envelopesIn,
  listedConversation,
  pushesAbout,
  testOpened,
  visibleLog,
  type TestClient,
} from '../../support/server-harness.js';
import { block } from '../../support/blocking.js';
import { describeEachStore } from '../../support/store-backends.js';

/**
 * Catches up the way the client does (sync-engine.ts catchUp with mirror.ts applyEvents): the
 * cursor first moves to `skippedTo`, then over the events that follow it without a gap; the next
 * page is asked after the last event while `hasMore`, else again from the cursor when it moved and
 * the conversation's lastSeq is still ahead. Returns the cursor it ends at and what it applied.
 */
async function catchUpLikeClient(
  socket: TestClient,
  conversationId: string,
  from: number,
  limit: number = LIMITS.maxCatchUpPage,
): Promise<{ cursor: number; applied: ConversationEvent[] }> {
  const known = (await listedConversation(socket, conversationId))?.lastSeq ?? 0;
  let cursor = from;
  const applied: ConversationEvent[] = [];
  let afterSeq: number | null = from;
  for (let pages = 0; afterSeq !== null; pages += 1) {
    if (pages > 100) throw new Error('catch-up did not end');
    const reply: Extract<ServerFrame, { type: 'events' }> = await socket.call(
      { type: 'catch_up', conversationId, afterSeq, limit },
      'events',
    );
    const before = cursor;
    cursor = Math.max(cursor, reply.skippedTo ?? 0);
    for (const event of reply.events) {
      if (event.seq <= cursor) continue;
      if (event.seq !== cursor + 1) break;
      applied.push(event);
      cursor = event.seq;
    }
    const last = reply.events.at(-1)?.seq;
    afterSeq = reply.hasMore && last !== undefined ? last : known > cursor && cursor > before ? cursor : null;
  }
  return { cursor, applied };
}

const kinds = (events: readonly ConversationEvent[]) => events.map((event) => [event.seq, event.kind, event.senderId]);

describeEachStore('blocks', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it("a blocked person's envelopes in a direct conversation never reach the blocker (live or in catch-up); they get 'sent' as usual; the cursor moves past them", async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const aliceLaptop = await h.connect(server, alice.token);
    const bobLaptop = await h.connect(server, bob.token);
    const id = conversation.id;
    await bobSocket.send(id, 'b1', 'before the block');
    await aliceSocket.waitForPush('event', (p) => p.event.seq === 1);

    await block(aliceSocket, bob.user.id);
    const from = aliceSocket.pushes.length;
    const fromLaptop = aliceLaptop.pushes.length;
    // Takes effect at once: everything bob does in their conversation from now on is his alone.
    expect(await bobSocket.send(id, 'b2', 'are you there?')).toMatchObject({ seq: 2, senderId: bob.user.id });
    await bobSocket.send(id, 'b3', 'hello?');
    // Whatever they hold (a reaction, a pin, an edit): the server cannot tell, and hides each.
    await bobSocket.send(id, 'r1', '👍 on b1');
    await bobSocket.send(id, 'p1', 'pin b1');
    expect(await bobSocket.send(id, 'e1', 'b2 edited')).toMatchObject({ seq: 6 });
    // His other devices hear of them as ever.
    await bobLaptop.waitForPush('event', (p) => p.event.seq === 6);
    await Promise.all([aliceSocket.barrier(), aliceLaptop.barrier()]);
    expect(pushesAbout(aliceSocket, id, from)).toEqual([]);
    expect(pushesAbout(aliceLaptop, id, fromLaptop)).toEqual([]);

    // Catch-up: the page stops before the hidden run, the next one skips it.
    const log = await visibleLog(aliceSocket, id);
    expect(log.pages).toEqual([
      { afterSeq: 0, seqs: [1], skippedTo: undefined, hasMore: true },
      { afterSeq: 1, seqs: [], skippedTo: 6, hasMore: false },
    ]);
    expect(await aliceSocket.allEvents(id)).toEqual(log.events);
    // The conversation is listed to her up to the last seq she may see (the hidden run at the end is
    // not hers to wait for); a client that learns of later seqs skips past them, applying none.
    expect((await listedConversation(aliceSocket, id))?.lastSeq).toBe(1);
    expect(await catchUpLikeClient(aliceSocket, id, 1)).toEqual({ cursor: 6, applied: [] });
    expect((await catchUpLikeClient(aliceLaptop, id, 0, 1)).cursor).toBe(6);
    // bob reads his own log whole.
    const own = await bobSocket.allEvents(id);
    expect(kinds(own)).toEqual([1, 2, 3, 4, 5, 6].map((seq) => [seq, 'envelope', bob.user.id]));
    expect(envelopesIn(own).map(testOpened)).toEqual([
      'before the block',
      'are you there?',
      'hello?',
      '👍 on b1',
      'pin b1',
      'b2 edited',
    ]);
  });

  it("works both ways: the blocker's sends do not reach the blocked; after unblocking new events flow and hidden ones stay hidden", async () => {
    const server = await h.startServer();
    const { bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const id = conversation.id;
    await block(aliceSocket, bob.user.id);
    const from = bobSocket.pushes.length;
    expect(await aliceSocket.send(id, 'a1', 'from the blocker')).toMatchObject({ seq: 1 });
    await bobSocket.barrier();
    expect(pushesAbout(bobSocket, id, from)).toEqual([]);
    expect(await bobSocket.allEvents(id)).toEqual([]);
    // bob cannot touch what he never got: deleting it is answered as for an envelope that does not exist.
    expect(await bobSocket.sendEnvelope(id, 'x', '', { deletes: 'a1' })).toMatchObject({
      type: 'error',
      ...REFUSALS.no_such_message,
    });

    await block(aliceSocket, bob.user.id, false);
    const b1 = await bobSocket.send(id, 'b1', 'after the unblock');
    expect(b1.seq).toBe(2);
    expect((await aliceSocket.waitForPush('event', (p) => p.event.seq === 2)).event).toEqual(b1);
    const a2 = await aliceSocket.send(id, 'a2', 'hi again');
    expect((await bobSocket.waitForPush('event', (p) => p.event.seq === 3)).event).toEqual(a2);
    // a1 stays hidden from bob for good: his catch-up skips it, and he still cannot touch it.
    const log = await visibleLog(bobSocket, id);
    expect(log.pages[0]).toEqual({ afterSeq: 0, seqs: [2, 3], skippedTo: 1, hasMore: false });
    expect(await catchUpLikeClient(bobSocket, id, 0)).toEqual({ cursor: 3, applied: [b1, a2] });
    expect(await bobSocket.sendEnvelope(id, 'y', '', { deletes: 'a1' })).toMatchObject({
      type: 'error',
      ...REFUSALS.no_such_message,
    });
    expect((await visibleLog(bobSocket, id)).events.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('one block is enough either way; lifting one of two leaves the other standing', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    await block(aliceSocket, bob.user.id);
    await block(bobSocket, alice.user.id);
    await block(aliceSocket, bob.user.id, false);
    await aliceSocket.send(conversation.id, 'a1', 'still blocked by bob');
    await bobSocket.barrier();
    expect(await bobSocket.allEvents(conversation.id)).toEqual([]);
    await block(bobSocket, alice.user.id, false);
    const a2 = await aliceSocket.send(conversation.id, 'a2', 'through');
    expect((await bobSocket.waitForPush('event', (p) => p.event.seq === 2)).event).toEqual(a2);
  });

  it("presence and typing are not relayed between the pair, in any conversation; in a group only the blocked person's envelopes stop", async () => {
    const server = await h.startServer();
    const pair = await h.pair(server);
    const { alice, bob, aliceSocket, bobSocket, conversation } = pair;
    const carol = await h.createAccount(server);
    const carolSocket = await h.connect(server, carol.token);
    const group = await createGroup(aliceSocket, { memberIds: [bob.user.id, carol.user.id] });
    await bobSocket.waitForPush('conversation_added', (p) => p.conversation.id === group.id);
    await carolSocket.waitForPush('conversation_added', (p) => p.conversation.id === group.id);
    // Everyone has written to everyone: without a block they would share presence and typing.
    await bothWrite(pair);
    for (const [socket, clientId] of [
      [aliceSocket, 'w-alice'],
      [bobSocket, 'w-bob'],
      [carolSocket, 'w-carol'],
    ] as const) {
      await socket.send(group.id, clientId, 'Hello all');
    }
    await carolSocket.waitForPush('presence', (p) => p.userId === alice.user.id);
    await carolSocket.waitForPush('presence', (p) => p.userId === bob.user.id);

    await block(aliceSocket, bob.user.id);
    // Each is told the other is away, last seen unknown.
    expect(await bobSocket.waitForPush('presence', (p) => p.userId === alice.user.id && !p.online)).toMatchObject({
      lastSeenAt: null,
    });
    expect(await aliceSocket.waitForPush('presence', (p) => p.userId === bob.user.id && !p.online)).toMatchObject({
      lastSeenAt: null,
    });
    const aliceFrom = aliceSocket.pushes.length;
    const bobFrom = bobSocket.pushes.length;

    for (const conversationId of [conversation.id, group.id]) {
      await bobSocket.call({ type: 'typing', conversationId }, 'ok');
      await aliceSocket.call({ type: 'typing', conversationId }, 'ok');
    }
    // carol hears both of them type in the group.
    await carolSocket.waitForPush('typing', (p) => p.userId === bob.user.id);
    await carolSocket.waitForPush('typing', (p) => p.userId === alice.user.id);

    // In the group, bob's envelopes reach carol but not alice (group-blocks.test.ts); alice's reach both.
    const inGroup = await bobSocket.send(group.id, 'g1', 'hello all');
    await carolSocket.waitForPush('event', (p) => p.event.conversationId === group.id && p.event.seq === inGroup.seq);
    const back = await aliceSocket.send(group.id, 'g2', 'hi');
    expect(
      (await bobSocket.waitForPush('event', (p) => p.event.conversationId === group.id && p.event.seq === back.seq)).event,
    ).toEqual(back);
    expect((await visibleLog(aliceSocket, group.id)).events.map((e) => e.seq)).not.toContain(inGroup.seq);

    // bob goes and comes back: carol hears it, alice does not; alice's new device is not told of bob.
    const carolFrom = carolSocket.pushes.length;
    const since = (p: { type: string }) => carolSocket.pushes.indexOf(p as never) >= carolFrom;
    await bobSocket.close();
    await carolSocket.waitForPush('presence', (p) => p.userId === bob.user.id && !p.online && since(p));
    const bobAgain = await h.connect(server, bob.token);
    await carolSocket.waitForPush('presence', (p) => p.userId === bob.user.id && p.online && since(p));
    const alicePhone = await h.connect(server, alice.token);
    await alicePhone.waitForPush('presence', (p) => p.userId === carol.user.id);
    await Promise.all([aliceSocket.barrier(), alicePhone.barrier(), bobAgain.barrier()]);
    const about = (socket: TestClient, userId: string, fromIndex = 0) =>
      socket.pushes.slice(fromIndex).filter((p) => (p.type === 'typing' || p.type === 'presence') && p.userId === userId);
    expect(about(aliceSocket, bob.user.id, aliceFrom)).toEqual([]);
    expect(about(bobSocket, alice.user.id, bobFrom)).toEqual([]);
    expect(about(alicePhone, bob.user.id)).toEqual([]);
    expect(about(bobAgain, alice.user.id)).toEqual([]);

    // Lifted: they hear each other's presence again, and typing.
    const [aliceBefore, bobBefore] = [aliceSocket.pushes.length, bobAgain.pushes.length];
    await block(aliceSocket, bob.user.id, false);
    await aliceSocket.waitForPush(
      'presence',
      (p) => p.userId === bob.user.id && p.online && aliceSocket.pushes.indexOf(p) >= aliceBefore,
    );
    await bobAgain.waitForPush(
      'presence',
      (p) => p.userId === alice.user.id && p.online && bobAgain.pushes.indexOf(p) >= bobBefore,
    );
    await bobAgain.call({ type: 'typing', conversationId: conversation.id }, 'ok');
    await aliceSocket.waitForPush('typing', (p) => p.userId === bob.user.id);
  });

  it("hides the blocker's watermark moves from the blocked: not pushed, and served as they were when the block began", async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const id = conversation.id;
    await bobSocket.send(id, 'b1', 'one');
    await aliceSocket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: 1 }, 'ok');
    await bobSocket.waitForPush('watermark', (p) => p.userId === alice.user.id && p.readSeq === 1);

    await block(aliceSocket, bob.user.id);
    await bobSocket.send(id, 'b2', 'two');
    await aliceSocket.send(id, 'a1', 'three');
    const from = bobSocket.pushes.length;
    // alice's client moved past the hidden event and read everything there is.
    await aliceSocket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: 3 }, 'ok');
    await aliceSocket.waitForPush('watermark', (p) => p.userId === alice.user.id && p.readSeq === 3);
    await bobSocket.barrier();
    expect(bobSocket.pushes.slice(from).filter((p) => p.type === 'watermark')).toEqual([]);
    const seenByBob = await listedConversation(bobSocket, id);
    expect(seenByBob?.members.find((m) => m.id === alice.user.id)).toMatchObject({ deliveredSeq: 1, readSeq: 1 });
    // alice sees her own as they are; both ways: bob's receipts do not reach her either.
    const seenByAlice = await listedConversation(aliceSocket, id);
    expect(seenByAlice?.members.find((m) => m.id === alice.user.id)).toMatchObject({ readSeq: 3 });
    const aliceFrom = aliceSocket.pushes.length;
    await bobSocket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: 2 }, 'ok');
    await aliceSocket.barrier();
    expect(aliceSocket.pushes.slice(aliceFrom).filter((p) => p.type === 'watermark')).toEqual([]);

    await block(aliceSocket, bob.user.id, false);
    expect((await listedConversation(bobSocket, id))?.members.find((m) => m.id === alice.user.id)).toMatchObject({ readSeq: 3 });
  });

  it('a direct conversation started by someone the other blocks is not announced to them until the block is lifted', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server);
    const bob = await h.createAccount(server);
    const aliceSocket = await h.connect(server, alice.token);
    const alicePhone = await h.connect(server, alice.token);
    const bobSocket = await h.connect(server, bob.token);
    await block(aliceSocket, bob.user.id);

    const { conversation } = await bobSocket.call({ type: 'start_conversation', username: alice.user.username }, 'conversation');
    expect(conversation.members.map((m) => m.id)).toEqual([bob.user.id, alice.user.id]);
    await bobSocket.send(conversation.id, 'b1', 'hi, remember me?');
    await Promise.all([aliceSocket.barrier(), alicePhone.barrier()]);
    for (const socket of [aliceSocket, alicePhone]) {
      expect(pushesAbout(socket, conversation.id)).toEqual([]);
      expect(socket.pushesOf('presence').filter((p) => p.userId === bob.user.id && p.online)).toEqual([]);
    }
    expect(await listedConversation(aliceSocket, conversation.id)).toBeUndefined();

    await block(aliceSocket, bob.user.id, false);
    // Now it is hers to see, on every device; what bob sent meanwhile stays hidden.
    for (const socket of [aliceSocket, alicePhone]) {
      expect(
        (await socket.waitForPush('conversation_added', (p) => p.conversation.id === conversation.id)).conversation,
      ).toMatchObject({
        id: conversation.id,
        // bob's envelope while she blocked him is not hers: nothing to catch up to.
        lastSeq: 0,
      });
    }
    expect(await listedConversation(aliceSocket, conversation.id)).toMatchObject({ lastSeq: 0 });
    expect(await catchUpLikeClient(aliceSocket, conversation.id, 0)).toEqual({ cursor: 1, applied: [] });
    const b2 = await bobSocket.send(conversation.id, 'b2', 'now?');
    expect((await aliceSocket.waitForPush('event', (p) => p.event.conversationId === conversation.id)).event).toEqual(b2);
  });

  it('the blocker who starts the kept conversation themselves sees it from then on', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server);
    const bob = await h.createAccount(server);
    const aliceSocket = await h.connect(server, alice.token);
    const bobSocket = await h.connect(server, bob.token);
    await block(aliceSocket, bob.user.id);
    const { conversation } = await bobSocket.call({ type: 'start_conversation', username: alice.user.username }, 'conversation');
    expect(await listedConversation(aliceSocket, conversation.id)).toBeUndefined();
    const mine = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    expect(mine.conversation.id).toBe(conversation.id);
    expect(await listedConversation(aliceSocket, conversation.id)).toBeDefined();
  });
});
