import type { Change, ConversationKind, GroupChange, Role } from './frames.js';
import { LIMITS } from './limits.js';
import type { RefusalReason } from './refusal-reasons.js';

/**
 * What a change may do: one pure module that the server's stores and the client's composer both
 * ask, so the client refuses at once what the server would refuse on arrival. Nothing here reads
 * or writes; callers gather the facts (the server inside the transaction that would store the
 * change, the client from its mirror) and ask.
 */

// ---------------------------------------------------------------------------------------------
// Edits, deletes and reactions

/** Why a change to a message was refused. */
export type ChangeRefusal = Extract<
  RefusalReason,
  'no_such_message' | 'not_author' | 'message_deleted' | 'already_deleted' | 'too_many_reactions' | 'not_allowed'
>;

/** Who makes a change, as of the moment it would be stored. */
export interface ChangeActor {
  id: string;
  /** Their role in the conversation (both people of a direct conversation are members). */
  role: Role;
  conversationKind: ConversationKind;
}

/** What is known about the message a change targets. */
export interface ChangeTarget {
  authorId: string;
  deleted: boolean;
  /** The emojis the sender of the change has on the message right now. */
  senderEmojis: ReadonlySet<string>;
}

/**
 * null when the change may be stored. The order matters: authorship before deletion, so a member
 * who is not the author hears "forbidden" whatever the state of the message.
 *
 * A reaction that is already in place (`on` for an emoji the sender has, `off` for one they do not
 * have) is accepted and stored as an event even though it changes nothing: clients apply reactions
 * as set operations, so it converges, and refusing it would show a failure to someone whose two
 * devices both added the same emoji while offline.
 */
export function refuseChange(change: Change, actor: ChangeActor, target: ChangeTarget | null): ChangeRefusal | null {
  if (!target) return 'no_such_message';
  switch (change.kind) {
    case 'edit':
      if (target.authorId !== actor.id) return 'not_author';
      return target.deleted ? 'message_deleted' : null;
    case 'delete':
      if (target.authorId !== actor.id) return 'not_author';
      return target.deleted ? 'already_deleted' : null;
    case 'pin':
      if (!mayPin(actor.conversationKind, actor.role)) return 'not_allowed';
      // Unpinning a deleted message is harmless (it is unpinned already); pinning one is refused.
      return change.on && target.deleted ? 'message_deleted' : null;
    case 'reaction': {
      if (target.deleted) return 'message_deleted';
      const adds = change.on && !target.senderEmojis.has(change.emoji);
      return adds && target.senderEmojis.size >= LIMITS.maxReactionsPerPerson ? 'too_many_reactions' : null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Groups

/** Owner and admins add and remove members and rename the group. */
export function mayManageMembers(role: Role): boolean {
  switch (role) {
    case 'owner':
    case 'admin':
      return true;
    case 'member':
      return false;
  }
}

/** Who pins and unpins messages: in a group owner and admins, in a direct conversation both people. */
export function mayPin(kind: ConversationKind, role: Role): boolean {
  switch (kind) {
    case 'direct':
      return true;
    case 'group':
      return mayManageMembers(role);
  }
}

/** Only the owner makes and unmakes admins. */
export function maySetRoles(role: Role): boolean {
  return role === 'owner';
}

/** Whether `actor` may remove a member whose role is `target`: nobody removes the owner. */
export function mayRemove(actor: Role, target: Role): boolean {
  return mayManageMembers(actor) && target !== 'owner';
}

export type GroupChangeRefusal = Extract<
  RefusalReason,
  | 'not_a_group'
  | 'not_allowed'
  | 'not_a_member'
  | 'already_member'
  | 'cannot_remove_owner'
  | 'role_unchanged'
  | 'too_many_members'
>;

/** What the judge of a group change needs to know, as of the moment it would be stored. */
export interface GroupFacts {
  kind: ConversationKind;
  /** The role of whoever makes the change (they are a member: non-members never get this far). */
  actorId: string;
  actorRole: Role;
  /** The current members' roles by user id. */
  roles: ReadonlyMap<string, Role>;
  /** The most members this server allows in one group. */
  maxMembers: number;
}

/** null when the change may be stored. */
export function refuseGroupChange(change: GroupChange, facts: GroupFacts): GroupChangeRefusal | null {
  if (facts.kind !== 'group') return 'not_a_group';
  switch (change.kind) {
    case 'add_members': {
      if (!mayManageMembers(facts.actorRole)) return 'not_allowed';
      const fresh = new Set(change.userIds.filter((userId) => !facts.roles.has(userId)));
      if (fresh.size === 0) return 'already_member';
      return facts.roles.size + fresh.size > facts.maxMembers ? 'too_many_members' : null;
    }
    case 'remove_member': {
      if (!mayManageMembers(facts.actorRole)) return 'not_allowed';
      const target = facts.roles.get(change.userId);
      if (!target) return 'not_a_member';
      // Yourself: that is leaving, which has its own event (and passes ownership on).
      if (change.userId === facts.actorId) return 'not_allowed';
      return mayRemove(facts.actorRole, target) ? null : 'cannot_remove_owner';
    }
    case 'leave':
      return null;
    case 'rename':
      return mayManageMembers(facts.actorRole) ? null : 'not_allowed';
    case 'set_role': {
      if (!maySetRoles(facts.actorRole)) return 'not_allowed';
      const target = facts.roles.get(change.userId);
      if (!target) return 'not_a_member';
      if (target === 'owner') return 'not_allowed';
      return target === change.role ? 'role_unchanged' : null;
    }
  }
}

/** A member as succession sees them: earlier `joinOrder` joined earlier. */
export interface SuccessionCandidate {
  userId: string;
  role: Role;
  joinOrder: number;
}

/**
 * Who becomes owner when the owner leaves: the earliest-joined admin, else the earliest-joined
 * member; null when nobody is left.
 */
export function successorOf(leaverId: string, members: readonly SuccessionCandidate[]): string | null {
  const others = members.filter((member) => member.userId !== leaverId).sort((a, b) => a.joinOrder - b.joinOrder);
  return (others.find((member) => member.role === 'admin') ?? others[0])?.userId ?? null;
}

/** Who may create a group with whom: not with more people than the server allows. */
export function refuseNewGroup(memberCount: number, maxMembers: number): GroupChangeRefusal | null {
  return memberCount > maxMembers ? 'too_many_members' : null;
}
