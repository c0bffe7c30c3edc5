import { afterEach, expect, it } from 'vitest';
import type { LinkPreview } from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { createGroup, createServerHarness, groupChange, messagesIn } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('pins', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('are events with their own seq: both people of a direct conversation pin and unpin, pushed and served in catch-up', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'the address');
    await bobSocket.send(conversation.id, 'm2', 'the time');

    const pin = await bobSocket.change(conversation.id, 'p1', { kind: 'pin', messageId: 'm1', on: true });
    expect(pin).toMatchObject({ kind: 'pin', seq: 3, senderId: bob.user.id, clientChangeId: 'p1', messageId: 'm1', on: true });
    expect((await aliceSocket.waitForPush('event', (p) => p.event.seq === 3)).event).toEqual(pin);
    const own = await aliceSocket.change(conversation.id, 'p2', { kind: 'pin', messageId: 'm2', on: true });
    const unpin = await aliceSocket.change(conversation.id, 'p3', { kind: 'pin', messageId: 'm1', on: false });
    expect(unpin).toMatchObject({ seq: 5, senderId: alice.user.id, on: false });

    // A resend is answered with the original and stores nothing.
    expect(
      await aliceSocket.call(
        {
          type: 'change',
          conversationId: conversation.id,
          clientChangeId: 'p2',
          change: { kind: 'pin', messageId: 'm2', on: true },
        },
        'sent',
      ),
    ).toMatchObject({ event: own });
    const events = await bobSocket.allEvents(conversation.id);
    expect(events.map((e) => [e.seq, e.kind])).toEqual([
      [1, 'message'],
      [2, 'message'],
      [3, 'pin'],
      [4, 'pin'],
      [5, 'pin'],
    ]);
    expect(events.slice(2)).toEqual([pin, own, unpin]);
    // Still there after a restart (the row reads back as the same event).
    const again = await h.restart(server);
    const bobAgain = await h.connect(again, bob.token);
    expect((await bobAgain.allEvents(conversation.id)).slice(2)).toEqual([pin, own, unpin]);
  });

  it('are refused for a message that is not there, and pinning a deleted one; unpinning a deleted one is harmless', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'soon gone');
    const pin = (messageId: string, on: boolean, id: string) =>
      bobSocket.request({
        type: 'change',
        conversationId: conversation.id,
        clientChangeId: id,
        change: { kind: 'pin', messageId, on },
      });
    expect(await pin('nothing', true, 'x1')).toMatchObject({ type: 'error', ...REFUSALS.no_such_message });
    expect(await pin('m1', true, 'x2')).toMatchObject({ type: 'sent', event: { seq: 2 } });
    await aliceSocket.change(conversation.id, 'd1', { kind: 'delete', messageId: 'm1' });
    expect(await pin('m1', true, 'x3')).toMatchObject({ type: 'error', ...REFUSALS.message_deleted });
    expect(await pin('m1', false, 'x4')).toMatchObject({ type: 'sent', event: { seq: 4, on: false } });
  });

  it('in a group: owner and admins pin, a member is not allowed, and one who joined later cannot pin what came before', async () => {
    const server = await h.startServer();
    const [owner, admin, member, late] = await Promise.all([1, 2, 3, 4].map(() => h.createAccount(server)));
    const [ownerSocket, adminSocket, memberSocket, lateSocket] = await Promise.all(
      [owner!, admin!, member!, late!].map((account) => h.connect(server, account.token)),
    );
    const group = await createGroup(ownerSocket!, { name: 'Pins', memberIds: [admin!.user.id, member!.user.id] });
    await groupChange(ownerSocket!, group.id, 'r1', { kind: 'set_role', userId: admin!.user.id, role: 'admin' });
    await memberSocket!.send(group.id, 'm1', 'pin me');
    expect(await ownerSocket!.change(group.id, 'o-pin', { kind: 'pin', messageId: 'm1', on: true })).toMatchObject({
      kind: 'pin',
    });
    expect(await adminSocket!.change(group.id, 'a-pin', { kind: 'pin', messageId: 'm1', on: false })).toMatchObject({
      on: false,
    });
    expect(
      await memberSocket!.request({
        type: 'change',
        conversationId: group.id,
        clientChangeId: 'm-pin',
        change: { kind: 'pin', messageId: 'm1', on: true },
      }),
    ).toMatchObject({ type: 'error', ...REFUSALS.not_allowed });
    await groupChange(ownerSocket!, group.id, 'add-late', { kind: 'add_members', userIds: [late!.user.id] });
    await groupChange(ownerSocket!, group.id, 'r2', { kind: 'set_role', userId: late!.user.id, role: 'admin' });
    expect(
      await lateSocket!.request({
        type: 'change',
        conversationId: group.id,
        clientChangeId: 'l-pin',
        change: { kind: 'pin', messageId: 'm1', on: true },
      }),
    ).toMatchObject({ type: 'error', ...REFUSALS.no_such_message });
  });
});

describeEachStore('link previews', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  const preview: LinkPreview = {
    url: 'https://example.com/page',
    title: 'Example <b>page</b>',
    description: 'An example',
    image: `data:image/jpeg;base64,${'A'.repeat(LIMITS.maxLinkPreviewImageChars - 100)}`,
  };

  it('travel with the message (reply, push, catch-up), and are gone once it is deleted', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const { event } = await aliceSocket.call(
      {
        type: 'send',
        conversationId: conversation.id,
        clientMessageId: 'm1',
        text: 'look https://example.com/page',
        linkPreview: preview,
      },
      'sent',
    );
    expect(event).toMatchObject({ kind: 'message', linkPreview: preview });
    expect((await bobSocket.waitForPush('event', (p) => p.event.seq === 1)).event).toEqual(event);
    expect(messagesIn(await bobSocket.allEvents(conversation.id))[0]).toEqual(event);
    // Without one, the message has none.
    expect(await aliceSocket.send(conversation.id, 'm2', 'no link')).not.toHaveProperty('linkPreview');

    await aliceSocket.change(conversation.id, 'd1', { kind: 'delete', messageId: 'm1' });
    const [deleted] = messagesIn(await bobSocket.allEvents(conversation.id));
    expect(deleted).toMatchObject({ deleted: true, text: '' });
    expect(deleted).not.toHaveProperty('linkPreview');
  });

  it('count in the catch-up byte budget: pages of messages with large previews stay under it', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const text = 'x'.repeat(LIMITS.maxMessageChars);
    const count = 40;
    for (let i = 0; i < count; i += 1) {
      await aliceSocket.call(
        { type: 'send', conversationId: conversation.id, clientMessageId: `p-${i}`, text, linkPreview: preview },
        'sent',
      );
    }
    const pages: number[][] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await bobSocket.call(
        { type: 'catch_up', conversationId: conversation.id, afterSeq, limit: LIMITS.maxCatchUpPage },
        'events',
      );
      expect(JSON.stringify(page).length).toBeLessThan(LIMITS.maxCatchUpBytes);
      pages.push(page.events.map((e) => e.seq));
      if (!page.hasMore) break;
      afterSeq = page.events.at(-1)!.seq;
    }
    // 40 × (10,000 × 3 + 24,000 × 3) bytes by the estimate is past 2 MiB: more than one page.
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat()).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });
});
