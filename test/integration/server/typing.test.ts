import { afterEach, expect, it } from 'vitest';
import {
  bothWrite,
  createServerHarness,
  groupOf,
  manualRuntime,
  people,
  presenceSettled,
  type SocketPerson,
} from '../../support/server-harness.js';
import { countingStore } from '../../support/counting-store.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('typing', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('is throttled before the store is asked anything: a burst costs one round of queries a second', async () => {
    const dataDir = await h.tempDir();
    const database = await backend.createDatabase(dataDir);
    const { store, calls } = countingStore(await database.open());
    const { runtime, clock } = manualRuntime();
    const server = await h.startServer({ dataDir, store, runtime });
    try {
      const pair = await h.pair(server);
      await bothWrite(pair);
      // What their becoming contacts set off (presence, which reads the store) is over before counting:
      // both may have heard each other from the first writer's step while the second one's still runs.
      await presenceSettled({ h, server, account: pair.alice, socket: pair.aliceSocket, contactId: pair.bob.user.id });
      await pair.bobSocket.barrier();
      const typing = () => pair.aliceSocket.call({ type: 'typing', conversationId: pair.conversation.id }, 'ok');
      calls.length = 0;
      await typing();
      const relayed = calls.length;
      expect(relayed).toBeGreaterThan(0);
      await pair.bobSocket.waitForPush('typing');
      for (let i = 0; i < 20; i += 1) await typing();
      expect(calls.length).toBe(relayed);
      await pair.bobSocket.barrier();
      expect(pair.bobSocket.pushesOf('typing')).toHaveLength(1);
      clock.set(clock.now() + 1_000);
      await typing();
      expect(calls.length).toBe(2 * relayed);
      await pair.bobSocket.waitForPush('typing', () => pair.bobSocket.pushesOf('typing').length === 2);
    } finally {
      await server.close();
      await store.close();
      await database.dispose();
    }
  });

  it('is relayed to every connection of the other member only, and nothing is stored', async () => {
    const server = await h.startServer();
    const pair = await h.pair(server);
    const { alice, bob, aliceSocket, bobSocket, conversation } = pair;
    await bothWrite(pair);
    const aliceLaptop = await h.connect(server, alice.token);
    const bobLaptop = await h.connect(server, bob.token);
    const before = await bobSocket.allEvents(conversation.id);

    expect(await aliceSocket.request({ type: 'typing', conversationId: conversation.id })).toMatchObject({ type: 'ok' });
    const expected = { type: 'typing', conversationId: conversation.id, userId: alice.user.id };
    expect(await bobSocket.waitForPush('typing')).toEqual(expected);
    expect(await bobLaptop.waitForPush('typing')).toEqual(expected);
    // The typer's own devices have nothing to show.
    await Promise.all([aliceSocket.barrier(), aliceLaptop.barrier()]);
    expect(aliceSocket.pushesOf('typing')).toEqual([]);
    expect(aliceLaptop.pushesOf('typing')).toEqual([]);

    // Ephemeral: the log and the sequence counter are untouched.
    expect(await bobSocket.allEvents(conversation.id)).toEqual(before);
    const { conversations } = await bobSocket.call({ type: 'list_conversations' }, 'conversations');
    expect(conversations[0]!.lastSeq).toBe(2);
    expect(await aliceSocket.send(conversation.id, 'm3', 'still 3')).toMatchObject({ seq: 3 });
  });

  it('is heard only among members who have both written in the conversation', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const direct = await alice.socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    const conversationId = direct.conversation.id;
    await bob.socket.waitForPush('conversation_added');
    const typing = (person: SocketPerson, id = conversationId) =>
      person.socket.call({ type: 'typing', conversationId: id }, 'ok');
    // Nobody wrote yet; then only alice: neither hears the other type.
    await typing(alice);
    await typing(bob);
    await alice.socket.send(conversationId, 'a1', 'Hello?');
    await typing(alice);
    await typing(bob);
    await Promise.all([alice.socket.barrier(), bob.socket.barrier()]);
    expect(alice.socket.pushesOf('typing')).toEqual([]);
    expect(bob.socket.pushesOf('typing')).toEqual([]);
    // Bob answers: from now on each hears the other.
    await bob.socket.send(conversationId, 'b1', 'Hi');
    await typing(alice);
    expect(await bob.socket.waitForPush('typing')).toMatchObject({ conversationId, userId: alice.user.id });
    await typing(bob);
    expect(await alice.socket.waitForPush('typing')).toMatchObject({ conversationId, userId: bob.user.id });

    // In a group, the same: carol, who has not written there, neither hears nor is heard.
    const group = await groupOf(alice, [bob, carol]);
    await alice.socket.send(group.id, 'a2', 'Hello all');
    await bob.socket.send(group.id, 'b2', 'Hi all');
    const mark = { alice: alice.socket.pushes.length, carol: carol.socket.pushes.length };
    await typing(bob, group.id);
    expect(await alice.socket.waitForPush('typing', (p) => p.conversationId === group.id)).toMatchObject({ userId: bob.user.id });
    await typing(carol, group.id);
    await Promise.all([alice.socket.barrier(), carol.socket.barrier()]);
    expect(carol.socket.pushes.slice(mark.carol).filter((p) => p.type === 'typing')).toEqual([]);
    expect(alice.socket.pushes.slice(mark.alice).filter((p) => p.type === 'typing')).toHaveLength(1);
  });

  it('is relayed again when repeated, at most once a second however often it comes', async () => {
    const { runtime, clock } = manualRuntime();
    const server = await h.startServer({ runtime });
    const pair = await h.pair(server);
    const { aliceSocket, bobSocket, conversation } = pair;
    await bothWrite(pair);
    for (let i = 0; i < 3; i += 1) await aliceSocket.call({ type: 'typing', conversationId: conversation.id }, 'ok');
    await bobSocket.barrier();
    expect(bobSocket.pushesOf('typing')).toHaveLength(1);
    clock.set(clock.now() + 1_000);
    await aliceSocket.call({ type: 'typing', conversationId: conversation.id }, 'ok');
    await bobSocket.barrier();
    expect(bobSocket.pushesOf('typing')).toHaveLength(2);
  });

  it('answers username lookups beyond a minute’s share with rate_limited, then takes them again', async () => {
    const { runtime, clock } = manualRuntime();
    const server = await h.startServer({
      runtime,
      frameThrottle: { lookupsPerWindow: 3, lookupWindowMs: 60_000, typingRelayEveryMs: 1_000 },
    });
    const { aliceSocket, bob } = await h.pair(server);
    // pair() looked bob up once (start_conversation).
    await aliceSocket.call({ type: 'find_user', username: bob.user.username }, 'user');
    await aliceSocket.call({ type: 'find_user', username: 'nobody-here' }, 'error');
    const refused = await aliceSocket.call({ type: 'find_user', username: bob.user.username }, 'error');
    expect(refused).toMatchObject({ code: 'rate_limited' });
    expect((await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'error')).code).toBe(
      'rate_limited',
    );
    clock.set(clock.now() + 60_000);
    await aliceSocket.call({ type: 'find_user', username: bob.user.username }, 'user');
  });
});
