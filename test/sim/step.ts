import type fc from 'fast-check';
import { AppApiError, type MessageView } from '../../sync/app-api/contract.js';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import type { Intent } from './history.js';
import type { SimWorld } from './world.js';

/**
 * The steps of a simulated run are fast-check model-based commands. They are generated before
 * the run, so a step that names a message picks it by a fraction of the messages that fit in the
 * device's view at that moment, and does nothing when none fits. toString() is what a failing run
 * prints as its shrunk trace: it names the device and the choice.
 */

/** Nothing to model: the world itself is the state, and no step is ever invalid. */
export type SimModel = Record<string, never>;
export type SimCommand = fc.AsyncCommand<SimModel, SimWorld>;

export abstract class Step implements SimCommand {
  /** Whether the step needs its device to hold the account's identity (a person acting), not just to be there. */
  protected readonly needsIdentity: boolean = true;

  check(): boolean {
    return true;
  }

  /**
   * A step that names a device (its `device` field) does nothing unless that device is signed in
   * now (devices come and go during a run) and, for what a person does, linked.
   */
  async run(_model: SimModel, world: SimWorld): Promise<void> {
    const name = 'device' in this && typeof this.device === 'string' ? this.device : null;
    const device = name === null ? null : world.present(name);
    if (name !== null && (!device || (this.needsIdentity && !device.linked))) {
      world.trace(`step ${this.toString()}: no such device now`);
      return;
    }
    world.trace(`step ${this.toString()}`);
    await this.perform(world);
  }

  protected abstract perform(world: SimWorld): Promise<void>;
  abstract toString(): string;
}

/** Steps by a person on a device, in one of their conversations. */
export abstract class PersonStep extends Step {
  constructor(
    readonly device: string,
    /** Index into the person's conversations, modulo how many they have. */
    readonly conversation: number,
  ) {
    super();
  }

  /** One of the person's conversations; none yet for someone who has not started one. */
  protected conversationId(world: SimWorld): string {
    const conversations = world.conversationsOf(this.device);
    return conversations[this.conversation % Math.max(1, conversations.length)]?.id ?? 'no-conversation-yet';
  }

  /**
   * Does something to a message through the app API and, when the core accepted it, records what
   * the person meant (the invariants hold the outcome to it).
   */
  protected async change(
    world: SimWorld,
    messageId: string,
    intent: Intent,
    action: (core: ClientCore, conversationId: string) => Promise<unknown>,
  ) {
    const conversationId = this.conversationId(world);
    const result = await world.act(this.device, (core) => action(core, conversationId));
    if (result.ok)
      world.history.intend({ device: this.device, userId: world.device(this.device).user.id, conversationId, messageId, intent });
  }

  /** What the person sees; nothing yet if the device has not heard of the conversation. */
  protected async view(world: SimWorld): Promise<MessageView[]> {
    try {
      const page = await world.device(this.device).core.listMessages({ conversationId: this.conversationId(world), limit: 1000 });
      return page.messages;
    } catch (error) {
      if (error instanceof AppApiError && error.code === 'not_found') return [];
      throw error;
    }
  }
}

/** A person's step on one of the recent messages they see: `fraction` picks which (see pick). */
export abstract class PickingStep extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly fraction: number,
  ) {
    super(device, conversation);
  }
}

/** How far back a step reaches: people act on what is recent, and conflicts need a shared target. */
const RECENT = 4;

/** Picks among the most recent fitting items: `fraction` 0 is the oldest of them, near 1 the newest. */
export function pick<T>(items: readonly T[], fraction: number): T | undefined {
  const recent = items.slice(-RECENT);
  return recent.length === 0 ? undefined : recent[Math.min(recent.length - 1, Math.floor(fraction * recent.length))];
}

export const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;
