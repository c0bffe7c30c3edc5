import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../../sync/app-api/contract.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const folderIds = async (core: TestCore, folder: 'main' | 'requests' | 'all') =>
  (await core.listConversations({ folder })).map((c) => c.id);
const summary = async (core: TestCore, id: string): Promise<ConversationSummary | undefined> =>
  (await core.listConversations({ folder: 'all' })).find((c) => c.id === id);
const statuses = async (core: TestCore, conversationId: string) =>
  (await core.listMessages({ conversationId })).messages.map((m) => m.status);
const userId = async (core: TestCore) => (await core.getSession())!.user.id;

/** Bob on two devices, and two strangers to him, Alice and Carol. */
async function bobAndStrangers() {
  const server = await servers.startServer();
  const bob = await person(clients, server, 'bob');
  // Linked before anyone writes: it reads all that is sealed from then on.
  const laptop = await person(clients, server, 'bob', { existing: true, linkedFrom: bob.core });
  const alice = await person(clients, server, 'alice');
  const carol = await person(clients, server, 'carol');
  return { server, bob: bob.core, laptop: laptop.core, alice: alice.core, carol: carol.core };
}

/** `from` starts a direct conversation with Bob and writes to him; it reaches both of his devices. */
async function writeToBob(from: TestCore, bobDevices: TestCore[], texts: string[]): Promise<string> {
  const { id } = await from.startConversation({ username: 'bob' });
  for (const text of texts) await from.sendMessage({ conversationId: id, text });
  for (const device of bobDevices) {
    await eventually(
      async () => (await device.listMessages({ conversationId: id }).catch(() => null))?.messages.length ?? 0,
      (n) => n === texts.length,
      'the messages reach Bob',
    );
  }
  return id;
}

describe('message requests between people on a real server', () => {
  it('a stranger’s conversation waits in "Message requests": no receipt goes back until Bob accepts, on either device', async () => {
    const { bob, laptop, alice } = await bobAndStrangers();
    const id = await writeToBob(alice, [bob, laptop], ['Hi Bob', 'It is Alice', 'from the party']);
    for (const device of [bob, laptop]) {
      expect(await folderIds(device, 'main')).toEqual([]);
      expect(await folderIds(device, 'requests')).toEqual([id]);
      expect(await summary(device, id)).toMatchObject({ request: true, requestFromName: 'Alice', unreadCount: 3 });
    }
    // Alice's side: started by her, an ordinary conversation.
    expect(await summary(alice, id)).toMatchObject({ request: false });

    // Bob reads all three; nothing tells Alice, not even that they arrived.
    await bob.markRead({ conversationId: id });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await statuses(alice, id)).toEqual(['sent', 'sent', 'sent']);

    await bob.answerRequest({ conversationId: id, answer: 'accept' });
    expect(await folderIds(bob, 'main')).toEqual([id]);
    await eventually(
      () => statuses(alice, id),
      (list) => list.every((s) => s === 'read'),
      'Alice sees them read',
    );
    await eventually(
      () => folderIds(laptop, 'main'),
      (list) => list.includes(id),
      'the laptop hears of the answer',
    );
    expect(await folderIds(laptop, 'requests')).toEqual([]);
  });

  it('read on one device, accepted on the other: the read receipt held back on the first goes out then', async () => {
    const { bob, laptop, alice } = await bobAndStrangers();
    const id = await writeToBob(alice, [bob, laptop], ['Are you the Bob from the choir?']);
    await laptop.markRead({ conversationId: id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await statuses(alice, id)).toEqual(['sent']);
    // Accepted on the phone, which never showed the message: only the laptop can say it was read.
    await bob.answerRequest({ conversationId: id, answer: 'accept' });
    await eventually(
      () => statuses(alice, id),
      (list) => list[0] === 'read',
      'the laptop’s read receipt reaches Alice',
    );
  });

  it('writing back accepts, on every device of the one who writes', async () => {
    const { bob, laptop, alice } = await bobAndStrangers();
    const id = await writeToBob(alice, [bob, laptop], ['Hello?']);
    await bob.sendMessage({ conversationId: id, text: 'Hello Alice' });
    expect(await summary(bob, id)).toMatchObject({ request: false });
    await eventually(
      () => folderIds(laptop, 'main'),
      (list) => list.includes(id),
      'the laptop takes it as accepted',
    );
    await eventually(
      () => statuses(alice, id),
      (list) => list[0] === 'read' || list[0] === 'delivered',
      'receipts flow',
    );
  });

  it('"Delete" takes it off both devices; a new message brings it back as a request; "Block" blocks the sender', async () => {
    const { bob, laptop, alice } = await bobAndStrangers();
    const id = await writeToBob(alice, [bob, laptop], ['Buy my course']);
    await bob.answerRequest({ conversationId: id, answer: 'delete' });
    expect(await folderIds(bob, 'all')).toEqual([]);
    await eventually(
      () => folderIds(laptop, 'all'),
      (list) => list.length === 0,
      'gone from the laptop',
    );

    await alice.sendMessage({ conversationId: id, text: 'Last chance' });
    for (const device of [bob, laptop]) {
      await eventually(
        () => folderIds(device, 'requests'),
        (list) => list.includes(id),
        'back as a request',
      );
    }
    await bob.answerRequest({ conversationId: id, answer: 'block' });
    expect(await folderIds(bob, 'all')).toEqual([]);
    expect((await bob.listBlocked()).map((user) => user.username)).toEqual(['alice']);
    await eventually(
      () => laptop.listBlocked(),
      (list) => list.length === 1,
      'the block reaches the laptop',
    );
    expect(await folderIds(laptop, 'all')).toEqual([]);
  });

  it('a group a stranger adds Bob to is a request; "Delete" leaves the group', async () => {
    const { bob, laptop, alice, carol } = await bobAndStrangers();
    const aliceId = await userId(alice);
    const bobId = await userId(bob);
    await carol.findUser({ username: 'bob' });
    await carol.findUser({ username: 'alice' });
    const group = await carol.createGroup({ name: 'Giveaway', memberIds: [aliceId, bobId] });
    await carol.sendMessage({ conversationId: group.id, text: 'Click this link' });
    await eventually(
      () => folderIds(bob, 'requests'),
      (list) => list.includes(group.id),
      'Bob has a request',
    );
    // The name comes sealed behind the creation (after what Carol queued before the group existed).
    await eventually(
      () => summary(bob, group.id),
      (shown) => shown?.title === 'Giveaway',
      'the group named on Bob’s device',
    );
    expect(await summary(bob, group.id)).toMatchObject({ request: true, requestFromName: 'Carol', title: 'Giveaway' });

    await bob.answerRequest({ conversationId: group.id, answer: 'delete' });
    expect(await folderIds(bob, 'all')).not.toContain(group.id);
    await eventually(
      async () => (await carol.getConversationInfo({ conversationId: group.id })).members.map((m) => m.user.username),
      (members) => !members.includes('bob'),
      'Bob left the group',
    );
    await eventually(
      () => folderIds(laptop, 'all'),
      (list) => !list.includes(group.id),
      'gone from the laptop',
    );
  });

  it('"My contacts" in "Who can add me to groups": a stranger’s add is refused with Bob named; a contact’s goes through', async () => {
    const { bob, alice, carol } = await bobAndStrangers();
    const bobId = await userId(bob);
    // Bob writes to Alice first: she is his contact.
    const { id: withAlice } = await bob.startConversation({ username: 'alice' });
    await bob.sendMessage({ conversationId: withAlice, text: 'Hi Alice' });
    await bob.setGroupAdds({ groupAdds: 'contacts' });
    const heard = bob.events.length;
    // In effect here at once; on the server, which refuses the adds, once it no longer waits.
    expect(await bob.getPrivacySettings()).toEqual({ showOnline: 'everyone', groupAdds: 'contacts', waiting: true });
    await eventually(
      () => bob.getPrivacySettings(),
      (privacy) => !privacy.waiting,
      'the server has Bob’s choice',
    );
    // An open Settings dialog hears that it no longer waits.
    expect(bob.events.slice(heard)).toContainEqual({ type: 'settings', conversationIds: [] });

    await carol.findUser({ username: 'bob' });
    const refused = await carol.createGroup({ name: 'Giveaway', memberIds: [bobId] });
    await eventually(
      async () => (await carol.getConversationInfo({ conversationId: refused.id })).failedChanges,
      (failed) => failed.length === 1,
      'the creation is refused',
    );
    expect((await carol.getConversationInfo({ conversationId: refused.id })).failedChanges).toEqual([
      expect.objectContaining({ kind: 'create', error: 'cannot_add_to_groups', people: ['Bob'] }),
    ]);

    await eventually(
      () => folderIds(alice, 'all'),
      (list) => list.includes(withAlice),
      'Alice has Bob’s conversation',
    );
    const group = await alice.createGroup({ name: 'Book club', memberIds: [bobId] });
    await eventually(
      () => folderIds(bob, 'main'),
      (list) => list.includes(group.id),
      'Bob is in Alice’s group, not as a request',
    );
  });
});
