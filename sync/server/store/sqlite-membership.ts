import { capWindowStart, refuseMemberAdditions, refuseNewConversation, type CreationCaps } from './cap-rules.js';
import type { Role, User } from '../../protocol/frames.js';
import {
  answerTakenGroupId,
  groupCreatedEvent,
  judgeGroupChange,
  planNewGroup,
  refuseDirect,
  type AddFacts,
} from './membership-rules.js';
import { refused } from './append-rules.js';
import type { CreateResult, GroupChangeResult, NewConversationInput, NewGroupChange, Refused } from './server-store.js';
import { directPairKey } from './server-store.js';
import { appendFactsIn, memberIds, nextSeq } from './sqlite-event-log.js';
import { blockedWithIn, keepNewDirectFrom, revealDirectTo } from './sqlite-settings.js';
import { toEventRow } from './sqlite-rows.js';
import { toUser, type ConversationRow, type UserRow } from './store-rows.js';
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
      const refusal = refuseDirect(conversationId, creatorId, conversation.userId);
      if (refusal) return refusal;
      if (!s.userById.get(conversation.userId)) return refused('no_such_user');
      const overCap = refuseNewConversationIn(s, input);
      if (overCap) return overCap;
      const pairKey = directPairKey(creatorId, conversation.userId);
      const inserted = s.insertConversation.run({
        id: conversationId,
        kind: 'direct',
        pairKey,
        createdBy: creatorId,
        createdAt: input.createdAt,
      });
      if (inserted.changes === 0) {
        // The pair's conversation exists (the other person made it first, or this is a resend):
        // it is theirs too. Anything else holding the id is another conversation.
        const existing = s.conversationByPair.get(pairKey) as ConversationRow | undefined;
        if (existing?.id !== conversationId) return refused('conversation_id_taken');
        // Kept from them while a block stands, until they ask for it themselves.
        revealDirectTo(s, conversationId, creatorId);
        return { status: 'existing' };
      }
      // Started by the creator: to the other person it is a request from them (request-rules.ts).
      addMember(s, conversationId, creatorId, 'member', 1, null);
      addMember(s, conversationId, conversation.userId, 'member', 1, creatorId);
      // Made while a block stands between the pair: the other person is not told of it.
      const keptFrom = keepNewDirectFrom(s, conversationId, creatorId, conversation.userId);
      return {
        status: 'created',
        memberIds: memberIds(s, conversationId).filter((userId) => userId !== keptFrom),
        event: null,
        requestedIds: [conversation.userId],
      };
    }
    case 'group': {
      const users = new Map<string, User>();
      for (const userId of [creatorId, ...conversation.memberIds]) {
        const row = s.userById.get(userId) as UserRow | undefined;
        if (row) users.set(userId, toUser(row));
      }
      const plan = planNewGroup(input, conversation.memberIds, users, addFactsIn(s, creatorId, conversation.memberIds));
      if (plan.status === 'refused') return plan;
      const taken = s.conversationById.get(conversationId) as ConversationRow | undefined;
      if (taken) return answerTakenGroupId(taken, creatorId);
      const added = plan.members.length - 1;
      const overCap = refuseNewConversationIn(s, input) ?? refuseAdditionsIn(s, creatorId, input.caps, input.createdAt, added);
      if (overCap) return overCap;
      const inserted = s.insertConversation.run({
        id: conversationId,
        kind: 'group',
        pairKey: null,
        createdBy: creatorId,
        createdAt: input.createdAt,
      });
      if (inserted.changes === 0) {
        return answerTakenGroupId((s.conversationById.get(conversationId) as ConversationRow | undefined) ?? null, creatorId);
      }
      recordAdditionsIn(s, creatorId, input.createdAt, added);
      const event = groupCreatedEvent(input, nextSeq(s, conversationId), plan.members);
      s.insertEvent.run(toEventRow(event));
      const requested = new Set(plan.requestedIds);
      for (const member of plan.members) {
        addMember(s, conversationId, member.id, member.role, event.seq, requested.has(member.id) ? creatorId : null);
      }
      return { status: 'created', memberIds: memberIds(s, conversationId), event, requestedIds: plan.requestedIds };
    }
  }
}

export function appendGroupChangeIn(s: Statements, input: NewGroupChange): GroupChangeResult {
  const { conversationId, senderId, clientChangeId, change } = input;
  const named = change.kind === 'add_members' ? change.userIds : [];
  const users = new Map<string, User>();
  for (const userId of named) {
    const row = s.userById.get(userId) as UserRow | undefined;
    if (row) users.set(userId, toUser(row));
  }
  const conversation = s.conversationById.get(conversationId) as ConversationRow | undefined;
  const plan = judgeGroupChange(input, {
    ...appendFactsIn(s, conversationId, senderId, clientChangeId),
    kind: conversation?.kind ?? null,
    members: s.rolesOf.all(conversationId) as { user_id: string; role: Role; join_order: number }[],
    users,
    ...addFactsIn(s, senderId, named),
  });
  if (plan.status !== 'accepted') return plan;
  const overCap = refuseAdditionsIn(s, senderId, input.caps, input.sentAt, plan.added.length);
  if (overCap) return overCap;
  recordAdditionsIn(s, senderId, input.sentAt, plan.added.length);

  const event = plan.eventAt(nextSeq(s, conversationId));
  const requested = new Set(plan.requestedIds);
  for (const userId of plan.added) {
    addMember(s, conversationId, userId, 'member', event.seq, requested.has(userId) ? senderId : null);
  }
  if (plan.removed) removeMember(s, conversationId, plan.removed, event.seq);
  if (plan.newRole) s.setRole.run(plan.newRole.role, conversationId, plan.newRole.userId);
  s.insertEvent.run(toEventRow(event));
  // Who hears of it: the members after it, and the person it removed.
  const recipients = memberIds(s, conversationId);
  if (plan.removed) recipients.push(plan.removed);
  return { status: 'stored', event, memberIds: recipients, addedIds: plan.added, requestedIds: plan.requestedIds };
}

/**
 * What an add by `actorId` of the `named` people is judged on (membership-rules.ts): nothing to
 * read when it names nobody.
 */
function addFactsIn(s: Statements, actorId: string, named: readonly string[]): AddFacts {
  if (named.length === 0) return { blockedWithActor: new Set(), treatActorAsContact: new Set(), groupAddsRestricted: new Set() };
  return {
    blockedWithActor: new Set(blockedWithIn(s, actorId)),
    treatActorAsContact: new Set((s.treatAsContact.all({ userId: actorId }) as { user_id: string }[]).map((row) => row.user_id)),
    groupAddsRestricted: new Set(named.filter((userId) => s.groupAddsRestricted.get(userId) !== undefined)),
  };
}

/**
 * A new member: their row (with watermarks at the event before the one that added them, as
 * nothing earlier is theirs to receive; who it is a request from, if anyone) and a visibility
 * period from that event on.
 */
function addMember(
  s: Statements,
  conversationId: string,
  userId: string,
  role: Role,
  fromSeq: number,
  requestFrom: string | null,
): void {
  const { join_order: joinOrder } = s.nextJoinOrder.get(conversationId) as { join_order: number };
  s.insertMember.run({ conversationId, userId, role, joinOrder, seenSeq: fromSeq - 1, requestFrom });
  s.openPeriod.run(conversationId, userId, fromSeq);
}

/** The member row goes; their period ends with the event that removed them (which they receive). */
function removeMember(s: Statements, conversationId: string, userId: string, atSeq: number): void {
  s.deleteMember.run(conversationId, userId);
  s.closePeriod.run(atSeq, conversationId, userId);
}

/** A conversation that does not exist yet, refused when its creator made their hour's share already. */
function refuseNewConversationIn(s: Statements, input: NewConversationInput): Refused | null {
  if (s.conversationById.get(input.conversationId)) return null;
  const created = s.conversationsCreatedSince.get(input.creatorId, capWindowStart(input.createdAt)) as number;
  return refuseNewConversation(input.caps, created);
}

function refuseAdditionsIn(s: Statements, userId: string, caps: CreationCaps, now: number, adding: number): Refused | null {
  if (adding === 0) return null;
  return refuseMemberAdditions(caps, s.membersAddedSince.get(userId, capWindowStart(now)) as number, adding);
}

/** Counts `adding` people added by `userId` now, forgetting additions too old to count. */
function recordAdditionsIn(s: Statements, userId: string, now: number, adding: number): void {
  if (adding === 0) return;
  s.forgetAdditionsBefore.run(userId, capWindowStart(now));
  s.recordAddition.run(userId, now, adding);
}
