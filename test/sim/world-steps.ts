import { settle } from './quiet.js';
import { checkInvariants } from './invariants.js';
import { HEALTHY, type FaultSettings } from './network.js';
import { Step } from './step.js';
import type { SimWorld } from './world.js';

/** What happens around people: time, lost networks, crashes, restarts (a node, the server), faults, bursts, quiet points. */

export class GoOffline extends Step {
  protected override readonly needsIdentity = false;
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    world.network.setOffline(this.device);
  }
  toString() {
    return `offline(${this.device})`;
  }
}

export class GoOnline extends Step {
  protected override readonly needsIdentity = false;
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    world.network.setOnline(this.device);
  }
  toString() {
    return `online(${this.device})`;
  }
}

/**
 * QA's Work offline switch (a device preference): on, the core drops its connection and opens no
 * other, through crashes and restarts (it is kept in the profile), until switched off; settling
 * switches it off, as it heals the network.
 */
export class WorkOffline extends Step {
  protected override readonly needsIdentity = false;
  constructor(
    readonly device: string,
    readonly on: boolean,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    await world.device(this.device).core.setPreferences({ workOffline: this.on });
  }
  toString() {
    return `workOffline(${this.device}, ${this.on ? 'on' : 'off'})`;
  }
}

export class Crash extends Step {
  protected override readonly needsIdentity = false;
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    await world.crashDevice(this.device);
  }
  toString() {
    return `crash(${this.device})`;
  }
}

export class Quit extends Step {
  protected override readonly needsIdentity = false;
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    await world.restartDevice(this.device);
  }
  toString() {
    return `quitAndReopen(${this.device})`;
  }
}

export class RestartServer extends Step {
  constructor(
    readonly clean: boolean,
    readonly downMs: number,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    await world.restartServer(this.clean, this.downMs);
  }
  toString() {
    return `restartServer(${this.clean ? 'clean' : 'crash'}, down ${this.downMs}ms)`;
  }
}

/** One server node dies (SIGKILL) and comes back after a while, under its id or a new one. */
export class CrashNode extends Step {
  constructor(
    /** Which node, modulo how many the world runs. */
    readonly node: number,
    readonly downMs: number,
    readonly sameId: boolean,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    await world.server.crashNode(this.node, this.downMs, this.sameId);
  }
  toString() {
    return `crashNode(${this.node}, down ${this.downMs}ms, ${this.sameId ? 'same id' : 'new id'})`;
  }
}

/** One server node drains (SIGTERM) and comes back after a while under the same id. */
export class RestartNode extends Step {
  constructor(
    readonly node: number,
    readonly downMs: number,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    await world.server.restartNode(this.node, this.downMs);
  }
  toString() {
    return `restartNode(${this.node}, down ${this.downMs}ms)`;
  }
}

export class SetFaults extends Step {
  constructor(readonly faults: FaultSettings) {
    super();
  }
  async perform(world: SimWorld) {
    world.network.faults = { ...this.faults };
  }
  toString() {
    const { drop, duplicate, reorder, late, maxDelayMs, clusterDrop, clusterLostNotify, clusterMaxDelayMs } = this.faults;
    const knobs = Object.entries({ drop, duplicate, reorder, late, clusterDrop, clusterLostNotify }).filter(
      ([, value]) => value > 0,
    );
    const parts = knobs.map(([name, value]) => `${name} ${value}`);
    if (maxDelayMs !== HEALTHY.maxDelayMs) parts.push(`delay ≤${maxDelayMs}ms`);
    if (clusterMaxDelayMs !== HEALTHY.clusterMaxDelayMs) parts.push(`cluster delay ≤${clusterMaxDelayMs}ms`);
    return `faults(${parts.join(', ') || 'none'})`;
  }
}

export class Cut extends Step {
  protected override readonly needsIdentity = false;
  constructor(readonly device: string) {
    super();
  }
  async perform(world: SimWorld) {
    world.network.cut(this.device);
  }
  toString() {
    return `cut(${this.device})`;
  }
}

export class LoseNextAck extends Step {
  protected override readonly needsIdentity = false;
  constructor(
    readonly device: string,
    readonly mode: 'silent' | 'break',
  ) {
    super();
  }
  async perform(world: SimWorld) {
    world.network.loseNextAck(this.device, this.mode);
  }
  toString() {
    return `loseNextAck(${this.device}, ${this.mode})`;
  }
}

export class Advance extends Step {
  constructor(readonly ms: number) {
    super();
  }
  async perform(world: SimWorld) {
    await world.advance(this.ms);
  }
  toString() {
    return `advance(${this.ms}ms)`;
  }
}

export class Flood extends Step {
  constructor(
    readonly user: number,
    readonly conversation: number,
    readonly count: number,
    readonly chars: number,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    await world.flood(this.user, this.conversation, { count: this.count, chars: this.chars });
  }
  toString() {
    return `flood(user${this.user}, conv${this.conversation}, ${this.count} messages of ${this.chars} chars)`;
  }
}

/** An intermediate quiet point: heal, settle, check every invariant. */
export class Settle extends Step {
  async perform(world: SimWorld) {
    await settle(world);
    await checkInvariants(world);
  }
  toString() {
    return 'settleAndCheck()';
  }
}
