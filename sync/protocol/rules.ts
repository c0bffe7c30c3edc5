import type { ConversationKind, GroupChange, Role } from './frames.js';
import type { RefusalReason } from './refusal-reasons.js';

/**
 * Who may change what about a group: one pure module that the server's stores and the client's
 * composer both ask, so the client refuses at once what the server would refuse on arrival.
 * Nothing here reads or writes; callers gather the facts (the server inside the transaction that
 * would store the change, the client from its mirror) and ask. Rules about content, which the
 * server cannot read, are the receiving clients' (sync/content/rules.ts).
 */

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
