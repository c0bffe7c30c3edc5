import { AppApiError, type ConversationInfo } from '../../sync/app-api/contract.js';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { pct, pick, Step } from './step.js';
import type { SimWorld } from './world.js';

/**
 * What people do to groups: make one (online or offline) with some of the people they know, add,
 * remove, leave, rename, make or unmake admins. Each acts on what the device shows at that
 * moment, so changes made offline by someone who has meanwhile been demoted or removed reach the
 * server and are refused there. A change the device itself refuses (its rules say no) does nothing.
 */

/** Picks people by the bits of `mask`, in the order of the world's people. */
function chosen(world: SimWorld, mask: number, among: (userId: string) => boolean): string[] {
  return world.users.filter((user, index) => (mask & (1 << index)) !== 0 && among(user.id)).map((user) => user.id);
}

export class CreateGroup extends Step {
  constructor(
    readonly device: string,
    /** Bit i: the world's i-th person, if the device knows them. */
    readonly mask: number,
    /** Taken offline first (and left so): the group is made, and written to, before the server hears of it. */
    readonly offline: boolean,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    if (this.offline) world.network.setOffline(this.device);
    const self = world.device(this.device).user.id;
    const known = new Set(world.inspector(this.device).knownUserIds());
    const memberIds = chosen(world, this.mask, (userId) => userId !== self && known.has(userId));
    const name = `group ${world.nextText(this.device)}`;
    const result = await world.act(this.device, (core) => core.createGroup({ name, memberIds }));
    if (result.ok) world.groupMade(result.value.id, [self, ...memberIds]);
  }
  toString() {
    return `createGroup(${this.device}, people ${this.mask.toString(2).padStart(4, '0')}${this.offline ? ', offline' : ''})`;
  }
}

/** A step in one of the groups the device's person is or was in. */
abstract class GroupStep extends Step {
  constructor(
    readonly device: string,
    /** Index into the person's groups, modulo how many they have. */
    readonly group: number,
    /** Taken offline first (and left so): the change waits in the outbox while others change the group. */
    readonly offline: boolean,
  ) {
    super();
  }

  protected where(): string {
    return `${this.device}, group${this.group}${this.offline ? ', offline' : ''}`;
  }

  /** Does something to the group as the device shows it; nothing when it has none (or not this one yet). */
  protected async inGroup(
    world: SimWorld,
    action: (core: ClientCore, info: ConversationInfo) => Promise<unknown> | null,
  ): Promise<void> {
    const groups = world.groupsOf(this.device);
    const conversationId = groups[this.group % Math.max(1, groups.length)]?.id;
    if (!conversationId) return;
    if (this.offline) world.network.setOffline(this.device);
    let info: ConversationInfo;
    try {
      info = await world.device(this.device).core.getConversationInfo({ conversationId });
    } catch (error) {
      if (error instanceof AppApiError && error.code === 'not_found') return;
      throw error;
    }
    await world.act(this.device, (core) => action(core, info) ?? Promise.resolve(null));
  }

  protected others(world: SimWorld, info: ConversationInfo) {
    return info.members.filter((member) => member.user.id !== world.device(this.device).user.id);
  }
}

export class AddMembers extends GroupStep {
  constructor(
    device: string,
    group: number,
    offline: boolean,
    readonly mask: number,
  ) {
    super(device, group, offline);
  }
  async perform(world: SimWorld) {
    const known = new Set(world.inspector(this.device).knownUserIds());
    await this.inGroup(world, (core, info) => {
      const userIds = chosen(
        world,
        this.mask,
        (userId) => known.has(userId) && !info.members.some((member) => member.user.id === userId),
      );
      return userIds.length > 0 ? core.addMembers({ conversationId: info.id, userIds }) : null;
    });
  }
  toString() {
    return `addMembers(${this.where()}, people ${this.mask.toString(2).padStart(4, '0')})`;
  }
}

export class RemoveMember extends GroupStep {
  constructor(
    device: string,
    group: number,
    offline: boolean,
    readonly fraction: number,
  ) {
    super(device, group, offline);
  }
  async perform(world: SimWorld) {
    await this.inGroup(world, (core, info) => {
      const target = pick(this.others(world, info), this.fraction);
      return target ? core.removeMember({ conversationId: info.id, userId: target.user.id }) : null;
    });
  }
  toString() {
    return `removeMember(${this.where()}, ${pct(this.fraction)})`;
  }
}

export class LeaveGroup extends GroupStep {
  async perform(world: SimWorld) {
    await this.inGroup(world, (core, info) => core.leaveGroup({ conversationId: info.id }));
  }
  toString() {
    return `leaveGroup(${this.where()})`;
  }
}

export class RenameGroup extends GroupStep {
  async perform(world: SimWorld) {
    const name = `renamed ${world.nextText(this.device)}`;
    await this.inGroup(world, (core, info) => core.renameGroup({ conversationId: info.id, name }));
  }
  toString() {
    return `renameGroup(${this.where()})`;
  }
}

export class SetRole extends GroupStep {
  constructor(
    device: string,
    group: number,
    offline: boolean,
    readonly fraction: number,
    readonly role: 'admin' | 'member',
  ) {
    super(device, group, offline);
  }
  async perform(world: SimWorld) {
    await this.inGroup(world, (core, info) => {
      const target = pick(this.others(world, info), this.fraction);
      return target ? core.setRole({ conversationId: info.id, userId: target.user.id, role: this.role }) : null;
    });
  }
  toString() {
    return `setRole(${this.where()}, ${pct(this.fraction)}, ${this.role})`;
  }
}
