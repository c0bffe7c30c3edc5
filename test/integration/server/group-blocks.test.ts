/**
 * A block keeps two people out of each other's groups: whoever blocked whom, neither can put the other
 * in a new group or add them to one, and the refusal does not say why. Lifting the block lifts it.
 * In a group they share already, the blocker gets no envelope the blocked person stores there while
 * the block stands (nor its files), and the blocked person no receipts from the blocker.
 */
import { afterEach, expect, it } from 'vitest';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { bearer, download, testFile, uploadFile } from './attachment-support.js';
import {
  createGroup,
  createServerHarness,
  envelopesIn,
  groupOf,
  listedConversation,
  newGroupId,
  people,
  pushesAbout,
  testOpened,
  visibleLog,
  type TestClient,
} from '../../support/server-harness.js';
import { block } from '../../support/blocking.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('blocks and groups', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('keep a blocked person from putting the blocker in a group, and the blocker from adding them, until unblocked', async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    await block(alice.socket, mallory.user.id);

    const newGroup = (socket: TestClient, memberIds: string[]) =>
      socket.request({
        type: 'create_conversation',
        conversationId: newGroupId(),
        conversation: { kind: 'group', memberIds },
      });
    expect(await newGroup(mallory.socket, [bob.user.id, alice.user.id])).toMatchObject({
      type: 'error',
      reason: 'cannot_add_to_groups',
    });
    const withBob = await createGroup(mallory.socket, { memberIds: [bob.user.id] });
    const add = (socket: TestClient, conversationId: string, userId: string, clientChangeId: string) =>
      socket.request({
        type: 'group_change',
        conversationId,
        clientChangeId,
        change: { kind: 'add_members', userIds: [userId] },
      });
    expect(await add(mallory.socket, withBob.id, alice.user.id, 'add-alice')).toMatchObject({
      type: 'error',
      reason: 'cannot_add_to_groups',
    });
    // The blocker's side too: she cannot bring him in either.
    expect(await newGroup(alice.socket, [mallory.user.id])).toMatchObject({ type: 'error', reason: 'cannot_add_to_groups' });
    await alice.socket.barrier();
    expect(alice.socket.pushesOf('conversation_added')).toEqual([]);

    await block(alice.socket, mallory.user.id, false);
    expect(await add(mallory.socket, withBob.id, alice.user.id, 'add-alice-again')).toMatchObject({ type: 'sent' });
    expect(await alice.socket.waitForPush('conversation_added')).toMatchObject({ conversation: { id: withBob.id } });
  });

  it("in a shared group, the blocked person's envelopes never reach the blocker, live or in catch-up; the others get them", async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    const group = await groupOf(bob, [alice, mallory]);
    const id = group.id;
    const before = await mallory.socket.send(id, 'm1', 'before the block');
    await alice.socket.waitForPush('event', (p) => p.event.conversationId === id && p.event.seq === before.seq);

    await block(alice.socket, mallory.user.id);
    const aliceFrom = alice.socket.pushes.length;
    // Whatever they hold (a message, a reaction, an edit): the server cannot tell, and hides each.
    const hidden = [
      await mallory.socket.send(id, 'm2', 'you cannot get away'),
      await mallory.socket.send(id, 'r1', '👎 on m1'),
      await mallory.socket.send(id, 'e1', 'm1 edited after the block'),
    ];
    // What alice sends still reaches mallory (only the blocker is shielded), and he may answer it.
    const mine = await alice.socket.send(id, 'a1', 'hello everyone');
    await mallory.socket.waitForPush('event', (p) => p.event.conversationId === id && p.event.seq === mine.seq);
    const answer = await mallory.socket.send(id, 'm3', 'answering you');
    hidden.push(answer);
    // bob gets everything, live and in catch-up.
    await bob.socket.waitForPush('event', (p) => p.event.conversationId === id && p.event.seq === answer.seq);
    expect((await visibleLog(bob.socket, id)).events.map((e) => e.seq)).toEqual(
      expect.arrayContaining([...hidden.map((e) => e.seq), mine.seq]),
    );

    await alice.socket.barrier();
    const aliceGot = pushesAbout(alice.socket, id, aliceFrom).flatMap((p) => (p.type === 'event' ? [p.event.seq] : []));
    expect(aliceGot).toEqual([]);
    const log = await visibleLog(alice.socket, id, 0, 2);
    const seqs = log.events.map((e) => e.seq);
    expect(seqs).toContain(before.seq);
    expect(seqs).toContain(mine.seq);
    for (const event of hidden) expect(seqs).not.toContain(event.seq);
    // A page ends before a hidden run and the next skips it; the run at the end is not hers to wait for.
    expect(log.skips).toContain(answer.seq);
    expect((await listedConversation(alice.socket, id))?.lastSeq).toBe(mine.seq);
    // Deleting what she never got is answered as for an envelope that does not exist; one she got, as not hers.
    expect(await alice.socket.sendEnvelope(id, 'x1', '', { deletes: 'm2' })).toMatchObject({
      type: 'error',
      ...REFUSALS.no_such_message,
    });
    expect(await alice.socket.sendEnvelope(id, 'x2', '', { deletes: 'm1' })).toMatchObject({
      type: 'error',
      ...REFUSALS.not_author,
    });

    // Nor download a file of his, or refer to it in an envelope of her own (a forward); bob may download it.
    const file = await testFile(await h.tempDir(), 1024);
    const fileId = await uploadFile(server.httpUrl, mallory.account.token, file);
    hidden.push(await mallory.socket.send(id, 'm-file', 'a file', { attachments: [fileId] }));
    expect((await download(server.httpUrl, fileId, bearer(alice.account.token))).status).toBe(404);
    expect((await download(server.httpUrl, fileId, bearer(bob.account.token))).status).toBe(200);
    expect(await alice.socket.sendEnvelope(id, 'x3', 'forwarded', { attachments: [fileId] })).toMatchObject({
      type: 'error',
      ...REFUSALS.attachment_missing,
    });

    // Lifted: new envelopes flow again, what was hidden stays hidden.
    await block(alice.socket, mallory.user.id, false);
    const after = await mallory.socket.send(id, 'm4', 'after the unblock');
    expect(
      (await alice.socket.waitForPush('event', (p) => p.event.conversationId === id && p.event.seq === after.seq)).event,
    ).toEqual(after);
    const again = await visibleLog(alice.socket, id);
    expect(again.events.map((e) => e.seq)).toContain(after.seq);
    for (const event of hidden) expect(again.events.map((e) => e.seq)).not.toContain(event.seq);
    expect(envelopesIn(again.events).map(testOpened)).toEqual(['before the block', 'hello everyone', 'after the unblock']);
    expect((await download(server.httpUrl, fileId, bearer(alice.account.token))).status).toBe(404);
    expect(await alice.socket.sendEnvelope(id, 'x4', '', { deletes: 'm2' })).toMatchObject({
      type: 'error',
      ...REFUSALS.no_such_message,
    });
  });

  it("in a shared group, the blocker's watermark moves are not pushed to the blocked and are served as they were when the block began", async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    const group = await groupOf(bob, [alice, mallory]);
    const id = group.id;
    const first = await bob.socket.send(id, 'b1', 'one');
    await alice.socket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: first.seq }, 'ok');
    await mallory.socket.waitForPush('watermark', (p) => p.userId === alice.user.id && p.readSeq === first.seq);

    await block(alice.socket, mallory.user.id);
    const second = await bob.socket.send(id, 'b2', 'two');
    const malloryFrom = mallory.socket.pushes.length;
    await alice.socket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: second.seq }, 'ok');
    // bob hears it as ever.
    await bob.socket.waitForPush('watermark', (p) => p.userId === alice.user.id && p.readSeq === second.seq);
    await mallory.socket.barrier();
    expect(mallory.socket.pushes.slice(malloryFrom).filter((p) => p.type === 'watermark')).toEqual([]);
    const seenByMallory = await listedConversation(mallory.socket, id);
    expect(seenByMallory?.members.find((m) => m.id === alice.user.id)).toMatchObject({
      deliveredSeq: first.seq,
      readSeq: first.seq,
    });
    // Everyone else is served the real ones; mallory's own receipts still reach alice.
    expect((await listedConversation(bob.socket, id))?.members.find((m) => m.id === alice.user.id)).toMatchObject({
      readSeq: second.seq,
    });
    await mallory.socket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: second.seq }, 'ok');
    await alice.socket.waitForPush('watermark', (p) => p.userId === mallory.user.id && p.readSeq === second.seq);

    // Lifted: mallory is told where alice's watermarks are now, and served them.
    await block(alice.socket, mallory.user.id, false);
    await mallory.socket.waitForPush('watermark', (p) => p.userId === alice.user.id && p.readSeq === second.seq);
    expect((await listedConversation(mallory.socket, id))?.members.find((m) => m.id === alice.user.id)).toMatchObject({
      readSeq: second.seq,
    });
  });

  it('a group someone else makes with both while the block stands: his messages stay away from her, and her receipts from him', async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    await block(alice.socket, mallory.user.id);
    const group = await groupOf(bob, [alice, mallory]);
    const id = group.id;
    const hidden = await mallory.socket.send(id, 'm1', 'found you');
    const mine = await bob.socket.send(id, 'b1', 'hello both');
    await alice.socket.waitForPush('event', (p) => p.event.conversationId === id && p.event.seq === mine.seq);
    expect((await visibleLog(alice.socket, id)).events.map((e) => e.seq)).not.toContain(hidden.seq);

    await alice.socket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: mine.seq }, 'ok');
    await bob.socket.waitForPush('watermark', (p) => p.userId === alice.user.id && p.readSeq === mine.seq);
    await mallory.socket.barrier();
    expect(mallory.socket.pushesOf('watermark').filter((p) => p.userId === alice.user.id)).toEqual([]);
    // He is served none of her reading there.
    expect((await listedConversation(mallory.socket, id))?.members.find((m) => m.id === alice.user.id)).toMatchObject({
      deliveredSeq: 0,
      readSeq: 0,
    });
  });
});
