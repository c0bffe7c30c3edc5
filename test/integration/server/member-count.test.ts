/**
 * Issue 30, group-add flood: a page of the conversation list is cut by the members of its
 * conversations, read from a count each conversation keeps (conversations.member_count) rather than
 * counted anew. The count must follow every change to who is in a conversation, on both stores.
 */
import { afterEach, expect, it } from 'vitest';
import { MEMBER_COUNT_MISMATCHES, memberCountProblems, type MemberCountMismatch } from '../../support/db-invariants.js';
import { createServerHarness, groupChange, groupOf, people, type TestServer } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('stored member counts', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  async function memberCount(server: TestServer, conversationId: string): Promise<number> {
    const rows = await server.database!.query<{ member_count: number }>(
      `SELECT member_count FROM conversations WHERE id = '${conversationId}'`,
    );
    return rows[0]!.member_count;
  }

  async function mismatches(server: TestServer): Promise<string[]> {
    return memberCountProblems(await server.database!.query<MemberCountMismatch>(MEMBER_COUNT_MISMATCHES));
  }

  it('follows creation, additions, removal, leaving and re-adding, for direct conversations and groups', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave, erin } = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'erin');
    const direct = (await alice.socket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation'))
      .conversation;
    expect(await memberCount(server, direct.id)).toBe(2);

    const group = await groupOf(alice, [bob, carol]);
    const counts: number[] = [await memberCount(server, group.id)];
    await groupChange(alice.socket, group.id, 'add-dave-erin', { kind: 'add_members', userIds: [dave.user.id, erin.user.id] });
    counts.push(await memberCount(server, group.id));
    await groupChange(alice.socket, group.id, 'rm-dave', { kind: 'remove_member', userId: dave.user.id });
    counts.push(await memberCount(server, group.id));
    await groupChange(bob.socket, group.id, 'bob-leaves', { kind: 'leave' });
    counts.push(await memberCount(server, group.id));
    await groupChange(alice.socket, group.id, 'add-back', { kind: 'add_members', userIds: [dave.user.id, bob.user.id] });
    counts.push(await memberCount(server, group.id));
    // The owner leaving hands the group on; she is counted out like anyone else.
    await groupChange(alice.socket, group.id, 'alice-leaves', { kind: 'leave' });
    counts.push(await memberCount(server, group.id));

    expect(counts).toEqual([3, 5, 4, 3, 5, 4]);
    expect(await memberCount(server, direct.id)).toBe(2);
    expect(await mismatches(server)).toEqual([]);
  });
});
