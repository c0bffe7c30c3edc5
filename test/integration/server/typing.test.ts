import { afterEach, expect, it } from 'vitest';
import { createServerHarness, manualRuntime } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('typing', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('is relayed to every connection of the other member only, and nothing is stored', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const aliceLaptop = await h.connect(server, alice.token);
    const bobLaptop = await h.connect(server, bob.token);
    await aliceSocket.send(conversation.id, 'm1', 'hi');
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
    expect(conversations[0]!.lastSeq).toBe(1);
    expect(await aliceSocket.send(conversation.id, 'm2', 'still 2')).toMatchObject({ seq: 2 });
  });

  it('is relayed again when repeated, at most once a second however often it comes', async () => {
    const { runtime, clock } = manualRuntime();
    const server = await h.startServer({ runtime });
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
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
