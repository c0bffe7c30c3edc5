import { afterEach, expect, it } from 'vitest';
import { createServerHarness, type Pair, type ServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

async function pairWithEnvelopes(h: ServerHarness, count: number): Promise<Pair> {
  const server = await h.startServer();
  const pair = await h.pair(server);
  for (let i = 0; i < count; i += 1) await pair.aliceSocket.send(pair.conversation.id, `w${i}`, `m${i}`);
  return pair;
}

describeEachStore('delivery and read watermarks', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('pushes a moved watermark to every member connection, the sender’s included', async () => {
    const { bob, aliceSocket, bobSocket, conversation } = await pairWithEnvelopes(h, 3);
    await bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'delivered', seq: 2 }, 'ok');
    const expected = { type: 'watermark', conversationId: conversation.id, userId: bob.user.id, deliveredSeq: 2, readSeq: 0 };
    expect(await aliceSocket.waitForPush('watermark')).toEqual(expected);
    expect(await bobSocket.waitForPush('watermark')).toEqual(expected);
  });

  it('never moves backwards: old or repeated receipts change nothing and push nothing', async () => {
    const { bob, aliceSocket, bobSocket, conversation } = await pairWithEnvelopes(h, 5);
    const receipt = (kind: 'delivered' | 'read', seq: number) =>
      bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind, seq }, 'ok');

    await receipt('delivered', 4);
    await receipt('delivered', 2);
    await receipt('delivered', 4);
    await receipt('read', 3);
    await receipt('read', 1);
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);

    const pushes = aliceSocket.pushesOf('watermark').map((p) => [p.deliveredSeq, p.readSeq]);
    expect(pushes).toEqual([
      [4, 0],
      [4, 3],
    ]);
    const listed = (await aliceSocket.call({ type: 'list_conversations' }, 'conversations')).conversations[0]!;
    expect(listed.members.find((m) => m.id === bob.user.id)).toMatchObject({ deliveredSeq: 4, readSeq: 3 });
  });

  it('makes read imply delivered and clamps to the last seq of the conversation', async () => {
    const { alice, bob, aliceSocket, bobSocket, conversation } = await pairWithEnvelopes(h, 3);
    await bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: 2 }, 'ok');
    expect(await aliceSocket.waitForPush('watermark', (p) => p.userId === bob.user.id)).toMatchObject({
      deliveredSeq: 2,
      readSeq: 2,
    });

    // Receipts for events that do not exist yet only count up to the last one.
    await aliceSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: 1_000 }, 'ok');
    expect(await bobSocket.waitForPush('watermark', (p) => p.userId === alice.user.id)).toMatchObject({
      deliveredSeq: 3,
      readSeq: 3,
    });

    // So a later envelope is not pre-acknowledged.
    await bobSocket.send(conversation.id, 'late', 'new');
    const listed = (await bobSocket.call({ type: 'list_conversations' }, 'conversations')).conversations[0]!;
    expect(listed.lastSeq).toBe(4);
    expect(listed.members.find((m) => m.id === alice.user.id)).toMatchObject({ deliveredSeq: 3, readSeq: 3 });
  });
});
