import { Readable } from 'node:stream';
import { profileBlobStore } from '../support/file-keys.js';
import { ATTACHMENT_LIMITS } from '../../sync/protocol/attachments.js';
import { PersonStep, PickingStep, pct, pick, Step } from './step.js';
import type { SimWorld } from './world.js';

/** What people do: send, reply, edit, delete, react, unreact, poll and vote, set a disappearing timer, read, start a conversation. */

export class Send extends PersonStep {
  async perform(world: SimWorld) {
    await sendAndIntend(world, this.device, this.conversationId(world), world.nextText(this.device), null);
  }
  toString() {
    return `send(${this.device}, conv${this.conversation})`;
  }
}

/** Sends (or replies), recording the text the person meant the new message to have. */
async function sendAndIntend(world: SimWorld, device: string, conversationId: string, text: string, replyTo: string | null) {
  const result = await world.act(device, (core) => core.sendMessage({ conversationId, text, ...(replyTo ? { replyTo } : {}) }));
  if (!result.ok) return;
  const intent = { kind: 'text' as const, text };
  world.history.intend({ device, userId: world.device(device).user.id, conversationId, messageId: result.value.id, intent });
}

/**
 * Sends a file with a caption: put into the device's attachment store (as its host does when the
 * person picks it), then sent. The upload is a run of requests the network may interrupt, and the
 * message waits in the outbox until it is done.
 */
export class Attach extends PersonStep {
  async perform(world: SimWorld) {
    const { profileDir, user } = world.device(this.device);
    const file = world.nextFile(this.device);
    const stored = await profileBlobStore(profileDir).put(Readable.from([file.bytes]), ATTACHMENT_LIMITS.maxFileBytes);
    const conversationId = this.conversationId(world);
    const text = world.nextText(this.device);
    const result = await world.actAwaited(this.device, (core) =>
      core.sendMessage({ conversationId, text, attachments: [{ sha256: stored.sha256, name: file.name, kind: 'file' }] }),
    );
    if (!result.ok) return;
    const intent = { kind: 'text' as const, text, attachments: [`${stored.sha256}:${stored.size}:${file.name}`] };
    world.history.intend({ device: this.device, userId: user.id, conversationId, messageId: result.value.id, intent });
  }
  toString() {
    return `attach(${this.device}, conv${this.conversation})`;
  }
}

/**
 * Forwards a message the person sees to another of their conversations (or the same), online or
 * offline, and records the copy's text as meant. Only messages without files: the simulated
 * upload rules know only a sender's own uploads, not files forwarded by reference.
 */
export class Forward extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly fraction: number,
    /** Index into the person's conversations for the copy, modulo how many they have. */
    readonly to: number,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const source = pick(
      (await this.view(world)).filter((view) => view.seq !== null && !view.deleted && view.attachments.length === 0),
      this.fraction,
    );
    const conversations = world.conversationsOf(this.device);
    const to = conversations[this.to % Math.max(1, conversations.length)]?.id;
    if (!source || !to) return;
    const conversationId = this.conversationId(world);
    const result = await world.act(this.device, (core) =>
      core.forwardMessage({ conversationId, messageId: source.id, toConversationIds: [to] }),
    );
    if (!result.ok) return;
    const userId = world.device(this.device).user.id;
    for (const copy of result.value) {
      const intent = { kind: 'text' as const, text: source.text };
      world.history.intend({ device: this.device, userId, conversationId: copy.conversationId, messageId: copy.id, intent });
    }
  }
  toString() {
    return `forward(${this.device}, conv${this.conversation} ${pct(this.fraction)} → conv${this.to})`;
  }
}

export class Reply extends PickingStep {
  async perform(world: SimWorld) {
    const target = pick(await this.view(world), this.fraction);
    if (!target) return;
    await sendAndIntend(world, this.device, this.conversationId(world), world.nextText(this.device), target.id);
  }
  toString() {
    return `reply(${this.device}, conv${this.conversation}, to ${pct(this.fraction)})`;
  }
}

export class Edit extends PickingStep {
  async perform(world: SimWorld) {
    const target = pick(
      (await this.view(world)).filter((view) => view.own && !view.deleted),
      this.fraction,
    );
    if (!target) return;
    const text = `${world.nextText(this.device)} (edit)`;
    await this.change(world, target.id, { kind: 'text', text }, (core, conversationId) =>
      core.editMessage({ conversationId, messageId: target.id, text }),
    );
  }
  toString() {
    return `edit(${this.device}, conv${this.conversation}, own ${pct(this.fraction)})`;
  }
}

export class Delete extends PickingStep {
  async perform(world: SimWorld) {
    const target = pick(
      (await this.view(world)).filter((view) => view.own && !view.deleted),
      this.fraction,
    );
    if (!target) return;
    await this.change(world, target.id, { kind: 'deleted' }, (core, conversationId) =>
      core.deleteMessage({ conversationId, messageId: target.id }),
    );
  }
  toString() {
    return `delete(${this.device}, conv${this.conversation}, own ${pct(this.fraction)})`;
  }
}

export class React extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly fraction: number,
    readonly emoji: string,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const target = pick(
      (await this.view(world)).filter((view) => !view.deleted),
      this.fraction,
    );
    if (!target) return;
    const intent = { kind: 'reaction' as const, emoji: this.emoji, on: true };
    await this.change(world, target.id, intent, (core, conversationId) =>
      core.setReaction({ conversationId, messageId: target.id, emoji: this.emoji, on: true }),
    );
  }
  toString() {
    return `react(${this.device}, conv${this.conversation}, ${pct(this.fraction)}, ${this.emoji})`;
  }
}

export class Unreact extends PickingStep {
  async perform(world: SimWorld) {
    const mine = (await this.view(world)).flatMap((view) =>
      view.reactions.filter((reaction) => reaction.mine).map((reaction) => ({ messageId: view.id, emoji: reaction.emoji })),
    );
    const target = pick(mine, this.fraction);
    if (!target) return;
    const intent = { kind: 'reaction' as const, emoji: target.emoji, on: false };
    await this.change(world, target.messageId, intent, (core, conversationId) =>
      core.setReaction({ conversationId, ...target, on: false }),
    );
  }
  toString() {
    return `unreact(${this.device}, conv${this.conversation}, ${pct(this.fraction)})`;
  }
}

/**
 * Sends a poll of two or three options (one answer, or several): its question is a message like
 * any other, recorded as the text the person meant.
 */
export class SendPoll extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly options: 2 | 3,
    readonly multiple: boolean,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const conversationId = this.conversationId(world);
    const question = world.nextText(this.device);
    const options = ['Lake', 'Hills', 'Sea'].slice(0, this.options);
    const result = await world.act(this.device, (core) =>
      core.sendPoll({ conversationId, question, options, multiple: this.multiple }),
    );
    if (!result.ok) return;
    const intent = { kind: 'text' as const, text: question };
    world.history.intend({
      device: this.device,
      userId: world.device(this.device).user.id,
      conversationId,
      messageId: result.value.id,
      intent,
    });
  }
  toString() {
    return `sendPoll(${this.device}, conv${this.conversation}, ${this.options} options${this.multiple ? ', several' : ''})`;
  }
}

/**
 * Votes on a poll the person sees (refused once its end is known here): `choice` picks the
 * option, or with several allowed the set of options, by bit; 0 withdraws the vote.
 */
export class Vote extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly fraction: number,
    readonly choice: number,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const target = pick(
      (await this.view(world)).filter((view) => view.poll && !view.poll.ended),
      this.fraction,
    );
    if (!target?.poll) return;
    const count = target.poll.options.length;
    const choices = target.poll.multiple
      ? [...Array(count).keys()].filter((index) => (this.choice >> index) & 1)
      : this.choice === 0
        ? []
        : [this.choice % count];
    const conversationId = this.conversationId(world);
    await world.act(this.device, (core) => core.votePoll({ conversationId, messageId: target.id, choices }));
  }
  toString() {
    return `vote(${this.device}, conv${this.conversation}, ${pct(this.fraction)}, ${this.choice})`;
  }
}

/** Ends one of the person's own polls. */
export class EndPoll extends PickingStep {
  async perform(world: SimWorld) {
    const target = pick(
      (await this.view(world)).filter((view) => view.own && view.poll && !view.poll.ended),
      this.fraction,
    );
    if (!target) return;
    const conversationId = this.conversationId(world);
    await world.act(this.device, (core) => core.endPoll({ conversationId, messageId: target.id }));
  }
  toString() {
    return `endPoll(${this.device}, conv${this.conversation}, own ${pct(this.fraction)})`;
  }
}

/** The disappearing-message timers the simulation sets: off, the shortest, and one a run outlives. */
const SIM_TIMERS = [null, 30_000, 5 * 60_000] as const;

/** Sets the conversation's disappearing-message timer (refused for a group member the group does not let). */
export class SetDisappearing extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly choice: 0 | 1 | 2,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const conversationId = this.conversationId(world);
    await world.act(this.device, (core) => core.setDisappearingTimer({ conversationId, timerMs: SIM_TIMERS[this.choice] }));
  }
  toString() {
    return `setDisappearing(${this.device}, conv${this.conversation}, ${SIM_TIMERS[this.choice] ?? 'off'})`;
  }
}

export class Read extends PersonStep {
  async perform(world: SimWorld) {
    await world.act(this.device, (core) => core.markRead({ conversationId: this.conversationId(world) }));
  }
  toString() {
    return `read(${this.device}, conv${this.conversation})`;
  }
}

export class StartConversation extends Step {
  constructor(
    readonly device: string,
    readonly username: string,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    // Refused offline, or with yourself: both are normal outcomes. The world learns of the new
    // conversation from the server (refreshConversations), whether or not the reply arrives.
    world.actInBackground(this.device, (core) => core.startConversation({ username: this.username }));
  }
  toString() {
    return `startConversation(${this.device}, with ${this.username})`;
  }
}
