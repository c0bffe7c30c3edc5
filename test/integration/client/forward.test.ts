/**
 * Forwarding between real client cores and a real server over 127.0.0.1: composed offline to
 * several conversations, queued like any send, delivered exactly once each, files by reference
 * (never uploaded again), refusals shown on the message without sending it again and again.
 * Forwards go sealed: what they forward is in the sealed content, and the files they refer to are
 * named to the server by upload id in the envelope's `attachments`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptedBy } from '../../support/people.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageView } from '../../../sync/app-api/contract.js';
import type { ClientFrame } from '../../../sync/protocol/frames.js';
import { attachFile, fileBytes, storedBytes } from '../../support/attachments-files.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { readMirrorAttachments } from '../../support/db-invariants.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { uploadsOwnedBy } from '../../support/server-uploads.js';

const servers = createServerHarness();
const clients = createClientHarness();
const proxies: TcpProxy[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await clients.cleanup();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await servers.cleanup();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function connection(core: TestCore, state: 'online' | 'offline') {
  await eventually(
    () => core.getConnectionState(),
    (now) => now === state,
    state,
    30_000,
  );
}

async function messages(core: TestCore, conversationId: string): Promise<MessageView[]> {
  return (await core.listMessages({ conversationId, limit: 1000 })).messages;
}

async function messageWhere(core: TestCore, conversationId: string, accept: (m: MessageView) => boolean, what: string) {
  const list = await eventually(
    () => messages(core, conversationId),
    (all) => all.some(accept),
    what,
    30_000,
  );
  return list.find(accept)!;
}

/**
 * Alice, Bob and Carol. Bob reaches the server through a proxy the test cuts, with a transport it
 * can make misbehave. Alice sends Bob a file (he does not download it); Bob also has a direct
 * conversation with Carol and a group with both.
 */
async function threePeople() {
  const server = await servers.startServer();
  const bobProxy = await startTcpProxy(server.port);
  proxies.push(bobProxy);
  const bobTransport = new FaultyTransport();
  const alice = await clients.open(await clients.profileDir(), server.url);
  const bob = await clients.open(await clients.profileDir(), bobProxy.url, bobTransport);
  const carol = await clients.open(await clients.profileDir(), server.url);
  const signUp = async (core: TestCore, serverUrl: string, username: string, displayName: string) => {
    await core.createAccount({ serverUrl, username, displayName, password: DEFAULT_TEST_PASSWORD });
    await connection(core, 'online');
  };
  await signUp(alice, server.url, 'alice', 'Alice Liddell');
  await signUp(bob, bobProxy.url, 'bob', 'Bob Builder');
  await signUp(carol, server.url, 'carol', 'Carol Chen');

  const originals = await mkdtemp(join(tmpdir(), 'forward-originals-'));
  dirs.push(originals);
  const file = await attachFile(alice.profileDir, originals, 'report.bin', fileBytes(200_000));
  const { id: aliceBob } = await alice.startConversation({ username: 'bob' });
  const original = await alice.sendMessage({
    conversationId: aliceBob,
    text: 'the quarterly report',
    attachments: [{ sha256: file.sha256, name: 'report.bin', kind: 'file' }],
  });
  await messageWhere(bob, aliceBob, (m) => m.id === original.id, 'bob receives the file message');
  await acceptedBy(bob, aliceBob);

  const { id: bobCarol } = await bob.startConversation({ username: 'carol' });
  const carolUser = await bob.findUser({ username: 'carol' });
  const aliceUser = await bob.findUser({ username: 'alice' });
  const { id: trip } = await bob.createGroup({ name: 'Trip', memberIds: [carolUser.id, aliceUser.id] });
  // Carol knows Bob: both are requests from him she accepts.
  await acceptedBy(carol, bobCarol);
  await acceptedBy(carol, trip);
  // The group's name goes sealed behind its creation: it has reached Carol before the tests begin.
  await eventually(
    async () => (await carol.listConversations()).find((c) => c.id === trip)?.title,
    (title) => title === 'Trip',
    'the group named on Carol’s device',
  );
  return { server, alice, bob, carol, bobProxy, bobTransport, aliceBob, bobCarol, trip, file, original };
}

describe('forwarding between client cores', () => {
  it('forwarded offline to two conversations: each arrives exactly once after reconnecting, named after its author, its file by reference', async () => {
    const { server, bob, carol, alice, bobProxy, bobTransport, aliceBob, bobCarol, trip, file, original } = await threePeople();
    const sentBefore = bobTransport.sent.length;
    const bobId = (await bob.getSession())!.user.id;
    // Bob never downloaded the file: it is not in his profile, and he will not need it to forward.
    expect(await storedBytes(bob.profileDir, file.sha256)).toBeNull();

    bobProxy.cut();
    await connection(bob, 'offline');
    const copies = await bob.forwardMessage({
      conversationId: aliceBob,
      messageId: original.id,
      toConversationIds: [bobCarol, trip],
    });
    expect(copies.map((copy) => copy.conversationId)).toEqual([bobCarol, trip]);
    for (const copy of copies) {
      expect(copy).toMatchObject({
        own: true,
        status: 'sending',
        text: 'the quarterly report',
        forwardedFrom: 'Alice Liddell',
        seq: null,
      });
      // By reference: the server's id is known, there is nothing to upload.
      expect(copy.attachments).toEqual([expect.objectContaining({ name: 'report.bin', size: file.size, transfer: null })]);
    }
    expect(new Set(copies.map((copy) => copy.id)).size).toBe(2);
    // Searchable at once, like any message written here (the original and both copies).
    expect((await bob.searchMessages({ query: 'quarterly' })).map((hit) => hit.conversationId).sort()).toEqual(
      [aliceBob, bobCarol, trip].sort(),
    );

    // The first acknowledgement is lost with the connection: the forward is sent again, and the
    // server answers it with what it stored the first time.
    const copyIds = new Set(copies.map((copy) => copy.id));
    let lostOne = false;
    bobTransport.fromServer = (frame, socket) => {
      if (!lostOne && frame.type === 'sent' && frame.event.kind === 'envelope' && copyIds.has(frame.event.clientId)) {
        lostOne = true;
        socket.close();
        return 'drop';
      }
      return 'pass';
    };
    bobProxy.restore();
    for (const copy of copies) {
      await messageWhere(
        bob,
        copy.conversationId,
        (m) => m.id === copy.id && m.status !== 'sending',
        'bob’s copy is acknowledged',
      );
    }
    expect(lostOne).toBe(true);

    for (const [who, conversationId] of [
      [carol, bobCarol],
      [carol, trip],
      [alice, trip],
    ] as const) {
      const received = await messageWhere(who, conversationId, (m) => m.text === 'the quarterly report', 'the copy arrives');
      expect(received).toMatchObject({ senderName: 'Bob Builder', own: false, forwardedFrom: 'Alice Liddell' });
      expect(received.attachments).toEqual([expect.objectContaining({ name: 'report.bin', sha256: file.sha256 })]);
    }
    // Exactly once each, and nothing else queued went twice: Bob sent nothing but the two copies,
    // each naming the original's upload (by reference).
    const originalUploads = readMirrorAttachments(bob.profileDir)
      .filter((row) => row.messageId === original.id)
      .map((row) => row.attachmentId);
    expect(originalUploads).toHaveLength(1);
    const sends = bobTransport.sent
      .slice(sentBefore)
      .filter((frame): frame is Extract<ClientFrame, { type: 'send_envelope' }> => frame.type === 'send_envelope');
    for (const frame of sends) {
      expect(copyIds.has(frame.clientId)).toBe(true);
      expect(frame.attachments).toEqual(originalUploads);
    }
    expect(new Set(sends.map((frame) => frame.clientId))).toEqual(copyIds);
    // Two forwards; the one whose acknowledgement was lost is either found in the catch-up after
    // reconnecting (then not sent again) or sent again and answered as a duplicate.
    expect(sends.length).toBeGreaterThanOrEqual(2);
    expect(sends.length).toBeLessThanOrEqual(3);
    for (const [who, conversationId] of [
      [carol, bobCarol],
      [carol, trip],
      [bob, bobCarol],
      [bob, trip],
    ] as const) {
      expect((await messages(who, conversationId)).filter((m) => m.forwardedFrom !== null)).toHaveLength(1);
    }

    // Never uploaded again: Bob owns no upload, his rows are references, and Carol gets the bytes.
    expect(uploadsOwnedBy(server.dataDir, bobId)).toBe(0);
    expect(bob.events.some((event) => event.type === 'transfer' && event.direction === 'upload')).toBe(false);
    const bobRows = readMirrorAttachments(bob.profileDir).filter((row) => copies.some((copy) => copy.id === row.messageId));
    expect(bobRows.map((row) => row.uploadState)).toEqual([null, null]);
    expect(new Set(bobRows.map((row) => row.attachmentId))).toEqual(new Set(originalUploads));
    await carol.downloadAttachment({ conversationId: bobCarol, messageId: copies[0]!.id, index: 0 });
    await messageWhere(
      carol,
      bobCarol,
      (m) => m.id === copies[0]!.id && m.attachments[0]?.localUrl !== null,
      'carol downloads it',
    );
    // The same sealed file, opened with the key the forward carried over: Alice's bytes.
    const carols = (await storedBytes(carol.profileDir, file.sha256))!;
    expect(carols.equals((await storedBytes(alice.profileDir, file.sha256))!)).toBe(true);
    expect(carols.length).toBe(200_000);
  }, 90_000);

  it('a forward of a forward keeps the first author', async () => {
    const { bob, carol, alice, aliceBob, bobCarol, trip, original } = await threePeople();
    const [copy] = await bob.forwardMessage({ conversationId: aliceBob, messageId: original.id, toConversationIds: [bobCarol] });
    const received = await messageWhere(carol, bobCarol, (m) => m.id === copy!.id, 'carol receives the copy');
    const [again] = await carol.forwardMessage({ conversationId: bobCarol, messageId: received.id, toConversationIds: [trip] });
    expect(again).toMatchObject({ forwardedFrom: 'Alice Liddell', senderName: 'Carol Chen' });
    const inGroup = await messageWhere(alice, trip, (m) => m.id === again!.id, 'alice receives the second copy');
    expect(inGroup.forwardedFrom).toBe('Alice Liddell');
  }, 60_000);

  it('refuses at once what cannot be forwarded: a deleted message, an unsent one, a conversation left', async () => {
    const { alice, bob, bobProxy, aliceBob, bobCarol, trip, original } = await threePeople();
    const plain = await alice.sendMessage({ conversationId: aliceBob, text: 'soon gone' });
    await messageWhere(bob, aliceBob, (m) => m.id === plain.id, 'bob receives it');
    await alice.deleteMessage({ conversationId: aliceBob, messageId: plain.id });
    await messageWhere(bob, aliceBob, (m) => m.id === plain.id && m.deleted, 'bob sees it deleted');
    await expect(
      bob.forwardMessage({ conversationId: aliceBob, messageId: plain.id, toConversationIds: [bobCarol] }),
    ).rejects.toMatchObject({ code: 'refused', message: 'message_deleted' });

    // A group Bob left: what he still holds of it is his to read, not to pass on, nor to write to.
    const inGroup = await alice.sendMessage({ conversationId: trip, text: 'group plans' });
    await messageWhere(bob, trip, (m) => m.id === inGroup.id, 'bob receives the group message');
    await bob.leaveGroup({ conversationId: trip });
    // Refused already while the leave is queued, and once the server has it.
    await expect(
      bob.forwardMessage({ conversationId: trip, messageId: inGroup.id, toConversationIds: [bobCarol] }),
    ).rejects.toMatchObject({ code: 'refused', message: 'forwarded_message_missing' });
    await eventually(
      () => bob.listConversations(),
      (list) => list.some((c) => c.id === trip && !c.isMember),
      'bob is out of the group',
    );
    await expect(
      bob.forwardMessage({ conversationId: trip, messageId: inGroup.id, toConversationIds: [bobCarol] }),
    ).rejects.toMatchObject({ code: 'refused', message: 'forwarded_message_missing' });
    await expect(
      bob.forwardMessage({ conversationId: aliceBob, messageId: original.id, toConversationIds: [bobCarol, trip] }),
    ).rejects.toMatchObject({ code: 'refused', message: 'no_longer_member' });

    bobProxy.cut();
    await connection(bob, 'offline');
    const unsent = await bob.sendMessage({ conversationId: aliceBob, text: 'not on the server yet' });
    await expect(
      bob.forwardMessage({ conversationId: aliceBob, messageId: unsent.id, toConversationIds: [bobCarol] }),
    ).rejects.toMatchObject({ code: 'refused', message: 'forwarded_message_missing' });
    await expect(
      bob.forwardMessage({ conversationId: aliceBob, messageId: original.id, toConversationIds: ['no-such-conversation'] }),
    ).rejects.toMatchObject({ code: 'not_found' });
    // Nothing was queued by the refusals.
    expect((await messages(bob, bobCarol)).filter((m) => m.forwardedFrom !== null)).toEqual([]);
  }, 60_000);

  it('a forward the server refuses for its files fails at once: nothing to upload again, no resending round after round', async () => {
    const { alice, bob, bobProxy, bobTransport, aliceBob, bobCarol, original } = await threePeople();
    bobProxy.cut();
    await connection(bob, 'offline');
    const [copy] = await bob.forwardMessage({ conversationId: aliceBob, messageId: original.id, toConversationIds: [bobCarol] });
    const after = await bob.sendMessage({ conversationId: bobCarol, text: 'after the forward' });
    // Meanwhile Alice deletes the original for everyone: the server drops its reference to the
    // file, so by the time the forward arrives Bob may no longer refer to it (attachment_missing).
    await alice.deleteMessage({ conversationId: aliceBob, messageId: original.id });
    await eventually(
      () => alice.listOutbox(),
      (listing) => listing.total === 0,
      'the server has the delete',
    );
    const forwards: Array<Extract<ClientFrame, { type: 'send_envelope' }>> = [];
    bobTransport.fromClient = (frame) => {
      if (frame.type === 'send_envelope' && frame.clientId === copy!.id) forwards.push(frame);
      return 'pass';
    };
    bobProxy.restore();
    const failed = await messageWhere(bob, bobCarol, (m) => m.id === copy!.id && m.status === 'failed', 'the forward fails');
    expect(failed.error).toBe('attachment_missing');
    await messageWhere(bob, bobCarol, (m) => m.id === after.id && m.status !== 'sending', 'the next message still goes');
    // Sent once, naming the original's upload; refused, it is not sent again.
    const referred = readMirrorAttachments(bob.profileDir)
      .filter((row) => row.messageId === copy!.id)
      .map((row) => row.attachmentId);
    expect(referred).toHaveLength(1);
    expect(forwards.map((frame) => frame.attachments)).toEqual([referred]);
    expect(readMirrorAttachments(bob.profileDir).find((row) => row.messageId === copy!.id)?.uploadState).toBeNull();
  }, 60_000);
});
