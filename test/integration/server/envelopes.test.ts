/**
 * Conversation envelopes over the sync socket (envelope-frames.ts, handlers/events.ts: sendEnvelope):
 * sealed content the server numbers in the conversation's log among its other events, pushes to the
 * members, serves in catch-up and keeps exactly once by the sender's client id, without reading it.
 * One that deletes another drops that one's ciphertext and the files it referred to.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { clientIdOf, type ConversationEvent } from '../../../sync/protocol/frames.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { block } from '../../support/blocking.js';
import {
  createGroup,
  createServerHarness,
  groupChange,
  groupOf,
  listedConversation,
  logIn,
  people,
  pushesAbout,
  type TestClient,
} from '../../support/server-harness.js';
import { RawSocket } from '../../support/raw-socket.js';
import { describeEachStore } from '../../support/store-backends.js';
import { devicesIfMember, devicesVersionOf } from '../../support/envelope-devices.js';
import { bearer, download, testFile, uploadFile } from './attachment-support.js';

const sealed = (bytes = 120) => randomBytes(bytes).toString('base64');

/** Sends an envelope and returns the server's reply (sent or error). */
async function sendEnvelope(
  socket: TestClient,
  conversationId: string,
  clientId: string,
  extra: { ciphertext?: string; attachments?: string[]; deletes?: string; after?: string; devicesVersion?: number } = {},
) {
  // Sealed for the devices now, as a client's would be (a pipelined one names its version itself: a probe would break the chain).
  const devicesVersion = extra.devicesVersion ?? (await devicesIfMember(socket, conversationId))?.version;
  return socket.request({
    type: 'send_envelope',
    conversationId,
    clientId,
    ciphertext: extra.ciphertext ?? sealed(),
    ...extra,
    ...(devicesVersion === undefined ? {} : { devicesVersion }),
  });
}

/** Like sendEnvelope, but fails unless the envelope was stored. */
async function stored(...args: Parameters<typeof sendEnvelope>): Promise<EnvelopeEvent> {
  const reply = await sendEnvelope(...args);
  if (reply.type !== 'sent' || reply.event.kind !== 'envelope') throw new Error(`Expected sent, got ${JSON.stringify(reply)}`);
  return reply.event;
}

const envelopesIn = (events: readonly ConversationEvent[]) =>
  events.filter((event): event is EnvelopeEvent => event.kind === 'envelope');

describeEachStore('conversation envelopes', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('stores an envelope with the next seq, its sender and device, and pushes it to every member’s connections', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const { conversation } = await alice.socket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    await bob.socket.waitForPush('conversation_added');
    const login = await logIn(server.httpUrl, alice.user.username, alice.account.password);
    const phone = await h.connect(server, (login.body as { token: string }).token);

    await alice.socket.send(conversation.id, 'm1', 'from the laptop');
    const ciphertext = sealed();
    const event = await stored(phone, conversation.id, 'e1', { ciphertext });
    expect(event).toEqual({
      kind: 'envelope',
      conversationId: conversation.id,
      seq: 2,
      senderId: alice.user.id,
      senderDevice: 2,
      clientId: 'e1',
      ciphertext,
      attachments: [],
      deleted: false,
      sentAt: expect.any(Number) as number,
      senderRole: 'member',
    });
    const toBob = await bob.socket.waitForPush('event', (push) => push.event.seq === 2);
    const toLaptop = await alice.socket.waitForPush('event', (push) => push.event.seq === 2);
    expect([toBob.event, toLaptop.event]).toEqual([event, event]);
  });

  it('attests the sender’s role as it was when the envelope was stored, in pushes and in catch-up, whatever came after', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const group = await createGroup(alice.socket, { memberIds: [bob.user.id] });
    const asMember = await stored(bob.socket, group.id, 'bob-1');
    await groupChange(alice.socket, group.id, 'make-admin', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    const asAdmin = await stored(bob.socket, group.id, 'bob-2');
    const byOwner = await stored(alice.socket, group.id, 'alice-1');
    await groupChange(alice.socket, group.id, 'unmake-admin', { kind: 'set_role', userId: bob.user.id, role: 'member' });
    await groupChange(alice.socket, group.id, 'alice-leaves', { kind: 'leave' });
    expect([asMember.senderRole, asAdmin.senderRole, byOwner.senderRole]).toEqual(['member', 'admin', 'owner']);
    // Read back from the store after all that: each as it was stored.
    const caughtUp = envelopesIn(await bob.socket.allEvents(group.id));
    expect(caughtUp.map((event) => [event.clientId, event.senderRole])).toEqual([
      ['bob-1', 'member'],
      ['bob-2', 'admin'],
      ['alice-1', 'owner'],
    ]);
  });

  it('answers a resend with the stored envelope and pushes nothing again; a client id used for another kind is refused', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const group = await groupOf(alice, [bob]);
    const first = await stored(alice.socket, group.id, 'e1');
    await bob.socket.waitForPush('event', (push) => push.event.seq === first.seq);
    const heardBefore = bob.socket.pushes.length;

    // Sent again (even with other content, as a retry after a lost reply would not be): the first one, as stored.
    expect(await sendEnvelope(alice.socket, group.id, 'e1')).toMatchObject({ type: 'sent', event: first });
    // Group changes share the sender's client ids with envelopes.
    const promoted = await groupChange(alice.socket, group.id, 'c1', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    const reused = [
      await sendEnvelope(alice.socket, group.id, 'c1'),
      await alice.socket.request({
        type: 'group_change',
        conversationId: group.id,
        clientChangeId: 'e1',
        change: { kind: 'set_role', userId: bob.user.id, role: 'member' },
      }),
    ];
    for (const reply of reused) expect(reply).toMatchObject({ type: 'error', ...REFUSALS.client_id_reused });
    await bob.socket.barrier();
    const eventsHeard = bob.socket.pushes.slice(heardBefore).flatMap((push) => (push.type === 'event' ? [push.event.seq] : []));
    expect(eventsHeard).toEqual([promoted.seq]);
    expect((await bob.socket.allEvents(group.id)).map((event) => event.kind)).toEqual([
      'group_created',
      'envelope',
      'role_changed',
    ]);
  });

  it('is hidden from whoever blocked its sender, and answers a message request as writing there does', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const { conversation } = await alice.socket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    await bob.socket.waitForPush('conversation_added');
    expect((await listedConversation(bob.socket, conversation.id))?.requestFrom).toBe(alice.user.id);
    await stored(bob.socket, conversation.id, 'b1');
    expect((await listedConversation(bob.socket, conversation.id))?.requestFrom).toBeUndefined();

    const group = await groupOf(alice, [bob, carol]);
    await block(carol.socket, alice.user.id);
    const [fromBob, fromCarol] = [bob.socket.pushes.length, carol.socket.pushes.length];
    await stored(alice.socket, conversation.id, 'a1');
    const inGroup = await stored(alice.socket, group.id, 'a2');
    await bob.socket.waitForPush('event', (push) => push.event.conversationId === group.id && push.event.seq === inGroup.seq);
    await carol.socket.barrier();
    expect(pushesAbout(carol.socket, group.id, fromCarol)).toEqual([]);
    expect(envelopesIn(await carol.socket.allEvents(group.id))).toEqual([]);
    expect(envelopesIn(await bob.socket.allEvents(group.id))).toEqual([inGroup]);

    await block(bob.socket, alice.user.id);
    await stored(alice.socket, conversation.id, 'a3');
    await bob.socket.barrier();
    expect(
      pushesAbout(bob.socket, conversation.id, fromBob).flatMap((push) =>
        push.type === 'event' ? [clientIdOf(push.event)] : [],
      ),
    ).toEqual(['a1']);
    expect(envelopesIn(await bob.socket.allEvents(conversation.id)).map((event) => event.clientId)).toEqual(['b1', 'a1']);
  });

  it('takes envelopes pipelined with `after` in order, and refuses one that follows a frame it did not handle', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    const devicesVersion = await devicesVersionOf(aliceSocket, conversation.id);
    const replies = await Promise.all([
      sendEnvelope(aliceSocket, conversation.id, 'e1', { devicesVersion }),
      sendEnvelope(aliceSocket, conversation.id, 'e2', { after: 'e1', devicesVersion }),
      sendEnvelope(aliceSocket, conversation.id, 'e3', { after: 'e2', devicesVersion }),
      sendEnvelope(aliceSocket, conversation.id, 'e4', { after: 'e3', devicesVersion }),
    ]);
    expect(replies.map((reply) => (reply.type === 'sent' ? reply.event.seq : reply.type))).toEqual([1, 2, 3, 4]);
    // e3 is no longer the last one handled.
    expect(await sendEnvelope(aliceSocket, conversation.id, 'e5', { after: 'e3', devicesVersion })).toMatchObject({
      type: 'error',
      code: 'out_of_order',
    });
  });

  it('refuses anyone not in the conversation as if it did not exist, and a former member from then on', async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    const group = await groupOf(alice, [bob]);
    expect(await sendEnvelope(mallory.socket, group.id, 'e1')).toMatchObject({
      type: 'error',
      ...REFUSALS.conversation_not_found,
    });
    await bob.socket.call(
      { type: 'group_change', conversationId: group.id, clientChangeId: 'leave', change: { kind: 'leave' } },
      'sent',
    );
    expect(await sendEnvelope(bob.socket, group.id, 'e2')).toMatchObject({ type: 'error', ...REFUSALS.conversation_not_found });
    expect(envelopesIn(await alice.socket.allEvents(group.id))).toEqual([]);
  });

  it('serves envelopes in catch-up in seq order, small and large, in parts too', async () => {
    const server = await h.startServer();
    const { bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    // Two of these are more than one part holds.
    const big = sealed(30_000);
    const e1 = await aliceSocket.send(conversation.id, 'e1', 'one');
    const e2 = await stored(aliceSocket, conversation.id, 'e2', { ciphertext: big });
    const e3 = await bobSocket.send(conversation.id, 'e3', 'three');
    const e4 = await stored(bobSocket, conversation.id, 'e4', { ciphertext: big });
    const log = await bobSocket.allEvents(conversation.id);
    expect(log).toEqual([e1, e2, e3, e4]);

    // Asked for in parts: the envelopes' ciphertext counts towards each part's size.
    const socket = await RawSocket.connect(server.url, bob.token);
    const frame = { type: 'catch_up', rid: 'page', conversationId: conversation.id, afterSeq: 0, inParts: true };
    const replies = (await socket.exchange([JSON.stringify(frame)])).map((reply) => reply.frame);
    expect(socket.violations).toEqual([]);
    await socket.close();
    expect(replies.map((reply) => reply.type)).toEqual(['events_part', 'events']);
    const parted = replies.flatMap((reply) => (reply.type === 'events_part' || reply.type === 'events' ? reply.events : []));
    expect(parted).toEqual(log);
  });

  it('deletes an envelope of one’s own for everyone: its ciphertext and files go, the row and its seq stay', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const group = await groupOf(alice, [bob, carol]);
    const file = await testFile(await h.tempDir(), 512);
    const uploadId = await uploadFile(server.httpUrl, alice.account.token, file);

    const e1 = await stored(alice.socket, group.id, 'e1', { attachments: [uploadId] });
    expect(e1.attachments).toEqual([uploadId]);
    expect((await download(server.httpUrl, uploadId, bearer(bob.account.token))).status).toBe(200);

    expect(await sendEnvelope(bob.socket, group.id, 'b1', { deletes: 'e1' })).toMatchObject({
      type: 'error',
      ...REFUSALS.not_author,
    });
    expect(await sendEnvelope(alice.socket, group.id, 'x1', { deletes: 'nothing' })).toMatchObject({
      type: 'error',
      ...REFUSALS.no_such_message,
    });
    const e2 = await stored(alice.socket, group.id, 'e2', { deletes: 'e1' });
    expect(e2.seq).toBe(e1.seq + 1);
    expect(await sendEnvelope(alice.socket, group.id, 'e3', { deletes: 'e1' })).toMatchObject({
      type: 'error',
      ...REFUSALS.already_deleted,
    });

    for (const reader of [bob.socket, carol.socket, alice.socket]) {
      // Its attested role goes with what it said: nothing is left to judge.
      expect(envelopesIn(await reader.allEvents(group.id))).toEqual([
        { ...e1, ciphertext: '', attachments: [], deleted: true, senderRole: undefined },
        e2,
      ]);
    }
    // A resend of the deleted one answers it as it is now.
    expect(await sendEnvelope(alice.socket, group.id, 'e1')).toMatchObject({
      type: 'sent',
      event: { clientId: 'e1', ciphertext: '', deleted: true },
    });
    expect((await download(server.httpUrl, uploadId, bearer(bob.account.token))).status).toBe(404);
  });

  it('refers only to finished uploads of the sender’s or files they may download already, which members then download', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const withBob = await groupOf(alice, [bob]);
    const withCarol = await groupOf(bob, [carol]);
    const dir = await h.tempDir();
    const [shared, private_] = [await testFile(dir, 100), await testFile(dir, 200)];
    const sharedId = await uploadFile(server.httpUrl, alice.account.token, shared);
    const privateId = await uploadFile(server.httpUrl, alice.account.token, private_);
    await stored(alice.socket, withBob.id, 'm1', { attachments: [sharedId] });

    // Not Bob's, and not one he may download: refused. Nor an id nobody uploaded.
    for (const attachments of [[privateId], ['0'.repeat(32)], [sharedId, privateId]]) {
      expect(
        await sendEnvelope(bob.socket, withCarol.id, `bad-${attachments.length}-${attachments[0]}`, { attachments }),
      ).toMatchObject({
        type: 'error',
        ...REFUSALS.attachment_missing,
      });
    }
    expect((await download(server.httpUrl, sharedId, bearer(carol.account.token))).status).toBe(404);
    // One he may download (Alice sent it to him): forwarded by reference, and Carol may download it now.
    await stored(bob.socket, withCarol.id, 'fwd', { attachments: [sharedId] });
    const got = await download(server.httpUrl, sharedId, bearer(carol.account.token));
    expect(got.status).toBe(200);
    expect(got.bytes.equals(shared.bytes)).toBe(true);
  });
});
