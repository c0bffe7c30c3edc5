import { afterEach, expect, it } from 'vitest';
import { createServerHarness, envelopesIn, logIn, testOpened } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('server data on disk', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('survives a restart on the same data dir: accounts, sessions, conversations, events, watermarks', async () => {
    const first = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(first);
    for (const i of [1, 2, 3]) await aliceSocket.send(conversation.id, `p${i}`, `before ${i}`);
    await bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: 2 }, 'ok');

    const second = await h.restart(first);
    expect(second.dataDir).toBe(first.dataDir);
    // Old tokens still open a socket; passwords still work.
    const bobAgain = await h.connect(second, bob.token);
    expect(bobAgain.user).toEqual(bob.user);
    expect((await logIn(second.httpUrl, alice.user.username, alice.password)).status).toBe(200);

    const events = envelopesIn(
      (await bobAgain.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'events')).events,
    );
    expect(events.map((e) => [e.seq, testOpened(e)])).toEqual([
      [1, 'before 1'],
      [2, 'before 2'],
      [3, 'before 3'],
    ]);
    const [listed] = (await bobAgain.call({ type: 'list_conversations' }, 'conversations')).conversations;
    expect(listed).toMatchObject({ id: conversation.id, lastSeq: 3 });
    expect(listed!.members.find((m) => m.id === bob.user.id)).toMatchObject({ deliveredSeq: 2, readSeq: 2 });

    // Numbering continues, and a resend from before the restart is still recognised.
    const aliceAgain = await h.connect(second, alice.token);
    const resend = await aliceAgain.send(conversation.id, 'p3', 'before 3');
    expect(resend.seq).toBe(3);
    const next = await aliceAgain.send(conversation.id, 'p4', 'after');
    expect(next.seq).toBe(4);
    // Same pair, same conversation.
    const same = await aliceAgain.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    expect(same.conversation.id).toBe(conversation.id);
  });
});
