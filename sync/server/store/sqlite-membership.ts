import { directConversationId, looksLikeDirectId } from '../../common/conversation-ids.js';
import type { GroupChangeEvent, GroupCreatedEvent, Role, User } from '../../protocol/frames.js';
import { refuseGroupChange, refuseNewGroup, successorOf, type GroupFacts } from '../../protocol/rules.js';
import type { CreateResult, GroupChangeResult, NewConversationInput, NewGroupChange } from './server-store.js';
import { directPairKey } from './server-store.js';
import { memberIds, nextSeq, refused, resendOrStranger } from './sqlite-event-log.js';
import { keepNewDirectFrom, revealDirectTo } from './sqlite-settings.js';
import { toEventRow, toUser, type ConversationRow, type UserRow } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

/**
 * Creating conversations and changing who is in a group. Each function runs inside one write
 * transaction (the store wraps them): the checks, the sequence number, the event, the member rows
 * and the visibility periods commit together or not at all.
 */

export function createConversationIn(s: Statements, input: NewConversationInput): CreateResult {
  const { conversationId, creatorId, conversation } = input;
  switch (conversation.kind) {
    case 'direct': {
      if (conversation.userId === creatorId) return { status: 'refused', reason: 'start_with_yourself' };
      if (conversationId !== directConversationId(creatorId, conversation.userId)) {
        return { status: 'refused', reason: 'bad_conversation_id' };
      }
      if (!s.userById.get(conversation.userId)) return { status: 'refused', reason: 'no_such_user' };
      const pairKey = directPairKey(creatorId, conversation.userId);
      const inserted = s.insertConversation.run({
        id: conversationId,
        kind: 'direct',
        pairKey,
        name: null,
        createdBy: creatorId,
        createdAt: input.createdAt,
      });
      if (inserted.changes === 0) {
        // The pair's conversation exists (the other person made it first, or this is a resend):
        // it is theirs too. Anything else holding the id is another conversation.
        const existing = s.conversationByPair.get(pairKey) as ConversationRow | undefined;
        if (existing?.id !== conversationId) return { status: 'refused', reason: 'conversation_id_taken' };
        // Kept from them while a block stands, until they ask for it themselves.
        revealDirectTo(s, conversationId, creatorId);
        return { status: 'existing' };
      }
      for (const userId of [creatorId, conversation.userId]) addMember(s, conversationId, userId, 'member', 1);
      // Made while a block stands between the pair: the other person is not told of it.
      const keptFrom = keepNewDirectFrom(s, conversationId, creatorId, conversation.userId);
      return {
        status: 'created',
        memberIds: memberIds(s, conversationId).filter((userId) => userId !== keptFrom),
        event: null,
      };
    }
    case 'group': {
      if (looksLikeDirectId(conversationId)) return { status: 'refused', reason: 'bad_conversation_id' };
      const others = [...new Set(conversation.memberIds)].filter((userId) => userId !== creatorId);
      const tooMany = refuseNewGroup(others.length + 1, input.maxMembers);
      if (tooMany) return { status: 'refused', reason: tooMany };
      const creator = userOrNull(s, creatorId);
      const users = others.map((userId) => userOrNull(s, userId));
      if (!creator || users.some((user) => user === null)) return { status: 'refused', reason: 'no_such_user' };
      const inserted = s.insertConversation.run({
        id: conversationId,
        kind: 'group',
        pairKey: null,
        name: conversation.name,
        createdBy: creatorId,
        createdAt: input.createdAt,
      });
      if (inserted.changes === 0) {
        // Idempotent for its creator (a resend after a lost reply), taken for anyone else.
        const existing = s.conversationById.get(conversationId) as ConversationRow | undefined;
        return existing?.kind === 'group' && existing.created_by === creatorId
          ? { status: 'existing' }
          : { status: 'refused', reason: 'conversation_id_taken' };
      }
      const members = [
        { ...creator, role: 'owner' as const },
        ...(users as User[]).map((user) => ({ ...user, role: 'member' as const })),
      ];
      const event: GroupCreatedEvent = {
        kind: 'group_created',
        conversationId,
        seq: nextSeq(s, conversationId),
        senderId: creatorId,
        sentAt: input.createdAt,
        name: conversation.name,
        members,
      };
      s.insertEvent.run(toEventRow(event));
      for (const member of members) addMember(s, conversationId, member.id, member.role, event.seq);
      return { status: 'created', memberIds: memberIds(s, conversationId), event };
    }
  }
}

export function appendGroupChangeIn(s: Statements, input: NewGroupChange): GroupChangeResult {
  const { conversationId, senderId, clientChangeId, change } = input;
  const answered = resendOrStranger(
    s,
    conversationId,
    senderId,
    clientChangeId,
    (event): event is GroupChangeEvent => event.kind === EVENT_OF[change.kind],
  );
  if (answered) return answered;
  const actor = s.membership.get(conversationId, senderId) as { role: Role };
  const conversation = s.conversationById.get(conversationId) as ConversationRow;
  const members = s.rolesOf.all(conversationId) as { user_id: string; role: Role; join_order: number }[];
  const facts: GroupFacts = {
    kind: conversation.kind,
    actorId: senderId,
    actorRole: actor.role,
    roles: new Map(members.map((member) => [member.user_id, member.role])),
    maxMembers: input.maxMembers,
  };
  const reason = refuseGroupChange(change, facts);
  if (reason) return refused(reason);

  const base = { conversationId, seq: 0, senderId, sentAt: input.sentAt, clientChangeId };
  /** Who hears of it besides the members after it: the person it removed. */
  let departed: string | null = null;
  let added: string[] = [];
  let event: GroupChangeEvent;
  switch (change.kind) {
    case 'add_members': {
      const fresh = [...new Set(change.userIds)].filter((userId) => !facts.roles.has(userId));
      const users = fresh.map((userId) => userOrNull(s, userId));
      if (users.some((user) => user === null)) return refused('no_such_user');
      base.seq = nextSeq(s, conversationId);
      event = { kind: 'members_added', ...base, members: users as User[] };
      for (const userId of fresh) addMember(s, conversationId, userId, 'member', base.seq);
      added = fresh;
      break;
    }
    case 'remove_member':
      base.seq = nextSeq(s, conversationId);
      event = { kind: 'member_removed', ...base, userId: change.userId };
      removeMember(s, conversationId, change.userId, base.seq);
      departed = change.userId;
      break;
    case 'leave': {
      base.seq = nextSeq(s, conversationId);
      const candidates = members.map((member) => ({ userId: member.user_id, role: member.role, joinOrder: member.join_order }));
      const newOwnerId = actor.role === 'owner' ? successorOf(senderId, candidates) : null;
      event = { kind: 'member_left', ...base, newOwnerId };
      removeMember(s, conversationId, senderId, base.seq);
      if (newOwnerId) s.setRole.run('owner', conversationId, newOwnerId);
      departed = senderId;
      break;
    }
    case 'rename':
      base.seq = nextSeq(s, conversationId);
      event = { kind: 'group_renamed', ...base, name: change.name };
      s.rename.run(change.name, conversationId);
      break;
    case 'set_role':
      base.seq = nextSeq(s, conversationId);
      event = { kind: 'role_changed', ...base, userId: change.userId, role: change.role };
      s.setRole.run(change.role, conversationId, change.userId);
      break;
  }
  s.insertEvent.run(toEventRow(event));
  const recipients = memberIds(s, conversationId);
  if (departed) recipients.push(departed);
  return { status: 'stored', event, memberIds: recipients, addedIds: added };
}

/** Which event each group change makes: how a resend is told apart from a reused client id. */
const EVENT_OF = {
  add_members: 'members_added',
  remove_member: 'member_removed',
  leave: 'member_left',
  rename: 'group_renamed',
  set_role: 'role_changed',
} as const satisfies Record<NewGroupChange['change']['kind'], GroupChangeEvent['kind']>;

/**
 * A new member: their row (with watermarks at the event before the one that added them, as
 * nothing earlier is theirs to receive) and a visibility period from that event on.
 */
function addMember(s: Statements, conversationId: string, userId: string, role: Role, fromSeq: number): void {
  const { join_order: joinOrder } = s.nextJoinOrder.get(conversationId) as { join_order: number };
  s.insertMember.run({ conversationId, userId, role, joinOrder, seenSeq: fromSeq - 1 });
  s.openPeriod.run(conversationId, userId, fromSeq);
}

/** The member row goes; their period ends with the event that removed them (which they receive). */
function removeMember(s: Statements, conversationId: string, userId: string, atSeq: number): void {
  s.deleteMember.run(conversationId, userId);
  s.closePeriod.run(atSeq, conversationId, userId);
}

function userOrNull(s: Statements, userId: string): User | null {
  const row = s.userById.get(userId) as UserRow | undefined;
  return row ? toUser(row) : null;
}
