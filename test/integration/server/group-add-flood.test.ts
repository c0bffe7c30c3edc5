/**
 * Issue 30, group-add flood: anyone can put anyone into full groups, and the conversation list
 * grows with them. A person in 200 groups of 1,000 members gets the list page by page, each frame
 * well under what a client accepts, and can still write in a group and leave one.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { Conversation } from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { seedGroupFlood } from '../../support/group-flood.js';
import { createServerHarness, groupChange, groupOf, people, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const GROUPS = 200;

/** Every page of the caller's list (of `limit` at most), as the frames came. */
async function listPages(
  socket: TestClient,
  limit?: number,
): Promise<Array<{ conversations: Conversation[]; next?: string; bytes: number }>> {
  const pages = [];
  let after: string | undefined;
  do {
    const reply = await socket.call(
      { type: 'list_conversations', ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) },
      'conversations',
      30_000,
    );
    pages.push({ ...reply, bytes: Buffer.byteLength(JSON.stringify(reply)) });
    after = reply.next;
  } while (after !== undefined);
  return pages;
}

describeEachStore('group-add flood', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('lists 200 groups of 1,000 members page by page, each frame under the limit; the person writes in one and leaves one', async () => {
    const server = await h.startServer();
    const victim = await h.createAccount(server);
    const store = await server.database!.open();
    const groupIds = await seedGroupFlood(store, victim.user.id, { groups: GROUPS }).finally(() => store.close());
    const socket = await h.connect(server, victim.token);

    const pages = await listPages(socket);
    for (const page of pages) {
      expect(page.bytes).toBeLessThan(LIMITS.maxServerFrameBytes);
      expect(page.conversations.length).toBeGreaterThan(0);
    }
    expect(pages.length).toBeGreaterThan(1);
    const listed = pages.flatMap((page) => page.conversations);
    expect(listed.map((conversation) => conversation.id)).toEqual(groupIds);
    for (const conversation of listed) {
      expect(conversation.members).toHaveLength(LIMITS.maxGroupMembers);
      expect(conversation.members.some((member) => member.id === victim.user.id)).toBe(true);
    }

    const target = groupIds[123]!;
    const sent = await socket.send(target, randomUUID(), 'Please stop adding me');
    expect(sent.seq).toBe(2);
    const left = await groupChange(socket, groupIds[7]!, randomUUID(), { kind: 'leave' });
    expect(left).toMatchObject({ kind: 'member_left', senderId: victim.user.id });

    const after = (await listPages(socket)).flatMap((page) => page.conversations);
    expect(after.map((conversation) => conversation.id)).toEqual(groupIds);
    expect(after.find((conversation) => conversation.id === groupIds[7])).toMatchObject({ isMember: false, members: [] });
    expect(after.find((conversation) => conversation.id === target)!.lastSeq).toBe(2);
  }, 180_000);

  it('pages through direct conversations, groups and groups left alike: each once, in id order, `limit` at a time', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const directs = [];
    for (const other of [bob, carol, dave]) {
      directs.push(
        (await alice.socket.call({ type: 'start_conversation', username: other.user.username }, 'conversation')).conversation,
      );
    }
    const groups = [await groupOf(bob, [alice, carol]), await groupOf(carol, [alice]), await groupOf(dave, [alice])];
    await groupChange(alice.socket, groups[1]!.id, randomUUID(), { kind: 'leave' });
    const everything = [...directs, ...groups].map((conversation) => conversation.id);

    const pages = await listPages(alice.socket, 2);
    expect(pages.map((page) => page.conversations.length)).toEqual([2, 2, 2]);
    expect(pages.at(-1)!.next).toBeUndefined();
    const listed = pages.flatMap((page) => page.conversations);
    const ids = listed.map((conversation) => conversation.id);
    expect(ids).toEqual([...everything].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(listed.find((conversation) => conversation.id === groups[1]!.id)).toMatchObject({ isMember: false, members: [] });
    expect(listed.find((conversation) => conversation.id === groups[0]!.id)!.members.map((member) => member.id)).toEqual([
      bob.user.id,
      alice.user.id,
      carol.user.id,
    ]);
    // One page of everything says as much as the pages together.
    const whole = await listPages(alice.socket);
    expect(whole).toHaveLength(1);
    expect(whole[0]!.conversations).toEqual(listed);
  });
});
