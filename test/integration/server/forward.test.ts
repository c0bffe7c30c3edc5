import { afterEach, expect, it } from 'vitest';
import type { Attachment } from '../../../sync/protocol/attachments.js';
import type { Conversation, ForwardOf, MessageEvent, ServerFrame } from '../../../sync/protocol/frames.js';
import {
  createServerHarness,
  groupChange,
  groupOf,
  people,
  type ServerHarness,
  type TestServer,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import { attachmentOf, bearer, download, sendAttachments, testFile, uploadFile } from './attachment-support.js';

type Person = Awaited<ReturnType<typeof people<'x'>>>['x'];

/** The direct conversation of two people; both sockets have heard of it. */
async function direct(a: Person, b: Person): Promise<Conversation> {
  const { conversation } = await a.socket.call({ type: 'start_conversation', username: b.user.username }, 'conversation');
  await b.socket.waitForPush('conversation_added', (push) => push.conversation.id === conversation.id);
  return conversation;
}

function forward(
  who: Person,
  conversationId: string,
  clientMessageId: string,
  forwardOf: ForwardOf,
  body: { text?: string; attachments?: Attachment[] } = {},
): Promise<ServerFrame> {
  return who.socket.request({
    type: 'send',
    conversationId,
    clientMessageId,
    text: body.text ?? '',
    ...(body.attachments ? { attachments: body.attachments } : {}),
    forwardOf,
  });
}

function stored(reply: ServerFrame): MessageEvent {
  if (reply.type !== 'sent' || reply.event.kind !== 'message') throw new Error(`Expected sent, got ${JSON.stringify(reply)}`);
  return reply.event;
}

function refusal(reply: ServerFrame): { code: string; reason: string | undefined } {
  if (reply.type !== 'error') throw new Error(`Expected an error, got ${JSON.stringify(reply)}`);
  return { code: reply.code, reason: reply.reason };
}

/** Alice shares a file with Bob; Bob also talks to Carol, Carol to Dave. */
async function scene(h: ServerHarness, server: TestServer) {
  const who = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'mallory');
  const aliceBob = await direct(who.alice, who.bob);
  const bobCarol = await direct(who.bob, who.carol);
  const carolDave = await direct(who.carol, who.dave);
  const file = await testFile(await h.tempDir(), 4096);
  const uploadId = await uploadFile(server.httpUrl, who.alice.account.token, file);
  const original = await sendAttachments(who.alice.socket, aliceBob.id, 'a1', [attachmentOf(uploadId, file)], 'the report');
  return { ...who, aliceBob, bobCarol, carolDave, file, uploadId, original };
}

describeEachStore('forwarding', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('copies a message with its file by reference: the original author is named, and the new conversation may download it', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, bobCarol, aliceBob, file, uploadId, original } = await scene(h, server);
    const status = async (who: Person) => (await download(server.httpUrl, uploadId, bearer(who.account.token))).status;
    expect(await status(carol)).toBe(404);

    // Bob never uploaded (or even downloaded) the file: the forward refers to Alice's upload.
    const event = stored(
      await forward(
        bob,
        bobCarol.id,
        'f1',
        { conversationId: aliceBob.id, messageId: 'a1' },
        {
          text: original.text,
          attachments: original.attachments,
        },
      ),
    );
    expect(event).toMatchObject({
      conversationId: bobCarol.id,
      senderId: bob.user.id,
      text: 'the report',
      attachments: original.attachments,
      forwardedFrom: { name: 'Alice' },
      replyTo: null,
    });
    // Carol gets it pushed, and from catch-up (it is stored, not only relayed).
    const pushed = await carol.socket.waitForPush('event', (push) => push.event.conversationId === bobCarol.id);
    expect(pushed.event).toEqual(event);
    expect((await carol.socket.allEvents(bobCarol.id)).at(-1)).toEqual(event);

    const got = await download(server.httpUrl, uploadId, bearer(carol.account.token));
    expect(got.status).toBe(200);
    expect(got.bytes.equals(file.bytes)).toBe(true);

    // Deleting the original for everyone ends downloads through it, not through the forward
    // (Bob sees the file through both; the forward is his own message now).
    await alice.socket.change(aliceBob.id, 'd1', { kind: 'delete', messageId: 'a1' });
    expect([await status(alice), await status(bob), await status(carol)]).toEqual([404, 200, 200]);
  });

  it('a forward of a forward keeps the first author; a resend is answered with the same event', async () => {
    const server = await h.startServer();
    const { bob, carol, dave, aliceBob, bobCarol, carolDave, original } = await scene(h, server);
    const first = stored(
      await forward(
        bob,
        bobCarol.id,
        'f1',
        { conversationId: aliceBob.id, messageId: 'a1' },
        {
          text: original.text,
          attachments: original.attachments,
        },
      ),
    );
    const second = stored(
      await forward(
        carol,
        carolDave.id,
        'f2',
        { conversationId: bobCarol.id, messageId: first.clientMessageId },
        {
          text: first.text,
          attachments: first.attachments,
        },
      ),
    );
    expect(second.forwardedFrom).toEqual({ name: 'Alice' });
    expect((await download(server.httpUrl, original.attachments[0]!.id, bearer(dave.account.token))).status).toBe(200);

    const again = stored(
      await forward(
        carol,
        carolDave.id,
        'f2',
        { conversationId: bobCarol.id, messageId: first.clientMessageId },
        {
          text: first.text,
          attachments: first.attachments,
        },
      ),
    );
    expect(again).toEqual(second);
    expect((await dave.socket.allEvents(carolDave.id)).filter((e) => e.kind === 'message')).toHaveLength(1);
  });

  it('refuses a file the sender may not download, whatever message the forward names, and stores nothing', async () => {
    const server = await h.startServer();
    const { mallory, carol, bob, bobCarol, uploadId, original } = await scene(h, server);
    const malloryCarol = await direct(mallory, carol);
    await mallory.socket.send(malloryCarol.id, 'own', 'hello');
    const stolen = original.attachments;

    // A forward of her own message, carrying Alice's file (Mallory is in no conversation that has it).
    expect(
      refusal(
        await forward(
          mallory,
          malloryCarol.id,
          'f1',
          { conversationId: malloryCarol.id, messageId: 'own' },
          { attachments: stolen },
        ),
      ),
    ).toEqual({ code: 'invalid', reason: 'attachment_missing' });
    // A plain send still takes only the sender's own uploads, as before forwarding existed.
    expect(
      refusal(
        await mallory.socket.request({
          type: 'send',
          conversationId: malloryCarol.id,
          clientMessageId: 's1',
          text: '',
          attachments: stolen,
        }),
      ),
    ).toEqual({ code: 'invalid', reason: 'attachment_missing' });
    // Bob may download it (it is in his conversation with Alice) but a plain send is not a forward.
    expect(
      refusal(
        await bob.socket.request({
          type: 'send',
          conversationId: bobCarol.id,
          clientMessageId: 's2',
          text: '',
          attachments: stolen,
        }),
      ),
    ).toEqual({ code: 'invalid', reason: 'attachment_missing' });

    expect((await carol.socket.allEvents(malloryCarol.id)).map((e) => e.kind === 'message' && e.clientMessageId)).toEqual([
      'own',
    ]);
    expect((await carol.socket.allEvents(bobCarol.id)).filter((e) => e.kind === 'message')).toEqual([]);
    for (const who of [mallory, carol]) {
      expect((await download(server.httpUrl, uploadId, bearer(who.account.token))).status).toBe(404);
    }
  });

  it('refuses to forward a deleted message, one the sender cannot see, or one that does not exist', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, mallory, aliceBob, bobCarol, original } = await scene(h, server);
    await bob.socket.send(aliceBob.id, 'b1', 'plain text, soon deleted');
    await bob.socket.change(aliceBob.id, 'd1', { kind: 'delete', messageId: 'b1' });
    expect(
      refusal(await forward(bob, bobCarol.id, 'f1', { conversationId: aliceBob.id, messageId: 'b1' }, { text: 'x' })),
    ).toEqual({
      code: 'invalid',
      reason: 'message_deleted',
    });
    // Alice deletes her file message: Bob can no longer forward it, text or file.
    await alice.socket.change(aliceBob.id, 'd2', { kind: 'delete', messageId: 'a1' });
    expect(
      refusal(
        await forward(
          bob,
          bobCarol.id,
          'f2',
          { conversationId: aliceBob.id, messageId: 'a1' },
          {
            text: 'the report',
            attachments: original.attachments,
          },
        ),
      ),
    ).toEqual({ code: 'invalid', reason: 'message_deleted' });

    const malloryCarol = await direct(mallory, carol);
    // Not her conversation (exists or not: the same answer), or no such message.
    for (const source of [
      { conversationId: aliceBob.id, messageId: 'b1' },
      { conversationId: 'no-such-conversation', messageId: 'b1' },
      { conversationId: malloryCarol.id, messageId: 'nothing-here' },
    ]) {
      expect(
        refusal(await forward(mallory, malloryCarol.id, `f-${source.messageId}-${source.conversationId}`, source, { text: 'x' })),
      ).toEqual({
        code: 'invalid',
        reason: 'forwarded_message_missing',
      });
    }
    // The target is checked first, as for any send: a stranger learns nothing about the source.
    expect(
      refusal(await forward(mallory, aliceBob.id, 'f9', { conversationId: aliceBob.id, messageId: 'b1' }, { text: 'x' })),
    ).toEqual({
      code: 'not_found',
      reason: 'conversation_not_found',
    });
    expect((await carol.socket.allEvents(bobCarol.id)).filter((e) => e.kind === 'message')).toEqual([]);
  });

  it('in a group, only what the sender can see now: not from before they joined, not after they were removed', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const group = await groupOf(alice, [bob]);
    const carolDave = await direct(carol, dave);
    const bobDave = await direct(bob, dave);
    const file = await testFile(await h.tempDir(), 100);
    const id = await uploadFile(server.httpUrl, alice.account.token, file);
    const early = await sendAttachments(alice.socket, group.id, 'early', [attachmentOf(id, file)], 'before Carol');
    await groupChange(alice.socket, group.id, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] });
    await carol.socket.waitForPush('conversation_added', (push) => push.conversation.id === group.id);

    const source = { conversationId: group.id, messageId: 'early' };
    expect(
      refusal(await forward(carol, carolDave.id, 'f1', source, { text: early.text, attachments: early.attachments })),
    ).toEqual({
      code: 'invalid',
      reason: 'forwarded_message_missing',
    });
    stored(await forward(bob, bobDave.id, 'f2', source, { text: early.text, attachments: early.attachments }));
    await groupChange(alice.socket, group.id, 'remove-bob', { kind: 'remove_member', userId: bob.user.id });
    expect(refusal(await forward(bob, bobDave.id, 'f3', source, { text: early.text }))).toEqual({
      code: 'invalid',
      reason: 'forwarded_message_missing',
    });
    // What Bob forwarded while he could stays Dave's to download.
    expect((await download(server.httpUrl, id, bearer(dave.account.token))).status).toBe(200);
  });

  it('survives a restart: the forward and its author come back from the database', async () => {
    let server = await h.startServer();
    const { bob, bobCarol, aliceBob, original, carol } = await scene(h, server);
    const event = stored(
      await forward(bob, bobCarol.id, 'f1', { conversationId: aliceBob.id, messageId: 'a1' }, { text: 'no file this time' }),
    );
    expect(event.attachments).toEqual([]);
    expect(event.forwardedFrom).toEqual({ name: 'Alice' });
    expect(original.forwardedFrom).toBeUndefined();
    server = await h.restart(server);
    const socket = await h.connect(server, carol.account.token);
    expect((await socket.allEvents(bobCarol.id)).at(-1)).toEqual(event);
  });
});
