/**
 * A block keeps two people out of each other's groups: whoever blocked whom, neither can put the other
 * in a new group or add them to one, and the refusal does not say why. Lifting the block lifts it.
 */
import { afterEach, expect, it } from 'vitest';
import { createGroup, createServerHarness, newGroupId, people, type TestClient } from '../../support/server-harness.js';
import { block } from '../../support/blocking.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('blocks and groups', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('keep a blocked person from putting the blocker in a group, and the blocker from adding them, until unblocked', async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    await block(alice.socket, mallory.user.id);

    const newGroup = (socket: TestClient, memberIds: string[]) =>
      socket.request({
        type: 'create_conversation',
        conversationId: newGroupId(),
        conversation: { kind: 'group', name: 'Surprise', memberIds },
      });
    expect(await newGroup(mallory.socket, [bob.user.id, alice.user.id])).toMatchObject({
      type: 'error',
      reason: 'cannot_add_to_groups',
    });
    const withBob = await createGroup(mallory.socket, { name: 'Just Bob', memberIds: [bob.user.id] });
    const add = (socket: TestClient, conversationId: string, userId: string, clientChangeId: string) =>
      socket.request({
        type: 'group_change',
        conversationId,
        clientChangeId,
        change: { kind: 'add_members', userIds: [userId] },
      });
    expect(await add(mallory.socket, withBob.id, alice.user.id, 'add-alice')).toMatchObject({
      type: 'error',
      reason: 'cannot_add_to_groups',
    });
    // The blocker's side too: she cannot bring him in either.
    expect(await newGroup(alice.socket, [mallory.user.id])).toMatchObject({ type: 'error', reason: 'cannot_add_to_groups' });
    await alice.socket.barrier();
    expect(alice.socket.pushesOf('conversation_added')).toEqual([]);

    await block(alice.socket, mallory.user.id, false);
    expect(await add(mallory.socket, withBob.id, alice.user.id, 'add-alice-again')).toMatchObject({ type: 'sent' });
    expect(await alice.socket.waitForPush('conversation_added')).toMatchObject({ conversation: { id: withBob.id } });
  });
});
