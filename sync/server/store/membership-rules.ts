import { directConversationId, looksLikeDirectId } from '../../common/conversation-ids.js';
import type { ConversationKind, GroupChangeEvent, GroupCreatedEvent, Role, User } from '../../protocol/frames.js';
import { DEFAULT_GROUP_ADDS, mayAddToGroups } from '../../protocol/request-rules.js';
import { refuseGroupChange, refuseNewGroup, successorOf } from '../../protocol/rules.js';
import { answerResend, refused, type AppendFacts } from './append-rules.js';
import type { CreateResult, NewConversationInput, NewGroupChange, Refused } from './server-store.js';

/**
 * Who may make which conversation and change who is in a group, for every store: the store gathers
 * the facts inside the transaction that would store the change (after it holds the conversation),
 * asks here, and applies what is accepted; nothing here reads or writes.
 */

/** A direct conversation's own checks: not with yourself, and only under the id derived from the pair. */
export function refuseDirect(conversationId: string, creatorId: string, otherId: string): Refused | null {
  if (otherId === creatorId) return refused('start_with_yourself');
  if (conversationId !== directConversationId(creatorId, otherId)) return refused('bad_conversation_id');
  return null;
}

/** What decides whether the actor may put people in a group, and to whom it is a request (request-rules.ts). */
export interface AddFacts {
  /** Everyone with a block between them and the actor, either way. */
  blockedWithActor: ReadonlySet<string>;
  /** Those who treat the actor as their contact. */
  treatActorAsContact: ReadonlySet<string>;
  /** Those (at least among the people added) whose "Who can add me to groups" is "My contacts". */
  groupAddsRestricted: ReadonlySet<string>;
}

/**
 * The people an actor adds to a group: refused when any of them has a block with the actor or lets
 * only contacts add them and does not count the actor as one (cannot_add_to_groups either way,
 * which does not say why); else those to whom it is a request, not treating the actor as a contact.
 */
function judgeAdditions(added: readonly string[], facts: AddFacts): Refused | { requestedIds: string[] } {
  // A block either way keeps people out of each other's groups (protocol/settings.ts).
  if (added.some((userId) => facts.blockedWithActor.has(userId))) return refused('cannot_add_to_groups');
  const allowed = added.every((userId) =>
    mayAddToGroups(
      facts.groupAddsRestricted.has(userId) ? 'contacts' : DEFAULT_GROUP_ADDS,
      facts.treatActorAsContact.has(userId),
    ),
  );
  if (!allowed) return refused('cannot_add_to_groups');
  return { requestedIds: added.filter((userId) => !facts.treatActorAsContact.has(userId)) };
}

/** A new group's people as its creation names them: the creator as owner first, then the others. */
export type NewGroupMembers = (User & { role: Role })[];

/**
 * A new group's checks: an id no direct conversation could have, no more people than the server
 * allows, and every one of them a user (`users`: those found among the creator and the named).
 */
export function planNewGroup(
  input: NewConversationInput,
  memberIds: readonly string[],
  users: ReadonlyMap<string, User>,
  addFacts: AddFacts,
): Refused | { status: 'accepted'; members: NewGroupMembers; requestedIds: string[] } {
  const { conversationId, creatorId } = input;
  if (looksLikeDirectId(conversationId)) return refused('bad_conversation_id');
  const others = [...new Set(memberIds)].filter((userId) => userId !== creatorId);
  const tooMany = refuseNewGroup(others.length + 1, input.maxMembers);
  if (tooMany) return refused(tooMany);
  const creator = users.get(creatorId);
  const found = others.flatMap((userId) => users.get(userId) ?? []);
  if (!creator || found.length < others.length) return refused('no_such_user');
  const additions = judgeAdditions(others, addFacts);
  if ('status' in additions) return additions;
  return {
    status: 'accepted',
    members: [{ ...creator, role: 'owner' }, ...found.map((user) => ({ ...user, role: 'member' as const }))],
    requestedIds: additions.requestedIds,
  };
}

/** A group's id was taken: idempotent for its creator (a resend after a lost reply), taken for anyone else. */
export function answerTakenGroupId(
  existing: { kind: ConversationKind; created_by: string } | null,
  creatorId: string,
): CreateResult {
  return existing?.kind === 'group' && existing.created_by === creatorId
    ? { status: 'existing' }
    : refused('conversation_id_taken');
}

/** A group's creation: its first members, and no name (a group's name is sealed content). */
export function groupCreatedEvent(input: NewConversationInput, seq: number, members: NewGroupMembers): GroupCreatedEvent {
  return {
    kind: 'group_created',
    conversationId: input.conversationId,
    seq,
    senderId: input.creatorId,
    sentAt: input.createdAt,
    name: null,
    members,
  };
}

export interface GroupChangeFacts extends AppendFacts, AddFacts {
  /** The conversation's kind (null when it does not exist). */
  kind: ConversationKind | null;
  /** The current members, with the sender among them when they are one. */
  members: readonly { user_id: string; role: Role; join_order: number }[];
  /** The users an addition names, those that exist. */
  users: ReadonlyMap<string, User>;
}

/** What an accepted group change does, for the store to apply with the event's seq. */
export interface GroupChangePlan {
  status: 'accepted';
  eventAt(seq: number): GroupChangeEvent;
  /** Who joins as a member (in this order), from the event on. */
  added: string[];
  /** Those of `added` to whom it is a request from the sender (members.request_from). */
  requestedIds: string[];
  /** Who leaves or is removed: their period ends with the event, which they still receive. */
  removed: string | null;
  /** A role given: by the owner, or to the successor of an owner who leaves. */
  newRole: { userId: string; role: Role } | null;
}

/** Adds, removes, leaves or changes a role: resend or stranger first, then the rules (protocol/rules.ts). */
export function judgeGroupChange(
  input: NewGroupChange,
  facts: GroupChangeFacts,
): { status: 'duplicate'; event: GroupChangeEvent } | Refused | GroupChangePlan {
  const { conversationId, senderId, change } = input;
  const answered = answerResend(
    facts,
    conversationId,
    (event): event is GroupChangeEvent => event.kind === EVENT_OF[change.kind],
  );
  if (answered) return answered;
  const roles = new Map(facts.members.map((member) => [member.user_id, member.role]));
  // answerResend has made sure they are a member, so the conversation and their role exist.
  const actorRole = roles.get(senderId) as Role;
  const reason = refuseGroupChange(change, {
    kind: facts.kind as ConversationKind,
    actorId: senderId,
    actorRole,
    roles,
    maxMembers: input.maxMembers,
  });
  if (reason) return refused(reason);

  const base = { conversationId, senderId, sentAt: input.sentAt, clientChangeId: input.clientChangeId };
  const plan = { status: 'accepted' as const, added: [], requestedIds: [], removed: null, newRole: null };
  switch (change.kind) {
    case 'add_members': {
      const fresh = [...new Set(change.userIds)].filter((userId) => !roles.has(userId));
      const users = fresh.flatMap((userId) => facts.users.get(userId) ?? []);
      if (users.length < fresh.length) return refused('no_such_user');
      const additions = judgeAdditions(fresh, facts);
      if ('status' in additions) return additions;
      return {
        ...plan,
        added: fresh,
        requestedIds: additions.requestedIds,
        eventAt: (seq) => ({ kind: 'members_added', ...base, seq, members: users }),
      };
    }
    case 'remove_member':
      return {
        ...plan,
        removed: change.userId,
        eventAt: (seq) => ({ kind: 'member_removed', ...base, seq, userId: change.userId }),
      };
    case 'leave': {
      const candidates = facts.members.map((member) => ({
        userId: member.user_id,
        role: member.role,
        joinOrder: member.join_order,
      }));
      const newOwnerId = actorRole === 'owner' ? successorOf(senderId, candidates) : null;
      return {
        ...plan,
        removed: senderId,
        newRole: newOwnerId ? { userId: newOwnerId, role: 'owner' } : null,
        eventAt: (seq) => ({ kind: 'member_left', ...base, seq, newOwnerId }),
      };
    }
    case 'set_role':
      return {
        ...plan,
        newRole: { userId: change.userId, role: change.role },
        eventAt: (seq) => ({ kind: 'role_changed', ...base, seq, userId: change.userId, role: change.role }),
      };
  }
}

/** Which event each group change makes: how a resend is told apart from a reused client id. */
const EVENT_OF = {
  add_members: 'members_added',
  remove_member: 'member_removed',
  leave: 'member_left',
  set_role: 'role_changed',
} as const satisfies Record<NewGroupChange['change']['kind'], GroupChangeEvent['kind']>;
