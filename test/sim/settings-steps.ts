import type { OnlineVisibility } from '../../sync/protocol/frames.js';
import { PersonStep, pct, pick, Step } from './step.js';
import type { SimWorld } from './world.js';

/**
 * Keeping things in order: pins (conversation events, by role), and a person's own settings
 * (archive, mute, draft, block, show online), which are last-writer-wins registers synced to their other
 * devices. Each may be done offline; two devices of one person changing the same setting race.
 */

export class Pin extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly fraction: number,
    readonly on: boolean,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const target = pick(
      (await this.view(world)).filter((view) => !view.deleted && view.pinned !== this.on),
      this.fraction,
    );
    if (!target) return;
    const conversationId = this.conversationId(world);
    // A plain member of a group is refused by the core at once: a normal outcome.
    await world.act(this.device, (core) => core.pinMessage({ conversationId, messageId: target.id, on: this.on }));
  }
  toString() {
    return `${this.on ? 'pin' : 'unpin'}(${this.device}, conv${this.conversation}, ${pct(this.fraction)})`;
  }
}

export class Archive extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly on: boolean,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const conversationId = this.conversationId(world);
    await world.actOnSetting(this.device, (core) => core.setArchived({ conversationId, archived: this.on }));
  }
  toString() {
    return `${this.on ? 'archive' : 'unarchive'}(${this.device}, conv${this.conversation})`;
  }
}

export class Mute extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly on: boolean,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const conversationId = this.conversationId(world);
    await world.actOnSetting(this.device, (core) => core.setMuted({ conversationId, muted: this.on }));
  }
  toString() {
    return `${this.on ? 'mute' : 'unmute'}(${this.device}, conv${this.conversation})`;
  }
}

/** Types into the composer (or clears it, `clear`): the draft is kept and synced as the person types. */
export class Draft extends PersonStep {
  constructor(
    device: string,
    conversation: number,
    readonly clear: boolean,
  ) {
    super(device, conversation);
  }
  async perform(world: SimWorld) {
    const conversationId = this.conversationId(world);
    const text = this.clear ? '' : `draft ${world.nextText(this.device)}`;
    await world.actOnSetting(this.device, (core) => core.setDraft({ conversationId, text, replyTo: null }));
  }
  toString() {
    return `${this.clear ? 'clearDraft' : 'draft'}(${this.device}, conv${this.conversation})`;
  }
}

export class Block extends Step {
  constructor(
    readonly device: string,
    readonly username: string,
    readonly on: boolean,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    const self = world.device(this.device).user;
    const other = world.users.find((user) => user.username === this.username);
    if (!other || other.id === self.id) return;
    // Only someone the device knows (seen in a conversation) can be blocked from the app.
    if (!world.inspector(this.device).knownUserIds().includes(other.id)) return;
    await world.actOnSetting(this.device, (core) => core.setBlocked({ userId: other.id, blocked: this.on }));
  }
  toString() {
    return `${this.on ? 'block' : 'unblock'}(${this.device}, ${this.username})`;
  }
}

/** "Show when I'm online" (presence-rules.ts), set from one device. */
export class ShowOnline extends Step {
  constructor(
    readonly device: string,
    readonly value: OnlineVisibility,
  ) {
    super();
  }
  async perform(world: SimWorld) {
    await world.actOnSetting(this.device, (core) => core.setShowOnline({ showOnline: this.value }));
  }
  toString() {
    return `showOnline(${this.device}, ${this.value})`;
  }
}

/**
 * Answers one of the device's message requests (request-rules.ts): "Accept", or "Delete" for a
 * direct one (deleting a group's leaves it, which the group steps do on their own).
 */
export class AnswerRequest extends Step {
  constructor(
    readonly device: string,
    readonly fraction: number,
    readonly answer: 'accept' | 'delete',
  ) {
    super();
  }
  async perform(world: SimWorld) {
    const requests = await world.device(this.device).core.listConversations({ folder: 'requests' });
    const target = pick(
      requests.filter((request) => this.answer === 'accept' || request.kind === 'direct'),
      this.fraction,
    );
    if (!target) return;
    await world.actOnSetting(this.device, (core) => core.answerRequest({ conversationId: target.id, answer: this.answer }));
  }
  toString() {
    return `answerRequest(${this.device}, ${pct(this.fraction)}, ${this.answer})`;
  }
}
