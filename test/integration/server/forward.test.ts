/**
 * Files forwarded by reference (envelope-frames.ts `attachments`): an envelope may refer to a file
 * its sender may download now, so a forward uploads nothing again, and each envelope that refers to
 * a file lets its own conversation download it. Whom a forward copies and what may be forwarded
 * are sealed content, judged on the client (test/integration/client/forward.test.ts).
 */
import { afterEach, expect, it } from 'vitest';
import type { Conversation } from '../../../sync/protocol/frames.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import {
  createServerHarness,
  envelopesIn,
  groupChange,
  groupOf,
  people,
  type SocketPerson,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import { bearer, download, sendAttachments, sendWithAttachments, testFile, uploadFile } from './attachment-support.js';

/** The direct conversation of two people; both sockets have heard of it. */
async function direct(a: SocketPerson, b: SocketPerson): Promise<Conversation> {
  const { conversation } = await a.socket.call({ type: 'start_conversation', username: b.user.username }, 'conversation');
  await b.socket.waitForPush('conversation_added', (push) => push.conversation.id === conversation.id);
  return conversation;
}

describeEachStore('forwarding files by reference', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('keeps a forwarded file downloadable through the forward once the original is deleted for everyone', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const aliceBob = await direct(alice, bob);
    const bobCarol = await direct(bob, carol);
    const file = await testFile(await h.tempDir(), 4096);
    const uploadId = await uploadFile(server.httpUrl, alice.account.token, file);
    await sendAttachments(alice.socket, aliceBob.id, 'a1', [uploadId], 'the report');
    // Bob never uploaded (or even downloaded) the file: the forward refers to Alice's upload.
    expect((await sendAttachments(bob.socket, bobCarol.id, 'f1', [uploadId], 'the report')).attachments).toEqual([uploadId]);
    const status = async (who: SocketPerson) => (await download(server.httpUrl, uploadId, bearer(who.account.token))).status;
    expect([await status(alice), await status(bob), await status(carol)]).toEqual([200, 200, 200]);

    // Deleting the original ends downloads through it, not through the forward (Bob's own envelope
    // now). Alice is in no conversation that still refers to it, and an upload something refers
    // to is no longer only its uploader's.
    await alice.socket.send(aliceBob.id, 'd1', 'deleted', { deletes: 'a1' });
    expect([await status(alice), await status(bob), await status(carol)]).toEqual([404, 200, 200]);
    const got = await download(server.httpUrl, uploadId, bearer(carol.account.token));
    expect(got.bytes.equals(file.bytes)).toBe(true);
  });

  it('in a group, refers only to what the sender may download now: not from before they joined, not after they were removed', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const group = await groupOf(alice, [bob]);
    const carolDave = await direct(carol, dave);
    const bobDave = await direct(bob, dave);
    const dir = await h.tempDir();
    const [forwarded, kept] = [await testFile(dir, 100), await testFile(dir, 200)];
    const forwardedId = await uploadFile(server.httpUrl, alice.account.token, forwarded);
    const keptId = await uploadFile(server.httpUrl, alice.account.token, kept);
    await sendAttachments(alice.socket, group.id, 'early', [forwardedId, keptId], 'before Carol');
    await groupChange(alice.socket, group.id, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] });
    await carol.socket.waitForPush('conversation_added', (push) => push.conversation.id === group.id);
    const refused = { type: 'error', ...REFUSALS.attachment_missing };

    expect(await sendWithAttachments(carol.socket, carolDave.id, 'c1', [forwardedId])).toMatchObject(refused);
    await sendAttachments(bob.socket, bobDave.id, 'b1', [forwardedId]);
    await groupChange(alice.socket, group.id, 'remove-bob', { kind: 'remove_member', userId: bob.user.id });
    expect(await sendWithAttachments(bob.socket, bobDave.id, 'b2', [keptId])).toMatchObject(refused);
    // What Bob forwarded while he could stays his and Dave's: he may refer to it again.
    await sendAttachments(bob.socket, bobDave.id, 'b3', [forwardedId]);
    const status = async (who: SocketPerson, id: string) =>
      (await download(server.httpUrl, id, bearer(who.account.token))).status;
    expect([await status(dave, forwardedId), await status(dave, keptId)]).toEqual([200, 404]);
    expect(envelopesIn(await dave.socket.allEvents(carolDave.id))).toEqual([]);
  });
});
