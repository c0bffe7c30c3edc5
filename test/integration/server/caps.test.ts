/**
 * Caps on what one person may create in an hour (issue 12): conversations started or made, and
 * people added to groups. Each refusal names its reason; resends of what exists are never counted
 * or refused; the window slides, so an hour later there is room again.
 */
import { afterEach, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import type { FrameRequest, TestClient } from '../../support/server-harness.js';
import { createServerHarness, groupChange, manualRuntime, newGroupId, people } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const HOUR_MS = 60 * 60 * 1000;

async function refusalOf(client: TestClient, frame: FrameRequest) {
  const error = await client.call(frame, 'error');
  return { code: error.code, reason: error.reason };
}

describeEachStore('caps per hour', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('refuses a third new conversation within the hour with too_many_conversations_created; a resend passes; an hour later there is room', async () => {
    const { runtime, clock } = manualRuntime(Date.UTC(2026, 5, 1));
    const server = await h.startServer({ runtime, caps: { conversationsPerHour: 2, membersAddedPerHour: 100 } });
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const direct = (to: { user: { id: string } }): FrameRequest => ({
      type: 'create_conversation',
      conversationId: directConversationId(alice.user.id, to.user.id),
      conversation: { kind: 'direct', userId: to.user.id },
    });
    await alice.socket.call(direct(bob), 'conversation');
    clock.set(Date.UTC(2026, 5, 1) + 10 * 60 * 1000);
    await alice.socket.call(
      {
        type: 'create_conversation',
        conversationId: newGroupId(),
        conversation: { kind: 'group', memberIds: [carol.user.id] },
      },
      'conversation',
    );
    expect(await refusalOf(alice.socket, direct(dave))).toEqual({ code: 'forbidden', reason: 'too_many_conversations_created' });
    // Asking again for one that exists is not a new conversation.
    expect((await alice.socket.call(direct(bob), 'conversation')).conversation.id).toBe(
      directConversationId(alice.user.id, bob.user.id),
    );
    // Others are not held back by Alice's count.
    await dave.socket.call(
      {
        type: 'create_conversation',
        conversationId: directConversationId(dave.user.id, carol.user.id),
        conversation: { kind: 'direct', userId: carol.user.id },
      },
      'conversation',
    );
    // An hour after the first, one place is free again (the window slides).
    clock.set(Date.UTC(2026, 5, 1) + HOUR_MS + 1);
    await alice.socket.call(direct(dave), 'conversation');
  });

  it('refuses adding more people than the hour allows with too_many_members_added, whether at creation or later', async () => {
    const { runtime, clock } = manualRuntime(Date.UTC(2026, 5, 1));
    const server = await h.startServer({ runtime, caps: { conversationsPerHour: 100, membersAddedPerHour: 3 } });
    const { alice, bob, carol, dave, erin } = await people(h, server, 'alice', 'bob', 'carol', 'dave', 'erin');
    const group = newGroupId();
    await alice.socket.call(
      {
        type: 'create_conversation',
        conversationId: group,
        conversation: { kind: 'group', memberIds: [bob.user.id, carol.user.id] },
      },
      'conversation',
    );
    const add = (clientChangeId: string, userIds: string[]): FrameRequest => ({
      type: 'group_change',
      conversationId: group,
      clientChangeId,
      change: { kind: 'add_members', userIds },
    });
    expect(await refusalOf(alice.socket, add('add-two', [dave.user.id, erin.user.id]))).toEqual({
      code: 'forbidden',
      reason: 'too_many_members_added',
    });
    const tooBig: FrameRequest = {
      type: 'create_conversation',
      conversationId: newGroupId(),
      conversation: { kind: 'group', memberIds: [dave.user.id, erin.user.id] },
    };
    expect(await refusalOf(alice.socket, tooBig)).toEqual({ code: 'forbidden', reason: 'too_many_members_added' });
    // Nothing refused was stored: one more person still fits.
    await groupChange(alice.socket, group, 'add-dave', { kind: 'add_members', userIds: [dave.user.id] });
    expect(await refusalOf(alice.socket, add('add-erin', [erin.user.id]))).toEqual({
      code: 'forbidden',
      reason: 'too_many_members_added',
    });
    clock.set(Date.UTC(2026, 5, 1) + HOUR_MS + 1);
    await groupChange(alice.socket, group, 'add-erin-later', { kind: 'add_members', userIds: [erin.user.id] });
  });
});
