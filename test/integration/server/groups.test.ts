/**
 * Groups on the real server (issue 7): creating groups and direct conversations under client-chosen
 * ids, roles and what each may change about who is in a group, succession when the owner leaves,
 * fan-out of one stored event to every device of every member, and idempotent group changes. A
 * group's name is sealed content the server never holds (rules.ts on the client judges renames).
 * What a member may see over time (joining late, removal, re-adding) is in group-visibility.test.ts.
 */
import { afterEach, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import type { Conversation, GroupChange, Role, User } from '../../../sync/protocol/frames.js';
import {
  createGroup,
  createServerHarness,
  groupOf,
  people,
  groupChange,
  listedConversation,
  newGroupId,
  pushesAbout,
  visibleLog,
  withoutRid,
  type FrameRequest,
  type TestClient,
  type TestServer,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/** A member as `conversation.members` lists them: the user, their role, any watermarks. */
function member(user: User, role: Role): unknown {
  return expect.objectContaining({ ...user, role });
}

/** Any server time. */
const anyTime: unknown = expect.any(Number);

async function lastSeqOf(client: TestClient, conversationId: string): Promise<number> {
  const conversation = await listedConversation(client, conversationId);
  if (!conversation) throw new Error(`${conversationId} is not listed`);
  return conversation.lastSeq;
}

async function refusal(client: TestClient, frame: FrameRequest) {
  return client.call(frame, 'error');
}

describeEachStore('creating a group', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers the group without a name, the creator first as owner and the members in order, lastSeq 1', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const id = newGroupId();
    const { conversation } = await alice.socket.call(
      {
        type: 'create_conversation',
        conversationId: id,
        conversation: { kind: 'group', memberIds: [carol.user.id, bob.user.id] },
      },
      'conversation',
    );
    expect(conversation).toMatchObject({ id, kind: 'group', name: null, lastSeq: 1, isMember: true });
    expect(conversation.members).toEqual([member(alice.user, 'owner'), member(carol.user, 'member'), member(bob.user, 'member')]);
  });

  it('keeps no name a creation carries in the clear (as an app from before sealed names sent it): none is answered, stored or listed', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const id = newGroupId();
    // This version's types know no name there: the frame is as an older app would send it.
    const inTheClear = {
      type: 'create_conversation',
      conversationId: id,
      conversation: { kind: 'group', name: 'Trip to Rome', memberIds: [bob.user.id] },
    } as unknown as FrameRequest;
    const { conversation } = await alice.socket.call(inTheClear, 'conversation');
    expect(conversation).toMatchObject({ id, name: null, lastSeq: 1 });
    expect((await bob.socket.waitForPush('conversation_added', (p) => p.conversation.id === id)).conversation.name).toBeNull();
    expect(await listedConversation(bob.socket, id)).toMatchObject({ name: null });
    const [created] = (await visibleLog(bob.socket, id)).events;
    expect(created).toMatchObject({ kind: 'group_created', name: null });
    expect(JSON.stringify(await bob.socket.allEvents(id))).not.toContain('Rome');
  });

  it('stores group_created as seq 1, naming the members with roles, creator first, and no name', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob, carol]);
    const page = await bob.socket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'events');
    expect(page.hasMore).toBe(false);
    expect(page.skippedTo).toBeUndefined();
    expect(page.events).toEqual([
      {
        kind: 'group_created',
        conversationId: conversation.id,
        seq: 1,
        senderId: alice.user.id,
        sentAt: anyTime,
        name: null,
        members: [
          { ...alice.user, role: 'owner' },
          { ...bob.user, role: 'member' },
          { ...carol.user, role: 'member' },
        ],
      },
    ]);
    expect(page.users).toEqual(expect.arrayContaining([alice.user, bob.user, carol.user]));
    // The creator, who has the reply, reads the same log.
    expect((await visibleLog(alice.socket, conversation.id)).events).toEqual(page.events);
  });

  it("pushes conversation_added to every member's connections and the creator's other devices, not to the requester or outsiders", async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const alicePhone = await h.connect(server, alice.account.token);
    const bobLaptop = await h.connect(server, bob.account.token);
    const conversation = await createGroup(alice.socket, { memberIds: [bob.user.id, carol.user.id] });
    const push = await alicePhone.waitForPush('conversation_added', (p) => p.conversation.id === conversation.id);
    expect(push.conversation).toEqual(conversation);
    // Alice is nobody's contact: to the others it is a message request from her (request-rules.ts).
    const asRequest = { ...conversation, requestFrom: alice.user.id };
    for (const socket of [bob.socket, bobLaptop, carol.socket]) {
      const push = await socket.waitForPush('conversation_added', (p) => p.conversation.id === conversation.id);
      expect(push.conversation).toEqual(asRequest);
    }
    await Promise.all([alice.socket.barrier(), dave.socket.barrier()]);
    expect(pushesAbout(alice.socket, conversation.id)).toEqual([]);
    expect(pushesAbout(dave.socket, conversation.id)).toEqual([]);
    // Each member lists it; the outsider does not.
    expect(await listedConversation(carol.socket, conversation.id)).toEqual(asRequest);
    expect(await listedConversation(dave.socket, conversation.id)).toBeUndefined();
  });

  it('ignores duplicates and the creator among memberIds', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await createGroup(alice.socket, {
      memberIds: [bob.user.id, alice.user.id, bob.user.id, carol.user.id, carol.user.id],
    });
    expect(conversation.members).toEqual([member(alice.user, 'owner'), member(bob.user, 'member'), member(carol.user, 'member')]);
    const [created] = (await visibleLog(alice.socket, conversation.id)).events;
    expect(created).toMatchObject({
      kind: 'group_created',
      members: [{ id: alice.user.id }, { id: bob.user.id }, { id: carol.user.id }],
    });
  });

  it('creates a group of the creator alone', async () => {
    const server = await h.startServer();
    const { alice } = await people(h, server, 'alice');
    const conversation = await createGroup(alice.socket, { memberIds: [] });
    expect(conversation).toMatchObject({ kind: 'group', lastSeq: 1, isMember: true });
    expect(conversation.members).toEqual([member(alice.user, 'owner')]);
  });

  it('is idempotent for its creator: asking again answers the group as it is now, stores and pushes nothing', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob]);
    await groupChange(alice.socket, conversation.id, 'admin-bob', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    await bob.socket.barrier();
    const bobPushes = bob.socket.pushes.length;

    // The retry of the creation (as an outbox would send it), with other first members than it had.
    const again = await alice.socket.call(
      {
        type: 'create_conversation',
        conversationId: conversation.id,
        conversation: { kind: 'group', memberIds: [bob.user.id, carol.user.id] },
      },
      'conversation',
    );
    expect(again.conversation).toMatchObject({ id: conversation.id, kind: 'group', lastSeq: 2, isMember: true });
    expect(again.conversation.members).toEqual([member(alice.user, 'owner'), member(bob.user, 'admin')]);
    await Promise.all([bob.socket.barrier(), carol.socket.barrier()]);
    expect(bob.socket.pushes.slice(bobPushes)).toEqual([]);
    expect(pushesAbout(carol.socket, conversation.id)).toEqual([]);
    expect(await lastSeqOf(alice.socket, conversation.id)).toBe(2);
    expect(await listedConversation(carol.socket, conversation.id)).toBeUndefined();
  });

  it('answers its creator who has since left with the group as a former member sees it', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const conversation = await groupOf(alice, [bob]);
    await groupChange(alice.socket, conversation.id, 'alice-leaves', { kind: 'leave' });
    // The retry of the creation (its first answer lost) must not turn into a failure.
    const again = await alice.socket.request({
      type: 'create_conversation',
      conversationId: conversation.id,
      conversation: { kind: 'group', memberIds: [bob.user.id] },
    });
    expect(again).toMatchObject({
      type: 'conversation',
      conversation: { id: conversation.id, kind: 'group', name: null, members: [], lastSeq: 2, isMember: false },
    });
    expect(await lastSeqOf(bob.socket, conversation.id)).toBe(2);
  });

  it('refuses anyone else reusing a group id, member or not: conflict, conversation_id_taken, and changes nothing', async () => {
    const server = await h.startServer();
    const { alice, bob, dave } = await people(h, server, 'alice', 'bob', 'dave');
    const conversation = await groupOf(alice, [bob]);
    for (const who of [bob, dave]) {
      const reply = await refusal(who.socket, {
        type: 'create_conversation',
        conversationId: conversation.id,
        conversation: { kind: 'group', memberIds: [] },
      });
      expect(reply).toMatchObject({ code: 'conflict', reason: 'conversation_id_taken' });
    }
    const listed = await listedConversation(alice.socket, conversation.id);
    expect(listed).toMatchObject({ lastSeq: 1 });
    expect(listed!.members.map((m) => m.id)).toEqual([alice.user.id, bob.user.id]);
    expect(await listedConversation(dave.socket, conversation.id)).toBeUndefined();
  });

  it('refuses a group id shaped like a direct one: invalid, bad_conversation_id', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    for (const conversationId of ['dm-my-group', directConversationId(alice.user.id, bob.user.id)]) {
      const reply = await refusal(alice.socket, {
        type: 'create_conversation',
        conversationId,
        conversation: { kind: 'group', memberIds: [bob.user.id] },
      });
      expect(reply).toMatchObject({ code: 'invalid', reason: 'bad_conversation_id' });
    }
    const { conversations } = await alice.socket.call({ type: 'list_conversations' }, 'conversations');
    expect(conversations).toEqual([]);
  });

  it('answers not_found, no_such_user, for an unknown member, and creates nothing', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const id = newGroupId();
    const reply = await refusal(alice.socket, {
      type: 'create_conversation',
      conversationId: id,
      conversation: { kind: 'group', memberIds: [bob.user.id, 'no-such-user-id'] },
    });
    expect(reply).toMatchObject({ code: 'not_found', reason: 'no_such_user' });
    const after = await refusal(alice.socket, { type: 'catch_up', conversationId: id, afterSeq: 0 });
    expect(after).toMatchObject({ code: 'not_found', reason: 'conversation_not_found' });
    await bob.socket.barrier();
    expect(pushesAbout(bob.socket, id)).toEqual([]);
    // The id is still free: the same creation with real members works.
    const created = await createGroup(alice.socket, { id, memberIds: [bob.user.id] });
    expect(created.lastSeq).toBe(1);
  });

  it('refuses more members than the server allows: invalid, too_many_members', async () => {
    const server = await h.startServer({ maxGroupMembers: 3 });
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const id = newGroupId();
    const tooMany = await refusal(alice.socket, {
      type: 'create_conversation',
      conversationId: id,
      conversation: { kind: 'group', memberIds: [bob.user.id, carol.user.id, dave.user.id] },
    });
    expect(tooMany).toMatchObject({ code: 'invalid', reason: 'too_many_members' });
    expect(await refusal(alice.socket, { type: 'catch_up', conversationId: id, afterSeq: 0 })).toMatchObject({
      code: 'not_found',
    });
    // Exactly the limit, the creator included, is fine.
    const full = await createGroup(alice.socket, { id, memberIds: [bob.user.id, carol.user.id] });
    expect(full.members).toHaveLength(3);
    // Duplicates and the creator among memberIds do not count.
    const deduplicated = await createGroup(alice.socket, {
      memberIds: [bob.user.id, bob.user.id, alice.user.id, dave.user.id],
    });
    expect(deduplicated.members.map((m) => m.id)).toEqual([alice.user.id, bob.user.id, dave.user.id]);
  });
});

describeEachStore('catch-up of a group', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('names in users everyone the page’s events name: senders, people added, removed, given a role, made owner', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave, erin } = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'erin');
    const { id } = await groupOf(alice, [bob, carol, dave]);
    await groupChange(alice.socket, id, 'admin-bob', { kind: 'set_role', userId: bob.user.id, role: 'admin' }); // 2
    await groupChange(alice.socket, id, 'rm-dave', { kind: 'remove_member', userId: dave.user.id }); // 3
    await groupChange(bob.socket, id, 'add-erin', { kind: 'add_members', userIds: [erin.user.id] }); // 4
    await groupChange(alice.socket, id, 'alice-leaves', { kind: 'leave' }); // 5, bob becomes owner
    const named = async (afterSeq: number, limit: number) => {
      const page = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq, limit }, 'events');
      return page.users.map((user) => user.id).sort();
    };
    // role_changed: alice set bob's role.
    expect(await named(1, 1)).toEqual([alice.user.id, bob.user.id].sort());
    // member_removed: alice removed dave.
    expect(await named(2, 1)).toEqual([alice.user.id, dave.user.id].sort());
    // members_added: bob added erin.
    expect(await named(3, 1)).toEqual([bob.user.id, erin.user.id].sort());
    // member_left: alice left, bob is the new owner.
    expect(await named(4, 1)).toEqual([alice.user.id, bob.user.id].sort());
    const page = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: 0 }, 'events');
    expect(page.users).toEqual(expect.arrayContaining([alice.user, bob.user, carol.user, dave.user, erin.user]));
    expect(page.users).toHaveLength(5);
  });
});

describeEachStore('groups across a restart', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('keeps members in join order, roles, former members and what each may see', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const { id } = await groupOf(alice, [dave, bob, carol]);
    await groupChange(alice.socket, id, 'admin-carol', { kind: 'set_role', userId: carol.user.id, role: 'admin' });
    await groupChange(alice.socket, id, 'rm-dave', { kind: 'remove_member', userId: dave.user.id });
    await alice.socket.send(id, 'while-away', 'dave is away');
    await groupChange(alice.socket, id, 'add-dave', { kind: 'add_members', userIds: [dave.user.id] });
    await carol.socket.send(id, 'kept', 'after dave came back');
    const views = async (target: TestServer, who: Record<'alice' | 'bob' | 'carol' | 'dave', { token: string }>) => {
      const result: Record<string, unknown> = {};
      for (const [name, account] of Object.entries(who)) {
        const socket = await h.connect(target, account.token);
        result[name] = {
          listed: await listedConversation(socket, id),
          log: await visibleLog(socket, id),
          fromRemoval: await visibleLog(socket, id, 3),
        };
        await socket.close();
      }
      return result;
    };
    const accounts = { alice: alice.account, bob: bob.account, carol: carol.account, dave: dave.account };
    const before = await views(server, accounts);
    expect((before.dave as { fromRemoval: { skips: number[] } }).fromRemoval.skips).toEqual([4]);
    const restarted = await h.restart(server);
    expect(await views(restarted, accounts)).toEqual(before);
    const listed = (before.bob as { listed: Conversation }).listed;
    expect(listed).toMatchObject({ lastSeq: 6 });
    expect(listed.members).toEqual([
      member(alice.user, 'owner'),
      member(bob.user, 'member'),
      member(carol.user, 'admin'),
      member(dave.user, 'member'),
    ]);
    // Succession after the restart still goes by join order: carol (the admin), then bob before dave.
    const socket = await h.connect(restarted, alice.account.token);
    expect(await groupChange(socket, id, 'alice-leaves', { kind: 'leave' })).toMatchObject({ newOwnerId: carol.user.id });
  });
});

describeEachStore('creating a direct conversation', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('creates it under the id derived from the pair; the other person hears of it', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const id = directConversationId(alice.user.id, bob.user.id);
    const { conversation } = await alice.socket.call(
      { type: 'create_conversation', conversationId: id, conversation: { kind: 'direct', userId: bob.user.id } },
      'conversation',
    );
    expect(conversation).toMatchObject({ id, kind: 'direct', name: null, lastSeq: 0, isMember: true });
    expect(conversation.members).toEqual([member(alice.user, 'member'), member(bob.user, 'member')]);
    const push = await bob.socket.waitForPush('conversation_added', (p) => p.conversation.id === id);
    // Started by Alice: a message request to Bob (request-rules.ts).
    expect(push.conversation).toEqual({ ...conversation, requestFrom: alice.user.id });
    // A direct conversation has no creation event.
    expect((await visibleLog(bob.socket, id)).events).toEqual([]);
  });

  it('answers the same conversation to either person asking again, and start_conversation uses the derived id too', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const id = directConversationId(alice.user.id, bob.user.id);
    const first = await alice.socket.call(
      { type: 'create_conversation', conversationId: id, conversation: { kind: 'direct', userId: bob.user.id } },
      'conversation',
    );
    await alice.socket.send(id, 'm1', 'hello');
    const fromBob = await bob.socket.call(
      { type: 'create_conversation', conversationId: id, conversation: { kind: 'direct', userId: alice.user.id } },
      'conversation',
    );
    expect(fromBob.conversation).toMatchObject({ id, kind: 'direct', lastSeq: 1 });
    expect(fromBob.conversation.members.map((m) => m.id)).toEqual(first.conversation.members.map((m) => m.id));
    const started = await bob.socket.call({ type: 'start_conversation', username: 'alice' }, 'conversation');
    expect(started.conversation.id).toBe(id);
    const { conversations } = await bob.socket.call({ type: 'list_conversations' }, 'conversations');
    expect(conversations.map((c) => c.id)).toEqual([id]);
  });

  it('start_conversation creates the direct conversation under the derived id', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const started = await alice.socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    expect(started.conversation).toMatchObject({
      id: directConversationId(alice.user.id, bob.user.id),
      kind: 'direct',
      isMember: true,
    });
  });

  it('ends in one conversation when both people create it at the same moment', async () => {
    const server = await h.startServer();
    for (let round = 0; round < 3; round += 1) {
      // A fresh pair each round: the race is on the first creation.
      const pair = await people(h, server, `alice${round}`, `bob${round}`);
      const alice = pair[`alice${round}`]!;
      const bob = pair[`bob${round}`]!;
      const id = directConversationId(alice.user.id, bob.user.id);
      const [a, b] = await Promise.all([
        alice.socket.call(
          { type: 'create_conversation', conversationId: id, conversation: { kind: 'direct', userId: bob.user.id } },
          'conversation',
        ),
        bob.socket.call(
          { type: 'create_conversation', conversationId: id, conversation: { kind: 'direct', userId: alice.user.id } },
          'conversation',
        ),
      ]);
      expect(a.conversation.id).toBe(id);
      expect(b.conversation.id).toBe(id);
      await alice.socket.send(id, 'from-alice', 'hi');
      await bob.socket.send(id, 'from-bob', 'hi!');
      for (const socket of [alice.socket, bob.socket]) {
        const { conversations } = await socket.call({ type: 'list_conversations' }, 'conversations');
        expect(conversations.map((c) => [c.id, c.lastSeq])).toEqual([[id, 2]]);
      }
      expect((await visibleLog(bob.socket, id)).events.map((e) => e.seq)).toEqual([1, 2]);
    }
  });

  it('refuses any id but the derived one: invalid, bad_conversation_id', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const wrongIds = [
      newGroupId(),
      directConversationId(alice.user.id, carol.user.id),
      directConversationId(bob.user.id, carol.user.id),
      'dm-0',
    ];
    for (const conversationId of wrongIds) {
      const reply = await refusal(alice.socket, {
        type: 'create_conversation',
        conversationId,
        conversation: { kind: 'direct', userId: bob.user.id },
      });
      expect(reply, conversationId).toMatchObject({ code: 'invalid', reason: 'bad_conversation_id' });
    }
    await bob.socket.barrier();
    expect(bob.socket.pushesOf('conversation_added')).toEqual([]);
    expect((await alice.socket.call({ type: 'list_conversations' }, 'conversations')).conversations).toEqual([]);
  });

  it('answers not_found, no_such_user, for an unknown peer', async () => {
    const server = await h.startServer();
    const { alice } = await people(h, server, 'alice');
    const reply = await refusal(alice.socket, {
      type: 'create_conversation',
      conversationId: directConversationId(alice.user.id, 'ghost'),
      conversation: { kind: 'direct', userId: 'ghost' },
    });
    expect(reply).toMatchObject({ code: 'not_found', reason: 'no_such_user' });
  });
});

describeEachStore('find_user', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers the user by username, whatever the case, or not_found, no_such_user', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    expect(await alice.socket.call({ type: 'find_user', username: 'BOB' }, 'user')).toMatchObject({ user: bob.user });
    expect(await refusal(alice.socket, { type: 'find_user', username: 'nobody' })).toMatchObject({
      code: 'not_found',
      reason: 'no_such_user',
    });
  });
});

describeEachStore('roles in a group', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  /** alice owns it; bob is an admin; carol and dave are members; erin is not in it. */
  async function club() {
    const server = await h.startServer();
    const cast = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'erin');
    const { alice, bob, carol, dave } = cast;
    const conversation = await groupOf(alice, [bob, carol, dave]);
    await groupChange(alice.socket, conversation.id, 'make-bob-admin', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    return { server, ...cast, id: conversation.id };
  }

  /** `body` is refused as expected, stores nothing and pushes nothing about the group to anyone. */
  async function refusedQuietly(cast: Awaited<ReturnType<typeof club>>, body: () => Promise<unknown>) {
    const everyone = [cast.alice, cast.bob, cast.carol, cast.dave, cast.erin];
    const before = await visibleLog(cast.alice.socket, cast.id);
    const listed = await listedConversation(cast.alice.socket, cast.id);
    await Promise.all(everyone.map((p) => p.socket.barrier()));
    const counts = everyone.map((p) => p.socket.pushes.length);
    await body();
    await Promise.all(everyone.map((p) => p.socket.barrier()));
    everyone.forEach((p, index) => expect(p.socket.pushes.slice(counts[index]), p.user.username).toEqual([]));
    expect(await visibleLog(cast.alice.socket, cast.id)).toEqual(before);
    expect(await listedConversation(cast.alice.socket, cast.id)).toEqual(listed);
  }

  it('lets the owner and an admin add and remove, each as an event of its own', async () => {
    const cast = await club();
    const { alice, bob, carol, dave, erin, id } = cast;
    const added = await groupChange(bob.socket, id, 'add-erin', { kind: 'add_members', userIds: [erin.user.id] });
    expect(added).toEqual({
      kind: 'members_added',
      conversationId: id,
      seq: 3,
      senderId: bob.user.id,
      sentAt: anyTime,
      clientChangeId: 'add-erin',
      members: [erin.user],
    });
    const removed = await groupChange(alice.socket, id, 'remove-dave', { kind: 'remove_member', userId: dave.user.id });
    expect(removed).toMatchObject({ kind: 'member_removed', seq: 4, senderId: alice.user.id, userId: dave.user.id });
    const removedByAdmin = await groupChange(bob.socket, id, 'remove-carol', { kind: 'remove_member', userId: carol.user.id });
    expect(removedByAdmin).toMatchObject({ kind: 'member_removed', seq: 5, senderId: bob.user.id, userId: carol.user.id });

    const listed = await listedConversation(erin.socket, id);
    expect(listed).toMatchObject({ lastSeq: 5, isMember: true });
    expect(listed!.members).toEqual([member(alice.user, 'owner'), member(bob.user, 'admin'), member(erin.user, 'member')]);
  });

  it('lets an admin remove another admin', async () => {
    const cast = await club();
    const { alice, bob, carol, id } = cast;
    await groupChange(alice.socket, id, 'make-carol-admin', { kind: 'set_role', userId: carol.user.id, role: 'admin' });
    expect(await groupChange(bob.socket, id, 'remove-carol', { kind: 'remove_member', userId: carol.user.id })).toMatchObject({
      kind: 'member_removed',
      userId: carol.user.id,
    });
  });

  it('forbids a plain member to add, remove or set roles: forbidden, not_allowed', async () => {
    const cast = await club();
    const { alice, bob, carol, dave, erin, id } = cast;
    const changes: GroupChange[] = [
      { kind: 'add_members', userIds: [erin.user.id] },
      { kind: 'remove_member', userId: dave.user.id },
      { kind: 'remove_member', userId: bob.user.id },
      { kind: 'remove_member', userId: alice.user.id },
      { kind: 'set_role', userId: dave.user.id, role: 'admin' },
      { kind: 'set_role', userId: carol.user.id, role: 'admin' },
    ];
    await refusedQuietly(cast, async () => {
      for (const [index, change] of changes.entries()) {
        const reply = await refusal(carol.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: `carol-${index}`,
          change,
        });
        expect(reply, change.kind).toMatchObject({ code: 'forbidden', reason: 'not_allowed' });
      }
    });
  });

  it('lets only the owner set roles: an admin is forbidden, not_allowed', async () => {
    const cast = await club();
    const { alice, bob, carol, dave, id } = cast;
    await refusedQuietly(cast, async () => {
      const changes: GroupChange[] = [
        { kind: 'set_role', userId: carol.user.id, role: 'admin' },
        { kind: 'set_role', userId: bob.user.id, role: 'member' },
        { kind: 'set_role', userId: alice.user.id, role: 'member' },
      ];
      for (const [index, change] of changes.entries()) {
        const reply = await refusal(bob.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: `bob-${index}`,
          change,
        });
        expect(reply).toMatchObject({ code: 'forbidden', reason: 'not_allowed' });
      }
    });
    const promoted = await groupChange(alice.socket, id, 'make-dave-admin', {
      kind: 'set_role',
      userId: dave.user.id,
      role: 'admin',
    });
    expect(promoted).toMatchObject({
      kind: 'role_changed',
      seq: 3,
      senderId: alice.user.id,
      userId: dave.user.id,
      role: 'admin',
    });
    const demoted = await groupChange(alice.socket, id, 'unmake-bob', { kind: 'set_role', userId: bob.user.id, role: 'member' });
    expect(demoted).toMatchObject({ kind: 'role_changed', seq: 4, userId: bob.user.id, role: 'member' });
    const listed = await listedConversation(carol.socket, id);
    expect(listed!.members).toEqual([
      member(alice.user, 'owner'),
      member(bob.user, 'member'),
      member(carol.user, 'member'),
      member(dave.user, 'admin'),
    ]);
    // The demoted admin lost the right at once; the promoted one has it.
    expect(
      await refusal(bob.socket, {
        type: 'group_change',
        conversationId: id,
        clientChangeId: 'bob-late',
        change: { kind: 'remove_member', userId: carol.user.id },
      }),
    ).toMatchObject({
      code: 'forbidden',
      reason: 'not_allowed',
    });
    expect(await groupChange(dave.socket, id, 'dave-removes', { kind: 'remove_member', userId: carol.user.id })).toMatchObject({
      kind: 'member_removed',
      senderId: dave.user.id,
    });
  });

  it('never lets anyone remove the owner, nor the owner be given another role', async () => {
    const cast = await club();
    const { alice, bob, id } = cast;
    await refusedQuietly(cast, async () => {
      expect(
        await refusal(bob.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: 'oust',
          change: { kind: 'remove_member', userId: alice.user.id },
        }),
      ).toMatchObject({ code: 'forbidden', reason: 'cannot_remove_owner' });
      expect(
        await refusal(alice.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: 'self-demote',
          change: { kind: 'set_role', userId: alice.user.id, role: 'admin' },
        }),
      ).toMatchObject({ code: 'forbidden', reason: 'not_allowed' });
    });
  });

  it('refuses removing yourself (that is leaving): forbidden, not_allowed, for owner and admin alike', async () => {
    const cast = await club();
    const { alice, bob, id } = cast;
    await refusedQuietly(cast, async () => {
      for (const who of [alice, bob]) {
        const reply = await refusal(who.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: `self-${who.user.username}`,
          change: { kind: 'remove_member', userId: who.user.id },
        });
        expect(reply, who.user.username).toMatchObject({ code: 'forbidden', reason: 'not_allowed' });
      }
    });
  });

  it('refuses setting the role someone already has: invalid, role_unchanged', async () => {
    const cast = await club();
    const { alice, bob, carol, id } = cast;
    await refusedQuietly(cast, async () => {
      for (const [userId, role] of [
        [bob.user.id, 'admin'],
        [carol.user.id, 'member'],
      ] as const) {
        const reply = await refusal(alice.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: `same-${userId}`,
          change: { kind: 'set_role', userId, role },
        });
        expect(reply).toMatchObject({ code: 'invalid', reason: 'role_unchanged' });
      }
    });
  });

  it('refuses changes about someone who is not a member: invalid, not_a_member', async () => {
    const cast = await club();
    const { alice, bob, erin, id } = cast;
    await refusedQuietly(cast, async () => {
      expect(
        await refusal(bob.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: 'rm-erin',
          change: { kind: 'remove_member', userId: erin.user.id },
        }),
      ).toMatchObject({ code: 'invalid', reason: 'not_a_member' });
      expect(
        await refusal(alice.socket, {
          type: 'group_change',
          conversationId: id,
          clientChangeId: 'role-erin',
          change: { kind: 'set_role', userId: erin.user.id, role: 'admin' },
        }),
      ).toMatchObject({ code: 'invalid', reason: 'not_a_member' });
    });
  });

  it('refuses adding only people already in the group: invalid, already_member; a mix adds just the new ones', async () => {
    const cast = await club();
    const { alice, bob, carol, erin, id } = cast;
    await refusedQuietly(cast, async () => {
      const reply = await refusal(bob.socket, {
        type: 'group_change',
        conversationId: id,
        clientChangeId: 'add-again',
        change: { kind: 'add_members', userIds: [carol.user.id, alice.user.id, bob.user.id] },
      });
      expect(reply).toMatchObject({ code: 'invalid', reason: 'already_member' });
    });
    const added = await groupChange(bob.socket, id, 'add-mix', {
      kind: 'add_members',
      userIds: [carol.user.id, erin.user.id, erin.user.id],
    });
    expect(added).toMatchObject({ kind: 'members_added', members: [erin.user] });
    const listed = await listedConversation(alice.socket, id);
    expect(listed!.members.map((m) => m.id)).toEqual([
      alice.user.id,
      bob.user.id,
      carol.user.id,
      cast.dave.user.id,
      erin.user.id,
    ]);
  });

  it('answers not_found, no_such_user, when an added person does not exist, and adds nobody', async () => {
    const cast = await club();
    const { alice, erin, id } = cast;
    await refusedQuietly(cast, async () => {
      const reply = await refusal(alice.socket, {
        type: 'group_change',
        conversationId: id,
        clientChangeId: 'add-ghost',
        change: { kind: 'add_members', userIds: [erin.user.id, 'ghost-user-id'] },
      });
      expect(reply).toMatchObject({ code: 'not_found', reason: 'no_such_user' });
    });
  });

  it('refuses group changes in a direct conversation: invalid, not_a_group', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const { conversation } = await alice.socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    const changes: GroupChange[] = [
      { kind: 'add_members', userIds: [carol.user.id] },
      { kind: 'remove_member', userId: bob.user.id },
      { kind: 'leave' },
      { kind: 'set_role', userId: bob.user.id, role: 'admin' },
    ];
    for (const [index, change] of changes.entries()) {
      const reply = await refusal(alice.socket, {
        type: 'group_change',
        conversationId: conversation.id,
        clientChangeId: `direct-${index}`,
        change,
      });
      expect(reply, change.kind).toMatchObject({ code: 'invalid', reason: 'not_a_group' });
    }
    const listed = await listedConversation(bob.socket, conversation.id);
    expect(listed).toMatchObject({ kind: 'direct', lastSeq: 0, isMember: true });
    expect(listed!.members.map((m) => m.id)).toEqual([alice.user.id, bob.user.id]);
  });

  it('refuses adding beyond the server’s member limit: invalid, too_many_members', async () => {
    const server = await h.startServer({ maxGroupMembers: 3 });
    const { alice, bob, carol, dave, erin } = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'erin');
    const conversation = await groupOf(alice, [bob]);
    const tooMany = await refusal(alice.socket, {
      type: 'group_change',
      conversationId: conversation.id,
      clientChangeId: 'add-two',
      change: { kind: 'add_members', userIds: [carol.user.id, dave.user.id] },
    });
    expect(tooMany).toMatchObject({ code: 'invalid', reason: 'too_many_members' });
    expect(await lastSeqOf(alice.socket, conversation.id)).toBe(1);
    await groupChange(alice.socket, conversation.id, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] });
    const full = await refusal(alice.socket, {
      type: 'group_change',
      conversationId: conversation.id,
      clientChangeId: 'add-erin',
      change: { kind: 'add_members', userIds: [erin.user.id] },
    });
    expect(full).toMatchObject({ code: 'invalid', reason: 'too_many_members' });
    // Someone leaves: there is room again.
    await groupChange(bob.socket, conversation.id, 'bob-leaves', { kind: 'leave' });
    expect(
      await groupChange(alice.socket, conversation.id, 'add-erin-2', { kind: 'add_members', userIds: [erin.user.id] }),
    ).toMatchObject({
      kind: 'members_added',
      members: [erin.user],
    });
  });
});

describeEachStore('succession when the owner leaves', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('makes the earliest-joined admin the owner (not the earliest promoted), named in member_left', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave, erin } = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'erin');
    const conversation = await groupOf(alice, [bob, carol, dave]);
    const id = conversation.id;
    // dave is promoted first, carol later; carol joined before dave.
    await groupChange(alice.socket, id, 'admin-dave', { kind: 'set_role', userId: dave.user.id, role: 'admin' });
    await groupChange(alice.socket, id, 'admin-carol', { kind: 'set_role', userId: carol.user.id, role: 'admin' });
    await groupChange(alice.socket, id, 'add-erin', { kind: 'add_members', userIds: [erin.user.id] });
    const left = await groupChange(alice.socket, id, 'alice-leaves', { kind: 'leave' });
    expect(left).toEqual({
      kind: 'member_left',
      conversationId: id,
      seq: 5,
      senderId: alice.user.id,
      sentAt: anyTime,
      clientChangeId: 'alice-leaves',
      newOwnerId: carol.user.id,
    });
    const listed = await listedConversation(bob.socket, id);
    expect(listed).toMatchObject({ lastSeq: 5, isMember: true });
    expect(listed!.members).toEqual([
      member(bob.user, 'member'),
      member(carol.user, 'owner'),
      member(dave.user, 'admin'),
      member(erin.user, 'member'),
    ]);
    // The new owner has the owner's powers; the old one has none.
    expect(
      await groupChange(carol.socket, id, 'carol-demotes-dave', { kind: 'set_role', userId: dave.user.id, role: 'member' }),
    ).toMatchObject({
      kind: 'role_changed',
    });
    expect(
      await refusal(alice.socket, {
        type: 'group_change',
        conversationId: id,
        clientChangeId: 'alice-back',
        change: { kind: 'remove_member', userId: bob.user.id },
      }),
    ).toMatchObject({ code: 'not_found', reason: 'conversation_not_found' });
  });

  it('makes the earliest-joined member the owner when there is no admin', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const conversation = await groupOf(alice, [carol]);
    await groupChange(alice.socket, conversation.id, 'add-bob', { kind: 'add_members', userIds: [bob.user.id] });
    await groupChange(alice.socket, conversation.id, 'add-dave', { kind: 'add_members', userIds: [dave.user.id] });
    const left = await groupChange(alice.socket, conversation.id, 'alice-leaves', { kind: 'leave' });
    expect(left).toMatchObject({ kind: 'member_left', newOwnerId: carol.user.id });
    const listed = await listedConversation(dave.socket, conversation.id);
    expect(listed!.members).toEqual([member(carol.user, 'owner'), member(bob.user, 'member'), member(dave.user, 'member')]);
  });

  it('counts a re-added member as joining when they came back', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob, carol]);
    await groupChange(alice.socket, conversation.id, 'rm-bob', { kind: 'remove_member', userId: bob.user.id });
    await groupChange(alice.socket, conversation.id, 'add-bob', { kind: 'add_members', userIds: [bob.user.id] });
    expect((await listedConversation(bob.socket, conversation.id))!.members.map((m) => m.id)).toEqual([
      alice.user.id,
      carol.user.id,
      bob.user.id,
    ]);
    const left = await groupChange(alice.socket, conversation.id, 'alice-leaves', { kind: 'leave' });
    expect(left).toMatchObject({ kind: 'member_left', newOwnerId: carol.user.id });
  });

  it('names no new owner when a non-owner leaves, or when the last member leaves', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob, carol]);
    await groupChange(alice.socket, conversation.id, 'admin-bob', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    expect(await groupChange(bob.socket, conversation.id, 'bob-leaves', { kind: 'leave' })).toMatchObject({
      kind: 'member_left',
      newOwnerId: null,
    });
    expect(await groupChange(carol.socket, conversation.id, 'carol-leaves', { kind: 'leave' })).toMatchObject({
      kind: 'member_left',
      newOwnerId: null,
    });
    expect((await listedConversation(alice.socket, conversation.id))!.members).toEqual([member(alice.user, 'owner')]);
    expect(await groupChange(alice.socket, conversation.id, 'alice-leaves', { kind: 'leave' })).toMatchObject({
      kind: 'member_left',
      newOwnerId: null,
    });
    expect(await listedConversation(alice.socket, conversation.id)).toMatchObject({ isMember: false, members: [], lastSeq: 5 });
  });
});

describeEachStore('fan-out to every device of every member', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('stores an envelope once and pushes it to every connection of every member but the sending one', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const conversation = await groupOf(alice, [bob, carol]);
    const alicePhone = await h.connect(server, alice.account.token);
    const bobLaptop = await h.connect(server, bob.account.token);
    const carolLaptop = await h.connect(server, carol.account.token);
    const carolTablet = await h.connect(server, carol.account.token);
    const receivers = [alicePhone, bob.socket, bobLaptop, carol.socket, carolLaptop, carolTablet];

    const message = await alice.socket.send(conversation.id, 'hello-all', 'hello all');
    expect(message.seq).toBe(2);
    for (const socket of receivers) {
      expect(await socket.waitForPush('event', (p) => p.event.seq === 2 && p.event.conversationId === conversation.id)).toEqual({
        type: 'event',
        event: message,
      });
    }
    await Promise.all([...receivers, alice.socket, dave.socket].map((socket) => socket.barrier()));
    for (const socket of receivers)
      expect(
        socket.pushesOf('event').filter((p) => p.event.conversationId === conversation.id && p.event.seq === message.seq),
      ).toHaveLength(1);
    expect(pushesAbout(alice.socket, conversation.id)).toEqual([]);
    expect(pushesAbout(dave.socket, conversation.id)).toEqual([]);
    expect((await visibleLog(carolTablet, conversation.id)).events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('pushes a group change to every device of every member, the sender’s other devices included', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob, carol]);
    const alicePhone = await h.connect(server, alice.account.token);
    const bobLaptop = await h.connect(server, bob.account.token);
    const promoted = await groupChange(alice.socket, conversation.id, 'admin-bob', {
      kind: 'set_role',
      userId: bob.user.id,
      role: 'admin',
    });
    for (const socket of [alicePhone, bob.socket, bobLaptop, carol.socket]) {
      expect(await socket.waitForPush('event', (p) => p.event.seq === promoted.seq)).toEqual({ type: 'event', event: promoted });
    }
    await alice.socket.barrier();
    expect(pushesAbout(alice.socket, conversation.id)).toEqual([]);
  });

  it('relays typing to every device of the other members, not the typer’s', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const conversation = await groupOf(alice, [bob, carol]);
    // Typing is heard among members who have written (presence-rules.ts).
    for (const member of [alice, bob, carol]) await member.socket.send(conversation.id, `hello-${member.user.username}`, 'Hello');
    const alicePhone = await h.connect(server, alice.account.token);
    const carolLaptop = await h.connect(server, carol.account.token);
    await alice.socket.call({ type: 'typing', conversationId: conversation.id }, 'ok');
    const expected = { type: 'typing', conversationId: conversation.id, userId: alice.user.id };
    for (const socket of [bob.socket, carol.socket, carolLaptop]) expect(await socket.waitForPush('typing')).toEqual(expected);
    await Promise.all([alice.socket, alicePhone, dave.socket].map((socket) => socket.barrier()));
    expect(alicePhone.pushesOf('typing')).toEqual([]);
    expect(alice.socket.pushesOf('typing')).toEqual([]);
    expect(dave.socket.pushesOf('typing')).toEqual([]);
  });

  it('keeps watermarks per member and pushes a moved one to every connection of every member', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob, carol]);
    const carolLaptop = await h.connect(server, carol.account.token);
    await alice.socket.send(conversation.id, 'm1', 'one');
    await alice.socket.send(conversation.id, 'm2', 'two');
    await bob.socket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: 2 }, 'ok');
    const expected = { type: 'watermark', conversationId: conversation.id, userId: bob.user.id, deliveredSeq: 2, readSeq: 2 };
    for (const socket of [alice.socket, bob.socket, carol.socket, carolLaptop]) {
      expect(await socket.waitForPush('watermark', (p) => p.userId === bob.user.id)).toEqual(expected);
    }
    await carol.socket.call({ type: 'receipt', conversationId: conversation.id, kind: 'delivered', seq: 3 }, 'ok');
    await alice.socket.waitForPush('watermark', (p) => p.userId === carol.user.id);
    const listed = await listedConversation(alice.socket, conversation.id);
    expect(listed!.members.find((m) => m.id === bob.user.id)).toMatchObject({ deliveredSeq: 2, readSeq: 2 });
    expect(listed!.members.find((m) => m.id === carol.user.id)).toMatchObject({ deliveredSeq: 3, readSeq: 0 });
  });
});

describeEachStore('idempotent group changes', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers a resend with the original event, stores nothing twice and pushes nothing again', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob]);
    const promoted = await groupChange(alice.socket, conversation.id, 'admin-bob', {
      kind: 'set_role',
      userId: bob.user.id,
      role: 'admin',
    });
    const added = await groupChange(alice.socket, conversation.id, 'add-carol', {
      kind: 'add_members',
      userIds: [carol.user.id],
    });
    await carol.socket.waitForPush('conversation_added', (p) => p.conversation.id === conversation.id);
    // Being added introduces nobody (presence-rules.ts: nobody has written here), so nothing comes after the barrier.
    await Promise.all([bob.socket.barrier(), carol.socket.barrier()]);
    const counts = [bob.socket.pushes.length, carol.socket.pushes.length];

    expect(
      await groupChange(alice.socket, conversation.id, 'admin-bob', { kind: 'set_role', userId: bob.user.id, role: 'admin' }),
    ).toEqual(promoted);
    expect(
      await groupChange(alice.socket, conversation.id, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] }),
    ).toEqual(added);
    await Promise.all([bob.socket.barrier(), carol.socket.barrier()]);
    expect(bob.socket.pushes.slice(counts[0])).toEqual([]);
    expect(carol.socket.pushes.slice(counts[1])).toEqual([]);
    const log = await visibleLog(alice.socket, conversation.id);
    expect(log.events.map((e) => e.kind)).toEqual(['group_created', 'role_changed', 'members_added']);
    expect(await lastSeqOf(alice.socket, conversation.id)).toBe(3);
  });

  it('answers a resend of a leave with the original event although the sender is no longer a member', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const conversation = await groupOf(alice, [bob]);
    const left = await groupChange(bob.socket, conversation.id, 'bob-leaves', { kind: 'leave' });
    // A retry whose first answer was lost must not be failed.
    expect(await groupChange(bob.socket, conversation.id, 'bob-leaves', { kind: 'leave' })).toEqual(left);
    expect(await lastSeqOf(alice.socket, conversation.id)).toBe(2);
    // A new leave (another client id) is what a non-member gets: not_found.
    expect(
      await refusal(bob.socket, {
        type: 'group_change',
        conversationId: conversation.id,
        clientChangeId: 'bob-leaves-again',
        change: { kind: 'leave' },
      }),
    ).toMatchObject({ code: 'not_found', reason: 'conversation_not_found' });
  });

  it('answers a resend with the original event even when the change would now be refused', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const conversation = await groupOf(alice, [bob]);
    await groupChange(alice.socket, conversation.id, 'admin-bob', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    const added = await groupChange(bob.socket, conversation.id, 'bob-adds', { kind: 'add_members', userIds: [carol.user.id] });
    await groupChange(alice.socket, conversation.id, 'unadmin-bob', { kind: 'set_role', userId: bob.user.id, role: 'member' });
    expect(await groupChange(bob.socket, conversation.id, 'bob-adds', { kind: 'add_members', userIds: [carol.user.id] })).toEqual(
      added,
    );
    expect(await lastSeqOf(alice.socket, conversation.id)).toBe(4);
  });

  it('refuses a clientChangeId the sender already used for something else: invalid, client_id_reused', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const conversation = await groupOf(alice, [bob]);
    await alice.socket.send(conversation.id, 'used-id', 'hello');
    await groupChange(alice.socket, conversation.id, 'admin-id', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    const reusedEnvelopeId = await refusal(alice.socket, {
      type: 'group_change',
      conversationId: conversation.id,
      clientChangeId: 'used-id',
      change: { kind: 'set_role', userId: bob.user.id, role: 'member' },
    });
    expect(reusedEnvelopeId).toMatchObject({ code: 'invalid', reason: 'client_id_reused' });
    expect(await alice.socket.sendEnvelope(conversation.id, 'admin-id', 'hello again')).toMatchObject({
      type: 'error',
      code: 'invalid',
      reason: 'client_id_reused',
    });
    const otherKind = await refusal(alice.socket, {
      type: 'group_change',
      conversationId: conversation.id,
      clientChangeId: 'admin-id',
      change: { kind: 'add_members', userIds: [bob.user.id] },
    });
    expect(otherKind).toMatchObject({ code: 'invalid', reason: 'client_id_reused' });
    expect(await lastSeqOf(alice.socket, conversation.id)).toBe(3);
  });

  it('answers the same group change resent on another device of the sender with the original event', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const conversation = await groupOf(alice, [bob]);
    const alicePhone = await h.connect(server, alice.account.token);
    const first = await alice.socket.request({
      type: 'group_change',
      conversationId: conversation.id,
      clientChangeId: 'same',
      change: { kind: 'set_role', userId: bob.user.id, role: 'admin' },
    });
    const second = await alicePhone.request({
      type: 'group_change',
      conversationId: conversation.id,
      clientChangeId: 'same',
      change: { kind: 'set_role', userId: bob.user.id, role: 'admin' },
    });
    expect(withoutRid(second)).toEqual(withoutRid(first));
    expect(await lastSeqOf(alice.socket, conversation.id)).toBe(2);
  });

  it('answers a creator who left and resends the creation with the group as a former member sees it', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const request: FrameRequest = {
      type: 'create_conversation',
      conversationId: newGroupId(),
      conversation: { kind: 'group', memberIds: [bob.user.id] },
    };
    const { conversation } = await alice.socket.call(request, 'conversation');
    await groupChange(alice.socket, conversation.id, 'alice-leaves', { kind: 'leave' });
    const resent = await alice.socket.call(request, 'conversation');
    expect(resent.conversation).toEqual(await listedConversation(alice.socket, conversation.id));
    expect(resent.conversation).toMatchObject({ id: conversation.id, isMember: false, members: [], name: null, lastSeq: 2 });
  });
});
