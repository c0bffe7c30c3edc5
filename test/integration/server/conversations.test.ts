import { afterEach, expect, it } from 'vitest';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('direct conversations', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('starts a conversation; the other member and the starter’s other devices hear of it', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server, { username: 'alice', displayName: 'Alice' });
    const bob = await h.createAccount(server, { username: 'bob', displayName: 'Bob' });
    const alicePhone = await h.connect(server, alice.token);
    const aliceLaptop = await h.connect(server, alice.token);
    const bobSocket = await h.connect(server, bob.token);

    const { conversation } = await alicePhone.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    expect(conversation).toMatchObject({ kind: 'direct', lastSeq: 0 });
    expect(conversation.members).toEqual([
      { ...alice.user, role: 'member', deliveredSeq: 0, readSeq: 0 },
      { ...bob.user, role: 'member', deliveredSeq: 0, readSeq: 0 },
    ]);

    const toBob = await bobSocket.waitForPush('conversation_added');
    // Started by Alice: a message request to Bob (request-rules.ts), not to her other devices.
    expect(toBob.conversation).toEqual({ ...conversation, requestFrom: alice.user.id });
    const toLaptop = await aliceLaptop.waitForPush('conversation_added');
    expect(toLaptop.conversation).toEqual(conversation);
    // The requesting socket has the reply; a push on top would be noise.
    await alicePhone.barrier();
    expect(alicePhone.pushesOf('conversation_added')).toEqual([]);
  });

  it('returns the existing conversation for an existing pair, whoever asks, and pushes nothing new', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const again = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    expect(again.conversation.id).toBe(conversation.id);
    const fromBob = await bobSocket.call(
      { type: 'start_conversation', username: alice.user.username.toUpperCase() },
      'conversation',
    );
    expect(fromBob.conversation.id).toBe(conversation.id);
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(aliceSocket.pushesOf('conversation_added')).toEqual([]);
    expect(bobSocket.pushesOf('conversation_added')).toHaveLength(1);
  });

  it('answers not_found for an unknown username and invalid for yourself', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server, { username: 'alice' });
    const socket = await h.connect(server, alice.token);
    const unknown = await socket.call({ type: 'start_conversation', username: 'ghost' }, 'error');
    expect(unknown.code).toBe('not_found');
    const self = await socket.call({ type: 'start_conversation', username: 'alice' }, 'error');
    expect(self.code).toBe('invalid');
    expect((await socket.call({ type: 'list_conversations' }, 'conversations')).conversations).toEqual([]);
  });

  it('lists every conversation of the caller with members, watermarks and lastSeq', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const carol = await h.createAccount(server, { username: 'carol' });
    const second = (await aliceSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation')).conversation;
    await aliceSocket.send(conversation.id, 'm1', 'hi bob');
    await aliceSocket.send(conversation.id, 'm2', 'still there?');
    await bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: 1 }, 'ok');

    const listed = (await aliceSocket.call({ type: 'list_conversations' }, 'conversations')).conversations;
    expect(listed.map((c) => c.id).sort()).toEqual([conversation.id, second.id].sort());
    const withBob = listed.find((c) => c.id === conversation.id)!;
    expect(withBob.lastSeq).toBe(2);
    expect(withBob.members).toEqual([
      { ...alice.user, role: 'member', deliveredSeq: 0, readSeq: 0 },
      { ...bob.user, role: 'member', deliveredSeq: 1, readSeq: 1 },
    ]);
    expect(listed.find((c) => c.id === second.id)!.members.map((m) => m.id)).toEqual([alice.user.id, carol.user.id]);

    // Bob is not in Alice's conversation with Carol.
    const bobs = (await bobSocket.call({ type: 'list_conversations' }, 'conversations')).conversations;
    expect(bobs.map((c) => c.id)).toEqual([conversation.id]);
  });
});
