/**
 * Message requests and "Who can add me to groups" on the server (request-rules.ts): a direct
 * conversation someone else starts, and a group someone who is not your contact puts you in, come
 * to you marked with who it is from (requestFrom) until you write there; with "My contacts", an add
 * by anyone else is refused as a block's is.
 */
import { afterEach, expect, it } from 'vitest';
import type { Conversation, Setting } from '../../../sync/protocol/frames.js';
import { block } from '../../support/blocking.js';
import {
  createGroup,
  createServerHarness,
  groupChange,
  listedConversation,
  newGroupId,
  people,
  type SocketPerson,
  type TestClient,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

let clock = 0;

/** Writes one register as `socket`'s user, with a clock that only moves forward. */
function setSetting(socket: TestClient, setting: Setting) {
  clock += 1;
  return socket.request({ type: 'set_settings', settings: [{ setting, at: clock, by: 'device' }] });
}

async function direct(from: SocketPerson, to: SocketPerson): Promise<Conversation> {
  const { conversation } = await from.socket.call({ type: 'start_conversation', username: to.user.username }, 'conversation');
  return conversation;
}

/** The conversation_added `person`'s socket got (or gets) for `conversationId`. */
async function addedTo(person: SocketPerson, conversationId: string): Promise<Conversation> {
  const push = await person.socket.waitForPush('conversation_added', (frame) => frame.conversation.id === conversationId);
  return push.conversation;
}

/** The conversation as `person` lists it now (list_conversations). */
async function listed(person: SocketPerson, conversationId: string): Promise<Conversation> {
  const conversation = await listedConversation(person.socket, conversationId);
  if (!conversation) throw new Error(`${person.user.username} does not list ${conversationId}`);
  return conversation;
}

/** Who it is a request from, as `person` lists it now; undefined when none. */
async function listedRequest(person: SocketPerson, conversationId: string): Promise<string | undefined> {
  return (await listed(person, conversationId)).requestFrom;
}

describeEachStore('message requests', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('a direct conversation is a request from its starter to the other person until they write there', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const conversation = await direct(alice, bob);

    expect(conversation).not.toHaveProperty('requestFrom');
    expect(await addedTo(bob, conversation.id)).toMatchObject({ id: conversation.id, requestFrom: alice.user.id });
    expect(await listedRequest(bob, conversation.id)).toBe(alice.user.id);
    expect(await listed(alice, conversation.id)).not.toHaveProperty('requestFrom');
    // Asking for it himself answers his own view of it.
    expect(await direct(bob, alice)).toMatchObject({ id: conversation.id, requestFrom: alice.user.id });
    // Her own envelopes change nothing; his first one answers it (any envelope: the server cannot tell what it holds).
    await alice.socket.send(conversation.id, 'a1', 'hi bob');
    expect(await listedRequest(bob, conversation.id)).toBe(alice.user.id);
    await bob.socket.send(conversation.id, 'b1', 'hi alice');
    expect(await listed(bob, conversation.id)).not.toHaveProperty('requestFrom');
    expect(await direct(bob, alice)).not.toHaveProperty('requestFrom');
  });

  it('a group is a request to the people its creator or adder is not a contact of: someone they started, wrote with or accepted', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave, erin } = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'erin');

    // Carol is nobody's contact: her group and her add are requests from her.
    const carols = await createGroup(carol.socket, { memberIds: [bob.user.id] });
    expect(carols).not.toHaveProperty('requestFrom');
    expect(await addedTo(bob, carols.id)).toMatchObject({ requestFrom: carol.user.id });
    expect(await listedRequest(bob, carols.id)).toBe(carol.user.id);
    const another = await createGroup(carol.socket, { memberIds: [] });
    await groupChange(carol.socket, another.id, 'add-dave', { kind: 'add_members', userIds: [dave.user.id] });
    expect(await addedTo(dave, another.id)).toMatchObject({ requestFrom: carol.user.id });
    expect(await listedRequest(dave, another.id)).toBe(carol.user.id);

    // Alice started a direct conversation with Bob: a request to him until he writes there.
    const aliceBob = await direct(alice, bob);
    const before = await createGroup(alice.socket, { memberIds: [bob.user.id] });
    expect(await addedTo(bob, before.id)).toMatchObject({ requestFrom: alice.user.id });
    await bob.socket.send(aliceBob.id, 'b1', 'hi alice');
    const after = await createGroup(alice.socket, { memberIds: [bob.user.id] });
    expect(await addedTo(bob, after.id)).not.toHaveProperty('requestFrom');
    expect(await listedRequest(bob, after.id)).toBeUndefined();

    // Bob adds people to Carol's group, where he is still asked: what they get is from him, as
    // each of them counts him. Alice started their conversation (a contact); Erin never met him.
    await groupChange(carol.socket, carols.id, 'bob-admin', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    await groupChange(bob.socket, carols.id, 'add-both', { kind: 'add_members', userIds: [alice.user.id, erin.user.id] });
    expect(await addedTo(alice, carols.id)).not.toHaveProperty('requestFrom');
    expect(await addedTo(erin, carols.id)).toMatchObject({ requestFrom: bob.user.id });
    expect(await listedRequest(bob, carols.id)).toBe(carol.user.id);

    // Bob accepts Carol's direct conversation: she is his contact then, and no more once he deletes it instead.
    const carolBob = await direct(carol, bob);
    expect(await setSetting(bob.socket, request(carolBob.id, 'accepted'))).toMatchObject({ type: 'settings' });
    const accepted = await createGroup(carol.socket, { memberIds: [bob.user.id] });
    expect(await addedTo(bob, accepted.id)).not.toHaveProperty('requestFrom');
    expect(await setSetting(bob.socket, request(carolBob.id, 'deleted'))).toMatchObject({ type: 'settings' });
    const deleted = await createGroup(carol.socket, { memberIds: [bob.user.id] });
    expect(await addedTo(bob, deleted.id)).toMatchObject({ requestFrom: carol.user.id });

    // A former member is shown nothing of it.
    await groupChange(dave.socket, another.id, 'dave-leaves', { kind: 'leave' });
    const former = await listedConversation(dave.socket, another.id);
    expect(former).toMatchObject({ isMember: false });
    expect(former).not.toHaveProperty('requestFrom');
  });

  it('"Who can add me to groups: My contacts" refuses everyone else\'s creations and adds, storing nothing, until set back', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    // Bob started a conversation with Alice: she is his contact.
    await direct(bob, alice);
    expect(await setSetting(bob.socket, { kind: 'group_adds', value: 'contacts' })).toMatchObject({ type: 'settings' });

    const refusedId = newGroupId();
    expect(
      await carol.socket.request({
        type: 'create_conversation',
        conversationId: refusedId,
        conversation: { kind: 'group', memberIds: [dave.user.id, bob.user.id] },
      }),
    ).toMatchObject({ type: 'error', reason: 'cannot_add_to_groups' });
    expect(await listedConversation(carol.socket, refusedId)).toBeUndefined();
    const withDave = await createGroup(carol.socket, { memberIds: [dave.user.id] });
    expect(
      await carol.socket.request({
        type: 'group_change',
        conversationId: withDave.id,
        clientChangeId: 'add-bob',
        change: { kind: 'add_members', userIds: [bob.user.id] },
      }),
    ).toMatchObject({ type: 'error', reason: 'cannot_add_to_groups' });
    expect((await listedConversation(carol.socket, withDave.id))?.members.map((member) => member.id)).toEqual([
      carol.user.id,
      dave.user.id,
    ]);
    await bob.socket.barrier();
    expect(bob.socket.pushesOf('conversation_added')).toEqual([]);
    await dave.socket.barrier();
    expect(dave.socket.pushesOf('conversation_added').map((push) => push.conversation.id)).toEqual([withDave.id]);

    // His contact may still add him, to a new group or to one she has.
    const alices = await createGroup(alice.socket, { memberIds: [bob.user.id] });
    expect(await addedTo(bob, alices.id)).not.toHaveProperty('requestFrom');
    const later = await createGroup(alice.socket, { memberIds: [] });
    await groupChange(alice.socket, later.id, 'add-bob', { kind: 'add_members', userIds: [bob.user.id] });
    expect(await addedTo(bob, later.id)).not.toHaveProperty('requestFrom');

    expect(await setSetting(bob.socket, { kind: 'group_adds', value: 'everyone' })).toMatchObject({ type: 'settings' });
    await groupChange(carol.socket, withDave.id, 'add-bob-again', { kind: 'add_members', userIds: [bob.user.id] });
    expect(await addedTo(bob, withDave.id)).toMatchObject({ requestFrom: carol.user.id });
  });

  it('a direct conversation kept from someone by a block comes to them as a request once it is lifted', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    await block(bob.socket, alice.user.id);
    const conversation = await direct(alice, bob);
    await block(bob.socket, alice.user.id, false);
    expect(await addedTo(bob, conversation.id)).toMatchObject({ requestFrom: alice.user.id });
  });

  it("answers a request only in a conversation the person is or was in (else conversation_not_found, as for any conversation's setting)", async () => {
    const server = await h.startServer();
    const { bob, carol, dave } = await people(h, server, 'bob', 'carol', 'dave');
    const carolDave = await direct(carol, dave);
    expect(await setSetting(bob.socket, request(carolDave.id, 'accepted'))).toMatchObject({
      type: 'error',
      reason: 'conversation_not_found',
    });
    // Nor does it make Carol his contact.
    const group = await createGroup(carol.socket, { memberIds: [bob.user.id] });
    expect(await addedTo(bob, group.id)).toMatchObject({ requestFrom: carol.user.id });
  });
});

function request(conversationId: string, answer: 'accepted' | 'deleted'): Setting {
  return { kind: 'request', conversationId, value: { answer, seq: 0 } };
}
