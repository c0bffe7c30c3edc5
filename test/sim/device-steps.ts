import { pct, Step } from './step.js';
import type { SimWorld } from './world.js';

/**
 * Devices coming and going: a person signs in on a new machine, links it from one of their
 * devices or restores it with the recovery key, unlinks a device, or loses one (its disk kept, as
 * a thief would keep it). Settling finishes any linking left waiting (world.finishLinking).
 */

/** The person signs in with their password on a new machine: it shows a link code until linked. */
export class AddDevice extends Step {
  constructor(readonly user: number) {
    super();
  }
  async perform(world: SimWorld) {
    await world.addDevice(this.user);
  }
  toString() {
    return `addDevice(user${this.user})`;
  }
}

/** "Link a new device" on this device, with the code one of the person's waiting devices shows. */
export class LinkDevice extends Step {
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    const { user } = world.device(this.device);
    const waiting = world.devices.find((candidate) => candidate.user.id === user.id && !candidate.linked);
    if (waiting) void world.link(this.device, waiting.name);
  }
  toString() {
    return `link(from ${this.device})`;
  }
}

/** "Use recovery key instead" on a device waiting to be linked. */
export class RestoreDevice extends Step {
  protected override readonly needsIdentity = false;
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    if (!world.device(this.device).linked) void world.restore(this.device);
  }
  toString() {
    return `restoreWithRecoveryKey(${this.device})`;
  }
}

/** "Linked devices" → "Unlink" on this device, for another device of the person's. */
export class UnlinkDevice extends Step {
  constructor(
    readonly device: string,
    readonly fraction: number,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    const { user } = world.device(this.device);
    const others = world.devices.filter((candidate) => candidate.user.id === user.id && candidate.name !== this.device);
    const target = others[Math.floor(this.fraction * others.length)];
    if (target) void world.unlink(this.device, target.name);
  }
  toString() {
    return `unlink(on ${this.device}, ${pct(this.fraction)} of the others)`;
  }
}

/** The machine is lost; the person ends its session and signs in on a new one. */
export class LoseDevice extends Step {
  protected override readonly needsIdentity = false;
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    await world.loseDevice(this.device);
  }
  toString() {
    return `lose(${this.device})`;
  }
}
