import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { acceptanceStored, converse, offline, online, person, settled } from '../../support/people.js';
import { filesHolding } from '../../support/stored-bytes.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

/** What a probe sees before the conversation has reached this device: nothing yet. */
async function orNothing<T>(read: () => Promise<T[]>): Promise<T[]> {
  try {
    return await read();
  } catch (error) {
    if ((error as { code?: string }).code === 'not_found') return [];
    throw error;
  }
}

function texts(core: TestCore, conversationId: string): Promise<string[]> {
  return orNothing(async () =>
    (await core.listMessages({ conversationId, limit: 1000 })).messages.map((message) => message.text),
  );
}

function memberNames(core: TestCore, conversationId: string): Promise<string[]> {
  return orNothing(async () =>
    (await core.getConversationInfo({ conversationId })).members.map((member) => `${member.user.username}:${member.role}`),
  );
}

/** Alice knows Bob and Carol (direct conversations), so she can make groups with them offline. */
async function threePeople() {
  const server = await servers.startServer();
  const alice = await person(clients, server, 'alice');
  const bob = await person(clients, server, 'bob');
  const carol = await person(clients, server, 'carol');
  // Bob and Carol accept her: her groups are no message requests to them.
  const withBob = await converse(alice.core, bob.core, 'bob');
  const withCarol = await converse(alice.core, carol.core, 'carol');
  await acceptanceStored(server, bob.core, withBob);
  await acceptanceStored(server, carol.core, withCarol);
  const users = {
    bob: await alice.core.findUser({ username: 'bob' }),
    carol: await alice.core.findUser({ username: 'carol' }),
  };
  return { server, alice, bob, carol, users };
}

describe('groups in the client core', () => {
  it('a group’s name reaches its members sealed: the server is never told it, those added later learn it, and a reconnect keeps it', async () => {
    const { server, alice, bob, carol, users } = await threePeople();
    const group = await alice.core.createGroup({ name: 'Quietly Named Gathering', memberIds: [users.bob.id] });
    const titleOn = (core: TestCore, title: string, what: string) =>
      eventually(
        async () => (await core.listConversations()).find((c) => c.id === group.id)?.title,
        (shown) => shown === title,
        what,
      );
    await titleOn(bob.core, 'Quietly Named Gathering', 'the name on Bob’s device');
    await alice.core.renameGroup({ conversationId: group.id, name: 'Renamed Without Witnesses' });
    await titleOn(bob.core, 'Renamed Without Witnesses', 'the new name on Bob’s device');
    const notices = async (core: TestCore) =>
      (await core.listMessages({ conversationId: group.id })).notices.map((notice) => [notice.kind, notice.name]);
    // The first name is the creation's ("created the group “…”"); the rename is a notice of its own.
    expect(await notices(bob.core)).toEqual([
      ['group_created', 'Quietly Named Gathering'],
      ['group_renamed', 'Renamed Without Witnesses'],
    ]);

    // Carol, added later, learns the name from the one sealed again behind her addition; it is no
    // news to Bob, who is shown nothing more.
    await alice.core.addMembers({ conversationId: group.id, userIds: [users.carol.id] });
    await titleOn(carol.core, 'Renamed Without Witnesses', 'the name on Carol’s device');
    expect((await notices(carol.core)).map(([kind]) => kind)).toEqual(['members_added']);
    await eventually(
      () => memberNames(bob.core, group.id),
      (names) => names.includes('carol:member'),
      'Carol in the group on Bob’s device',
    );
    expect(await notices(bob.core)).toEqual([
      ['group_created', 'Quietly Named Gathering'],
      ['group_renamed', 'Renamed Without Witnesses'],
      ['members_added', null],
    ]);

    // The server knows no name for the group, nor any of its names' bytes; the list a new
    // connection brings (naming none) leaves the sealed name as it is.
    const port = server.port;
    await server.close();
    await offline(bob.core);
    const db = new Database(join(server.dataDir, SERVER_DATABASE_FILE), { readonly: true });
    expect(db.prepare('SELECT name FROM conversations WHERE id = ?').get(group.id)).toEqual({ name: null });
    db.close();
    for (const name of ['Quietly Named Gathering', 'Renamed Without Witnesses'])
      expect(filesHolding(server.dataDir, name)).toEqual([]);
    await servers.startServer({ dataDir: server.dataDir, port });
    await online(bob.core);
    await titleOn(bob.core, 'Renamed Without Witnesses', 'the name after a reconnect');
  });

  it('a member who catches up after the creator left still reads the name the creator gave, as those who were there', async () => {
    const { alice, bob, carol, users } = await threePeople();
    await bob.core.setPreferences({ workOffline: true });
    await offline(bob.core);
    const group = await alice.core.createGroup({ name: 'Left Behind Club', memberIds: [users.bob.id, users.carol.id] });
    const titleOn = (core: TestCore) =>
      eventually(
        async () => (await core.listConversations()).find((c) => c.id === group.id)?.title,
        (title) => title === 'Left Behind Club',
        'the name',
      );
    await titleOn(carol.core);
    await alice.core.leaveGroup({ conversationId: group.id });
    await eventually(
      () => memberNames(carol.core, group.id),
      (names) => !names.some((name) => name.startsWith('alice')),
      'alice gone on Carol’s device',
    );
    // Bob's device learns the group from a member list without Alice, and judges her rename as of
    // when she gave it (an owner then), from the membership it catches up.
    await bob.core.setPreferences({ workOffline: false });
    await online(bob.core);
    await titleOn(bob.core);
    expect((await bob.core.getConversationInfo({ conversationId: group.id })).name).toBe('Left Behind Club');
  });

  it('a group created offline shows and takes messages at once, and reaches the others, in order, on reconnect', async () => {
    const { server, alice, bob, carol, users } = await threePeople();
    const port = server.port;
    await server.close();
    await offline(alice.core);

    const group = await alice.core.createGroup({ name: ' Trip ', memberIds: [users.bob.id, users.carol.id] });
    expect(group).toMatchObject({ kind: 'group', title: 'Trip', peer: null, memberCount: 3, isMember: true });
    await alice.core.sendMessage({ conversationId: group.id, text: 'first' });
    await alice.core.sendMessage({ conversationId: group.id, text: 'second' });
    expect(await texts(alice.core, group.id)).toEqual(['first', 'second']);
    expect(await memberNames(alice.core, group.id)).toEqual(['alice:owner', 'bob:member', 'carol:member']);

    await servers.startServer({ dataDir: server.dataDir, port });
    await online(alice.core);
    for (const other of [bob.core, carol.core]) {
      await eventually(
        () => texts(other, group.id),
        (list) => list.join() === 'first,second',
        'the group reaches them',
      );
      // The name comes sealed behind the creation, after what was queued before the group existed.
      const summary = await eventually(
        async () => (await other.listConversations()).find((c) => c.id === group.id),
        (shown) => shown?.title === 'Trip',
        'the group named',
      );
      expect(summary).toMatchObject({ kind: 'group', title: 'Trip', memberCount: 3, isMember: true });
      const page = await other.listMessages({ conversationId: group.id });
      // The name came sealed behind the creation: no notice of its own, the creation's names it.
      expect(page.notices).toMatchObject([{ kind: 'group_created', name: 'Trip', actor: { username: 'alice' } }]);
      expect(page.messages.map((m) => m.senderName)).toEqual(['Alice', 'Alice']);
    }
    await settled(alice.core, group.id);
  });

  it('ticks reach Delivered and Read only when every other member has received / read', async () => {
    const { alice, bob, carol, users } = await threePeople();
    const group = await alice.core.createGroup({ name: 'Trip', memberIds: [users.bob.id, users.carol.id] });
    const sent = await alice.core.sendMessage({ conversationId: group.id, text: 'hello all' });
    const status = async () => (await alice.core.listMessages({ conversationId: group.id })).messages[0]?.status;
    await eventually(status, (s) => s === 'delivered', 'delivered to both');
    await eventually(
      () => texts(bob.core, group.id),
      (list) => list.length === 1,
      'bob has it',
    );
    await bob.core.markRead({ conversationId: group.id });
    await eventually(
      () => alice.core.getMessageInfo({ conversationId: group.id, messageId: sent.id }),
      (info) => info.readBy.length === 1,
      'bob read it',
    );
    expect(await status()).toBe('delivered');
    expect(await alice.core.getMessageInfo({ conversationId: group.id, messageId: sent.id })).toMatchObject({
      readBy: [{ username: 'bob' }],
      deliveredTo: [{ username: 'carol' }],
    });
    await eventually(
      () => texts(carol.core, group.id),
      (list) => list.length === 1,
      'carol has it',
    );
    await carol.core.markRead({ conversationId: group.id });
    await eventually(status, (s) => s === 'read', 'read by both');
  });

  it('roles, removal and leaving: notices for all, the removed person can no longer send, ownership passes on', async () => {
    const { alice, bob, carol, users } = await threePeople();
    const group = await alice.core.createGroup({ name: 'Trip', memberIds: [users.bob.id, users.carol.id] });
    await eventually(
      () => bob.core.listConversations(),
      (list) => list.some((c) => c.id === group.id),
      'bob has the group',
    );

    // A plain member may not remove anyone: refused at once, as the server would.
    await expect(bob.core.removeMember({ conversationId: group.id, userId: users.carol.id })).rejects.toMatchObject({
      code: 'refused',
      message: 'not_allowed',
    });
    await alice.core.setRole({ conversationId: group.id, userId: users.bob.id, role: 'admin' });
    await eventually(
      () => memberNames(bob.core, group.id),
      (list) => list.includes('bob:admin'),
      'bob is admin',
    );
    await bob.core.renameGroup({ conversationId: group.id, name: 'Trip 2' });
    await bob.core.removeMember({ conversationId: group.id, userId: users.carol.id });
    await eventually(
      () => carol.core.listConversations(),
      (list) => list.some((c) => c.id === group.id && !c.isMember),
      'carol learns she was removed',
    );
    await expect(carol.core.sendMessage({ conversationId: group.id, text: 'still here?' })).rejects.toMatchObject({
      code: 'refused',
      message: 'no_longer_member',
    });
    await alice.core.sendMessage({ conversationId: group.id, text: 'after carol' });
    await eventually(
      () => texts(bob.core, group.id),
      (list) => list.includes('after carol'),
      'bob has it',
    );
    expect(await texts(carol.core, group.id)).not.toContain('after carol');

    await alice.core.leaveGroup({ conversationId: group.id });
    await eventually(
      () => memberNames(bob.core, group.id),
      (list) => list.join() === 'bob:owner',
      'bob is the owner now',
    );
    const notices = (await bob.core.listMessages({ conversationId: group.id })).notices.map((n) => n.kind);
    expect(notices).toEqual(['group_created', 'role_changed', 'group_renamed', 'member_removed', 'member_left']);
    expect((await bob.core.listConversations()).find((c) => c.id === group.id)?.title).toBe('Trip 2');
  });

  it('a change queued by someone demoted meanwhile is refused on arrival, shows with Retry and Dismiss, and blocks nothing', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob', { transport });
    const carol = await person(clients, server, 'carol');
    const bobUser = await alice.core.findUser({ username: 'bob' });
    const carolUser = await alice.core.findUser({ username: 'carol' });
    const group = await alice.core.createGroup({ name: 'Trip', memberIds: [bobUser.id, carolUser.id] });
    await alice.core.setRole({ conversationId: group.id, userId: bobUser.id, role: 'admin' });
    // Acknowledged on both sides (not only shown as queued on Alice's).
    for (const core of [bob.core, alice.core]) {
      await eventually(
        () => orNothing(async () => (await core.getConversationInfo({ conversationId: group.id })).members),
        (members) => members.some((member) => member.user.username === 'bob' && member.role === 'admin' && !member.pending),
        'bob is admin',
      );
    }

    // Bob goes offline (his sends are held back) and, still an admin as far as he knows, renames
    // the group and writes; meanwhile Alice makes him a plain member again.
    let held = true;
    transport.fromClient = (frame) =>
      held && (frame.type === 'group_change' || frame.type === 'send_envelope') ? 'drop' : 'pass';
    await bob.core.renameGroup({ conversationId: group.id, name: 'Bob’s trip' });
    await bob.core.sendMessage({ conversationId: group.id, text: 'written while renaming' });
    expect((await bob.core.getConversationInfo({ conversationId: group.id })).name).toBe('Bob’s trip');
    await alice.core.setRole({ conversationId: group.id, userId: bobUser.id, role: 'member' });
    await eventually(
      () => memberNames(bob.core, group.id),
      (list) => list.includes('bob:member'),
      'bob is demoted',
    );

    held = false;
    await bob.core.logOut();
    await bob.core.logIn({ serverUrl: server.url, username: 'bob', password: DEFAULT_TEST_PASSWORD });
    await eventually(
      () => bob.core.getConversationInfo({ conversationId: group.id }),
      (info) => info.failedChanges.length === 1,
      'the rename is refused',
    );
    const info = await bob.core.getConversationInfo({ conversationId: group.id });
    expect(info.failedChanges).toEqual([
      { changeId: expect.any(String) as unknown, kind: 'rename', error: 'not_allowed', people: [] },
    ]);
    expect(info.name).toBe('Trip');
    // The message behind it went through.
    await eventually(
      () => texts(carol.core, group.id),
      (list) => list.includes('written while renaming'),
      'the send is not blocked',
    );

    await bob.core.discardChange({ changeId: info.failedChanges[0]!.changeId });
    expect((await bob.core.getConversationInfo({ conversationId: group.id })).failedChanges).toEqual([]);
    expect((await alice.core.getConversationInfo({ conversationId: group.id })).name).toBe('Trip');
  });

  it('a member added later sees the group from that point: earlier messages are not theirs', async () => {
    const { alice, bob, carol, users } = await threePeople();
    const group = await alice.core.createGroup({ name: 'Trip', memberIds: [users.bob.id] });
    await alice.core.sendMessage({ conversationId: group.id, text: 'before carol' });
    await eventually(
      () => texts(bob.core, group.id),
      (list) => list.length === 1,
      'bob has it',
    );
    await alice.core.addMembers({ conversationId: group.id, userIds: [users.carol.id] });
    await alice.core.sendMessage({ conversationId: group.id, text: 'welcome carol' });
    await eventually(
      () => texts(carol.core, group.id),
      (list) => list.join() === 'welcome carol',
      'carol sees from her joining',
    );
    expect((await carol.core.listMessages({ conversationId: group.id })).notices).toMatchObject([
      { kind: 'members_added', actor: { username: 'alice' }, subjects: [{ username: 'carol' }] },
    ]);
    expect(await memberNames(carol.core, group.id)).toEqual(['alice:owner', 'bob:member', 'carol:member']);
  });

  it('two people starting a direct conversation with each other offline end in the same one', async () => {
    const server = await servers.startServer();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const carol = await person(clients, server, 'carol');
    // Both know each other from a group, never having talked directly.
    const bobUser = await alice.core.findUser({ username: 'bob' });
    const carolUser = await alice.core.findUser({ username: 'carol' });
    const group = await alice.core.createGroup({ name: 'Intro', memberIds: [bobUser.id, carolUser.id] });
    for (const core of [bob.core, carol.core]) {
      await eventually(
        () => memberNames(core, group.id),
        (list) => list.length === 3,
        'members known',
      );
    }
    const port = server.port;
    await server.close();
    await offline(bob.core);
    await offline(carol.core);
    const fromBob = await bob.core.startConversation({ username: 'carol' });
    const fromCarol = await carol.core.startConversation({ username: '@Bob' });
    expect(fromBob.id).toBe(fromCarol.id);
    expect(fromBob.id).toBe(directConversationId(bobUser.id, carolUser.id));
    await bob.core.sendMessage({ conversationId: fromBob.id, text: 'hi carol' });
    await carol.core.sendMessage({ conversationId: fromCarol.id, text: 'hi bob' });

    await servers.startServer({ dataDir: server.dataDir, port });
    for (const core of [bob.core, carol.core]) {
      await eventually(
        () => texts(core, fromBob.id),
        (list) => list.length === 2,
        'both messages in one conversation',
      );
    }
    expect((await texts(bob.core, fromBob.id)).sort()).toEqual(['hi bob', 'hi carol']);
    // Alice's group is a message request to Bob (she is no contact of his); the direct one is not.
    expect((await bob.core.listConversations({ folder: 'all' })).map((c) => [c.kind, c.request])).toEqual(
      expect.arrayContaining([
        ['direct', false],
        ['group', true],
      ]),
    );
    expect(await bob.core.listConversations({ folder: 'all' })).toHaveLength(2);
  });

  it('leaving the only group both wrote in stops showing each other online, in their direct conversation too', async () => {
    const { alice, bob, users } = await threePeople();
    // Their direct conversation (threePeople) has no message from either: only the group joins them.
    const direct = directConversationId((await bob.core.findUser({ username: 'alice' })).id, users.bob.id);
    const group = await alice.core.createGroup({ name: 'Trip', memberIds: [users.bob.id] });
    await alice.core.sendMessage({ conversationId: group.id, text: 'hello' });
    await eventually(
      () => texts(bob.core, group.id),
      (list) => list.includes('hello'),
      'bob has it',
    );
    await bob.core.sendMessage({ conversationId: group.id, text: 'hi' });
    for (const core of [alice.core, bob.core]) {
      await eventually(
        () => core.getActivity({ conversationId: direct }),
        (activity) => activity.peerPresence?.online === true,
        'each sees the other online',
      );
    }

    await alice.core.leaveGroup({ conversationId: group.id });
    for (const core of [alice.core, bob.core]) {
      const activity = await eventually(
        () => core.getActivity({ conversationId: direct }),
        (seen) => seen.peerPresence?.online === false,
        'each sees the other away',
      );
      // Away, last seen unknown: as after a block.
      expect(activity.peerPresence).toEqual({ online: false, lastSeenAt: null });
      // Only oneself shows online among the members.
      const members = (await core.getConversationInfo({ conversationId: direct })).members;
      expect(members.map((member) => member.online)).toEqual(members.map((member) => member.you));
    }
  });
});
