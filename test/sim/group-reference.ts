import type { Role } from '../../sync/protocol/frames.js';
import type { AppliedEvent } from '../../sync/content/opened-events.js';
import { mayPin } from '../../sync/protocol/rules.js';

/**
 * What a group's log says about its members, folded independently of the server's tables: the
 * name, the members in join order with their roles, and each person's visibility periods (from
 * the event that added them to the one that removed them, inclusive). On the way it checks that
 * every stored event was allowed when it was stored: its sender a member, group changes made by
 * someone whose role allows them, about someone they may concern, ownership passed on by the rule
 * (earliest-joined admin, else earliest-joined member). A second implementation of
 * protocol/rules.ts, written for clarity.
 */

export interface Period {
  from: number;
  /** Inclusive; null while they are a member. */
  to: number | null;
}

export interface MembershipFold {
  name: string | null;
  /** Sealed renames by someone the rules let rename no more (demoted before it was stored): every device drops them. */
  droppedRenames: Set<number>;
  members: Array<{ id: string; role: Role }>;
  /** userId → visibility periods, oldest first. */
  periods: Map<string, Period[]>;
  problems: string[];
}

/** A direct conversation: both people see all of it, as plain members, and it has no name. */
export function directFold(memberIds: readonly string[]): MembershipFold {
  return {
    name: null,
    droppedRenames: new Set(),
    members: memberIds.map((id) => ({ id, role: 'member' as const })),
    periods: new Map(memberIds.map((id) => [id, [{ from: 1, to: null }]])),
    problems: [],
  };
}

/**
 * `events`: the log with its envelopes opened. A rename is content the server could not judge: one
 * the rules refuse is dropped, as every device drops it, rather than a fault.
 */
export function foldGroup(events: readonly AppliedEvent[]): MembershipFold {
  const fold: MembershipFold = {
    name: null,
    droppedRenames: new Set(),
    members: [],
    periods: new Map(),
    problems: [],
  };
  const role = (userId: string) => fold.members.find((member) => member.id === userId)?.role;
  const join = (userId: string, as: Role, seq: number) => {
    fold.members.push({ id: userId, role: as });
    fold.periods.set(userId, [...(fold.periods.get(userId) ?? []), { from: seq, to: null }]);
  };
  const depart = (userId: string, seq: number) => {
    fold.members = fold.members.filter((member) => member.id !== userId);
    const last = fold.periods.get(userId)?.at(-1);
    if (last) last.to = seq;
  };
  const refuse = (event: AppliedEvent, why: string) =>
    fold.problems.push(`${event.kind} at seq ${event.seq} by ${event.senderId}: ${why}`);
  const manager = (event: AppliedEvent) => {
    const actor = role(event.senderId);
    if (actor !== 'owner' && actor !== 'admin') refuse(event, `stored although the sender is ${actor ?? 'no member'}`);
  };

  for (const event of events) {
    if (event.kind === 'group_created') {
      if (event.seq !== 1) refuse(event, 'a creation that is not the first event');
      const [creator, ...others] = event.members;
      if (creator?.id !== event.senderId || creator.role !== 'owner') refuse(event, 'the creator is not listed first as owner');
      if (others.some((member) => member.role !== 'member')) refuse(event, 'a first member who is not a plain member');
      fold.name = event.name;
      for (const member of event.members) join(member.id, member.role, event.seq);
      continue;
    }
    if (event.seq === 1) refuse(event, 'a group whose first event is not its creation');
    if (!role(event.senderId)) {
      refuse(event, 'stored from someone who is not a member');
      continue;
    }
    switch (event.kind) {
      case 'message':
      case 'edit':
      case 'delete':
      case 'reaction':
      case 'message_state':
      case 'envelope':
      case 'disappearing_timer_set':
      case 'disappearing_policy_set':
        // Who may set the timer is every device's rule, not the server's (device-invariants.ts checks what shows).
        break;
      case 'pin':
        if (!mayPin('group', role(event.senderId)!)) refuse(event, 'a pin by a plain member');
        break;
      case 'call_ended':
        // A group keeps only that its calls began; how a call ended is a direct conversation's (content/rules.ts).
        if (event.outcome !== 'group_started') refuse(event, 'a one-to-one call’s entry in a group');
        break;
      case 'members_added':
        manager(event);
        for (const member of event.members) {
          if (role(member.id)) refuse(event, `adds ${member.id}, who is a member already`);
          else join(member.id, 'member', event.seq);
        }
        break;
      case 'member_removed': {
        manager(event);
        const target = role(event.userId);
        if (!target || target === 'owner' || event.userId === event.senderId)
          refuse(event, `removes ${event.userId}, who is ${target ?? 'no member'}`);
        depart(event.userId, event.seq);
        break;
      }
      case 'member_left': {
        const wasOwner = role(event.senderId) === 'owner';
        depart(event.senderId, event.seq);
        const successor = wasOwner
          ? ((fold.members.find((member) => member.role === 'admin') ?? fold.members[0])?.id ?? null)
          : null;
        if (event.newOwnerId !== successor) refuse(event, `names ${event.newOwnerId} the new owner, the rule names ${successor}`);
        const heir = fold.members.find((member) => member.id === event.newOwnerId);
        if (heir) heir.role = 'owner';
        break;
      }
      case 'group_renamed': {
        const actor = role(event.senderId);
        if (actor === 'owner' || actor === 'admin') fold.name = event.name;
        else fold.droppedRenames.add(event.seq);
        break;
      }
      case 'role_changed': {
        if (role(event.senderId) !== 'owner') refuse(event, `stored although the sender is ${role(event.senderId)}`);
        const target = fold.members.find((member) => member.id === event.userId);
        if (!target || target.role === 'owner' || target.role === event.role)
          refuse(event, `makes ${event.userId} ${event.role}, who is ${target?.role ?? 'no member'}`);
        if (target) target.role = event.role;
        break;
      }
    }
  }
  return fold;
}

/**
 * What a device shows of a group's name after its part of the log: the name last given (none
 * before the first it may read), and the renames shown as notices: those that change a name it
 * had (sync/client/mirror/membership.ts), not the first naming nor one sealed again unchanged.
 */
export function namingSeen(
  visible: readonly AppliedEvent[],
  dropped: ReadonlySet<number>,
): { name: string | null; renameNotices: Set<number> } {
  let name: string | null = null;
  const renameNotices = new Set<number>();
  for (const event of visible) {
    if (event.kind === 'group_created') name = event.name;
    if (event.kind !== 'group_renamed' || dropped.has(event.seq)) continue;
    if (name !== null && name !== event.name) renameNotices.add(event.seq);
    name = event.name;
  }
  return { name, renameNotices };
}

/** Whether `seq` lies in one of the periods. */
export function within(periods: readonly Period[], seq: number): boolean {
  return periods.some((period) => seq >= period.from && (period.to === null || seq <= period.to));
}

/** The part of the log a person may see (nothing, if they were never in it). */
export function visibleEvents(events: readonly AppliedEvent[], periods: readonly Period[] | undefined): AppliedEvent[] {
  return periods ? events.filter((event) => within(periods, event.seq)) : [];
}
