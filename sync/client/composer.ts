import { AppApiError } from '../app-api/contract.js';
import { directConversationId } from '../common/conversation-ids.js';
import { timeOrderedId } from '../common/ids.js';
import type { Runtime } from '../common/runtime.js';
import type { LinkPreview, Role, User } from '../protocol/frames.js';
import { mayManageMembers, mayPin, refuseGroupChange, refuseNewGroup } from '../protocol/rules.js';
import { refuseChange, refuseContent } from '../content/rules.js';
import { POLL_ENDED } from '../app-api/core-refusals.js';
import type { SharedLiveLocation } from '../app-api/locations-api.js';
import type { PollDefinition } from '../common/polls.js';
import type { LocationDefinition } from '../common/locations.js';
import type { StickerDefinition } from '../common/stickers.js';
import type { LocationMove, LocationStop } from '../content/kinds/location.js';
import { LIMITS } from '../protocol/limits.js';
import type { ComposedAttachment } from './mirror/attachments.js';
import type { Mirror, StoredMessage } from './mirror/mirror.js';
import type { OutboxGroupChange } from './mirror/outbox-store.js';
import type { DisappearingContent } from '../content/disappearing.js';
import type { Content } from '../content/content.js';
import { textMessageContent } from './queued-content.js';

/**
 * Turns what a person does into queued changes, with the offline rules: a change to a message the
 * server has not received yet is folded into it where possible (edit → new text for the one send;
 * delete → nothing is sent at all), and otherwise queued behind it, referring to it by its id.
 */
export class Composer {
  constructor(
    private readonly mirror: Mirror,
    private readonly runtime: Runtime,
    private readonly selfId: string,
    /** Whether a queued row is on the wire right now; such a row can no longer be rewritten. */
    private readonly isInFlight: (clientId: string) => boolean,
  ) {}

  /** The direct conversation with `peer`: the one in the mirror, or a new one whose creation is queued. */
  startDirect(peer: User): string {
    if (peer.id === this.selfId) throw new AppApiError('refused', 'start_with_yourself');
    const conversationId = directConversationId(this.selfId, peer.id);
    this.mirror.transaction(() => {
      if (this.mirror.hasConversation(conversationId)) return;
      this.mirror.createLocalConversation({
        id: conversationId,
        kind: 'direct',
        name: null,
        members: [
          { user: this.self(), role: 'member' },
          { user: peer, role: 'member' },
        ],
        create: { kind: 'direct', userId: peer.id },
        now: this.runtime.clock.now(),
        selfId: this.selfId,
      });
    });
    return conversationId;
  }

  /** A new group with us as owner; it shows and takes messages at once, and is created on the server when it can be. */
  createGroup(name: string, members: User[]): string {
    const others = [
      ...new Map(members.filter((member) => member.id !== this.selfId).map((member) => [member.id, member])).values(),
    ];
    const tooMany = refuseNewGroup(others.length + 1, LIMITS.maxGroupMembers);
    if (tooMany) throw new AppApiError('refused', tooMany);
    const conversationId = this.newId();
    this.mirror.createLocalConversation({
      id: conversationId,
      kind: 'group',
      // Named by the log alone, as on every member's device: meanwhile the queued creation, then
      // the name queued behind it, show it here (group-views.ts, conversation-list.ts).
      name: null,
      members: [
        { user: this.self(), role: 'owner' },
        ...others.map((user): { user: User; role: Role } => ({ user, role: 'member' })),
      ],
      // The name is kept here; the server is not told it (outbox-sender.ts, OutboxStore.arrived).
      create: { kind: 'group', name, memberIds: others.map((member) => member.id) },
      now: this.runtime.clock.now(),
      selfId: this.selfId,
    });
    return conversationId;
  }

  /**
   * Queues a change to a group, judged first by the same rules the server (or, for a rename, every
   * member's device) applies, against the members as this person sees them, their own queued
   * changes included, so what would be refused is refused at once. Refused on arrival still
   * (someone demoted or removed us meanwhile), it shows on the conversation with Retry and Dismiss.
   */
  changeGroup(conversationId: string, change: OutboxGroupChange): void {
    const info = this.mirror.views.conversationInfo(conversationId, this.selfId, () => false);
    if (!info) throw new AppApiError('not_found', 'That conversation does not exist.');
    if (!info.isMember || !info.role) throw new AppApiError('refused', 'no_longer_member');
    const reason =
      change.kind === 'rename'
        ? info.kind === 'group' && mayManageMembers(info.role)
          ? null
          : 'not_allowed'
        : refuseGroupChange(change, {
            kind: info.kind,
            actorId: this.selfId,
            actorRole: info.role,
            roles: new Map(info.members.map((member) => [member.user.id, member.role])),
            maxMembers: LIMITS.maxGroupMembers,
          });
    if (reason) throw new AppApiError('refused', reason);
    this.mirror.transaction(() => {
      this.mirror.outbox.enqueueGroupChange(conversationId, this.newId(), change);
      // The server does not know the group's name: those added learn it from the name sealed again
      // behind their addition (the others see no change; content/events.ts).
      if (change.kind === 'add_members' && info.name !== null) {
        this.mirror.outbox.enqueueGroupChange(conversationId, this.newId(), { kind: 'rename', name: info.name });
      }
    });
  }

  /**
   * Queues a message; its files (checked by composeAttachments, already in the profile's store)
   * are stored with it in the same transaction, and uploaded before it is sent.
   */
  send(
    conversationId: string,
    text: string,
    replyTo: string | null,
    attachments: readonly ComposedAttachment[] = [],
    linkPreview: LinkPreview | null = null,
  ): string {
    if (!this.mirror.isMember(conversationId)) throw new AppApiError('refused', 'no_longer_member');
    this.refuseIfBlocked(conversationId);
    if (replyTo !== null && !this.mirror.message(conversationId, replyTo)) {
      throw new AppApiError('not_found', 'The message you are replying to is not in this conversation.');
    }
    const messageId = this.newId();
    this.mirror.enqueueMessage(
      conversationId,
      messageId,
      this.selfId,
      text,
      replyTo,
      this.runtime.clock.now(),
      attachments,
      linkPreview,
    );
    return messageId;
  }

  /**
   * What `send` of a text alone will queue, said before it is written so that it can be sealed
   * first, in one commit with it (OutboxSender.sealFirst); none when files go with it.
   */
  sealableText(
    conversationId: string,
    text: string,
    replyTo: string | null,
    attachments: readonly ComposedAttachment[],
    linkPreview: LinkPreview | null,
  ): (() => Content) | undefined {
    if (attachments.length > 0) return undefined;
    return () => textMessageContent(text, replyTo, linkPreview, this.mirror.disappearingSetting(conversationId).timerMs);
  }

  /** Queues a poll: a message whose text is its question, with its options beside it. */
  sendPoll(conversationId: string, question: string, poll: PollDefinition): string {
    if (!this.mirror.isMember(conversationId)) throw new AppApiError('refused', 'no_longer_member');
    this.refuseIfBlocked(conversationId);
    const messageId = this.newId();
    this.mirror.enqueueMessage(conversationId, messageId, this.selfId, question, null, this.runtime.clock.now(), [], null, poll);
    return messageId;
  }

  /** Queues a location: a message whose text is the place name, with its point beside it and its map snapshot, if any. */
  sendLocation(
    conversationId: string,
    name: string,
    location: LocationDefinition,
    snapshot: readonly ComposedAttachment[] = [],
  ): string {
    if (!this.mirror.isMember(conversationId)) throw new AppApiError('refused', 'no_longer_member');
    this.refuseIfBlocked(conversationId);
    const messageId = this.newId();
    const now = this.runtime.clock.now();
    this.mirror.enqueueMessage(conversationId, messageId, this.selfId, name, null, now, snapshot, null, null, location);
    if (location.live) this.mirror.liveLocationsHere.add({ conversationId, messageId, until: location.live.until });
    return messageId;
  }

  /** Queues a sticker: no text, its files the sticker and its pack's bundle, its pack beside them. */
  sendSticker(conversationId: string, files: readonly ComposedAttachment[], sticker: StickerDefinition): string {
    if (!this.mirror.isMember(conversationId)) throw new AppApiError('refused', 'no_longer_member');
    this.refuseIfBlocked(conversationId);
    const messageId = this.newId();
    const now = this.runtime.clock.now();
    this.mirror.enqueueMessage(conversationId, messageId, this.selfId, '', null, now, files, null, null, null, sticker);
    return messageId;
  }

  /**
   * Queues this person's vote, judged first by the rule every receiving device applies. A vote of
   * theirs still queued and never on the wire is replaced rather than followed: only the last counts.
   */
  vote(conversationId: string, messageId: string, choices: readonly number[]): void {
    const poll = this.openPoll(conversationId, messageId);
    const vote = { kind: 'poll_vote' as const, messageId, choices: [...choices] };
    const self = { id: this.selfId, role: 'member' as const, conversationKind: 'group' as const };
    const refusal = refuseContent(vote, self, { authorId: poll.authorId, deleted: false, senderEmojis: new Set(), poll });
    if (refusal !== null) throw new AppApiError('refused', refusal);
    this.mirror.transaction(() => {
      for (const row of this.mirror.outbox.pendingStates(conversationId, messageId)) {
        const unsent = row.attempts === 0 && !this.isInFlight(row.clientId);
        if (row.content.kind === 'poll_vote' && unsent) this.mirror.outbox.remove(row.clientId);
      }
      this.mirror.outbox.enqueueContent(conversationId, this.newId(), vote);
    });
  }

  /**
   * Queues a live location's move, judged first by the rule every device applies. A move of this
   * device's still queued and never on the wire is replaced: only the newest position matters.
   */
  moveLocation(conversationId: string, messageId: string, point: LocationDefinition, at: number): void {
    const move = { kind: 'location_move' as const, messageId, lat: point.lat, lon: point.lon, at };
    this.queueLiveChange(conversationId, move);
  }

  /** "Stop sharing": ends a live location of this person's (from any of their devices). */
  stopLocation(conversationId: string, messageId: string): void {
    this.queueLiveChange(conversationId, { kind: 'location_stop', messageId, at: this.runtime.clock.now() });
    this.mirror.liveLocationsHere.remove(conversationId, messageId);
  }

  /** The live locations this device shares and still may; those it may not any more are forgotten. */
  liveLocationsSharedHere(): SharedLiveLocation[] {
    return this.mirror.transaction(() =>
      this.mirror.liveLocationsHere.running(this.runtime.clock.now()).filter((shared) => {
        if (this.isSharing(shared.conversationId, shared.messageId)) return true;
        this.mirror.liveLocationsHere.remove(shared.conversationId, shared.messageId);
        return false;
      }),
    );
  }

  /** Whether a location of this person's still moves here: live, not over, not stopped, not deleted. */
  isSharing(conversationId: string, messageId: string): boolean {
    const view = this.mirror.views.messageView(conversationId, messageId, this.selfId);
    const live = view?.location?.live;
    return !!live && view.own && !view.deleted && !live.stopped && this.runtime.clock.now() < live.until;
  }

  private queueLiveChange(conversationId: string, change: LocationMove | LocationStop): void {
    const message = this.mirror.message(conversationId, change.messageId);
    if (!message) throw new AppApiError('not_found', 'That message is not in this conversation.');
    if (!this.mirror.isMember(conversationId)) throw new AppApiError('refused', 'no_longer_member');
    if (!this.isSharing(conversationId, change.messageId)) throw new AppApiError('refused', 'not_allowed');
    const self = { id: this.selfId, role: 'member' as const, conversationKind: 'group' as const };
    const location = this.mirror.location(conversationId, change.messageId);
    const target = {
      authorId: message.senderId,
      deleted: message.deleted,
      senderEmojis: new Set<string>(),
      poll: null,
      location,
    };
    const refusal = refuseContent(change, self, target);
    if (refusal !== null) throw new AppApiError('refused', refusal);
    this.mirror.transaction(() => {
      for (const row of this.mirror.outbox.pendingStates(conversationId, change.messageId)) {
        const unsent = row.attempts === 0 && !this.isInFlight(row.clientId);
        if (row.content.kind === 'location_move' && unsent) this.mirror.outbox.remove(row.clientId);
      }
      this.mirror.outbox.enqueueContent(conversationId, this.newId(), change);
    });
  }

  /** Ends a poll of this person's: votes that reach the server after the end do not count. */
  endPoll(conversationId: string, messageId: string): void {
    const poll = this.openPoll(conversationId, messageId);
    if (poll.authorId !== this.selfId) throw new AppApiError('refused', 'not_author');
    this.mirror.outbox.enqueueContent(conversationId, this.newId(), { kind: 'poll_end', messageId });
  }

  /** The poll a vote or an end names, while it can still take one. */
  private openPoll(conversationId: string, messageId: string): PollDefinition & { authorId: string } {
    const message = this.mirror.message(conversationId, messageId);
    if (!message) throw new AppApiError('not_found', 'That message is not in this conversation.');
    if (!this.mirror.isMember(conversationId)) throw new AppApiError('refused', 'no_longer_member');
    const view = this.mirror.views.messageView(conversationId, messageId, this.selfId);
    if (message.deleted || view?.deleted) throw new AppApiError('refused', 'message_deleted');
    if (!view?.poll) throw new AppApiError('refused', 'not_allowed');
    if (view.poll.ended) throw new AppApiError('refused', POLL_ENDED);
    const options = view.poll.options.map((option) => option.text);
    return { options, multiple: view.poll.multiple, authorId: message.senderId };
  }

  /**
   * Queues the conversation's disappearing-message timer, or a group's choice of who may set it,
   * judged first by the rule every receiving device applies. One of the same kind still queued and
   * never on the wire is replaced: only the person's last choice is sent.
   */
  setDisappearing(conversationId: string, content: DisappearingContent): void {
    const standing = this.mirror.ownRole(conversationId, this.selfId);
    if (!standing) throw new AppApiError('refused', 'no_longer_member');
    const setting = this.mirror.disappearingSetting(conversationId);
    const self = {
      id: this.selfId,
      role: standing.role,
      conversationKind: standing.kind,
      everyoneMaySetTimer: setting.everyoneMaySet,
    };
    const refusal = refuseContent(content, self, null);
    if (refusal !== null) throw new AppApiError('refused', refusal);
    this.mirror.transaction(() => {
      for (const row of this.mirror.outbox.queuedSettings(conversationId)) {
        const unsent = row.attempts === 0 && !this.isInFlight(row.clientId);
        if (row.content.kind === content.kind && unsent) this.mirror.outbox.remove(row.clientId);
      }
      this.mirror.outbox.enqueueSetting(conversationId, this.newId(), content);
    });
  }

  /**
   * Pins or unpins a message (owner and admins of a group, both people of a direct conversation:
   * the server's rule, judged here first). A toggle back before the queued one ever went out
   * cancels it, so nothing is sent.
   */
  pin(conversationId: string, messageId: string, on: boolean): void {
    const message = this.mirror.message(conversationId, messageId);
    if (!message) throw new AppApiError('not_found', 'That message is not in this conversation.');
    const standing = this.mirror.ownRole(conversationId, this.selfId);
    if (!standing) throw new AppApiError('refused', 'no_longer_member');
    if (!mayPin(standing.kind, standing.role)) throw new AppApiError('refused', 'not_allowed');
    if (on && (message.deleted || this.mirror.views.messageView(conversationId, messageId, this.selfId)?.deleted)) {
      throw new AppApiError('refused', 'message_deleted');
    }
    this.mirror.transaction(() => {
      // Rows never on the wire can go: only the last word counts for a pin.
      let queued = this.mirror.outbox.pendingPins(conversationId, messageId);
      for (const row of queued) {
        if (row.attempts === 0 && !this.isInFlight(row.clientId)) this.mirror.outbox.remove(row.clientId);
      }
      queued = this.mirror.outbox.pendingPins(conversationId, messageId);
      const beneath = queued.at(-1)?.on ?? this.mirror.isPinned(conversationId, messageId);
      if (beneath !== on) this.mirror.outbox.enqueueChange(conversationId, this.newId(), 'pin', messageId, { on });
    });
  }

  /**
   * Queues a copy of a message in each target conversation (each once), showing its original
   * author; its files go by reference. Only what the server holds can be forwarded that way, and
   * only from a conversation we are still in (the server checks the same when the copy arrives):
   * not an unsent message, not a deleted one.
   */
  forward(conversationId: string, messageId: string, toConversationIds: readonly string[]): string[] {
    const source = this.mirror.views.messageView(conversationId, messageId, this.selfId);
    if (!source) throw new AppApiError('not_found', 'That message is not in this conversation.');
    if (source.deleted) throw new AppApiError('refused', 'message_deleted');
    // Our own queued leave counts: by the time the copy arrives we will no longer see the source.
    const stillIn = this.mirror.views.conversationInfo(conversationId, this.selfId, () => false)?.isMember ?? false;
    if (source.seq === null || !stillIn || !this.mirror.attachments.allOnServer(conversationId, messageId)) {
      throw new AppApiError('refused', 'forwarded_message_missing');
    }
    const targets = [...new Set(toConversationIds)];
    for (const target of targets) {
      if (!this.mirror.hasConversation(target)) throw new AppApiError('not_found', 'That conversation does not exist.');
      if (!this.mirror.isMember(target)) throw new AppApiError('refused', 'no_longer_member');
      this.refuseIfBlocked(target);
    }
    const copies = targets.map((target) => ({ conversationId: target, messageId: this.newId() }));
    this.mirror.enqueueForward({
      source: { conversationId, messageId },
      targets: copies,
      senderId: this.selfId,
      text: source.text,
      // A forward of a forward names the first author, as this device knew them.
      forwardedFrom: source.forwardedFrom ?? (source.senderName === '' ? null : source.senderName),
      now: this.runtime.clock.now(),
    });
    return copies.map((copy) => copy.messageId);
  }

  edit(conversationId: string, messageId: string, text: string): void {
    this.ownLiveMessage(conversationId, messageId);
    // A poll's question stays as it was asked, a sticker has no text (content/rules.ts refuses both on every device too).
    if (
      this.mirror.poll(conversationId, messageId) ||
      this.mirror.location(conversationId, messageId) ||
      this.mirror.stickerPacks.stickerOf(conversationId, messageId)
    ) {
      throw new AppApiError('refused', 'not_allowed');
    }
    this.mirror.transaction(() => {
      if (this.isRewritable(conversationId, messageId)) {
        this.mirror.rewriteUnsent(conversationId, messageId, text);
      } else {
        this.mirror.outbox.enqueueChange(conversationId, this.newId(), 'edit', messageId, { text });
      }
    });
  }

  delete(conversationId: string, messageId: string): void {
    this.ownLiveMessage(conversationId, messageId);
    this.mirror.transaction(() => {
      if (this.isRewritable(conversationId, messageId)) {
        this.mirror.withdrawUnsent(conversationId, messageId);
      } else {
        this.mirror.outbox.enqueueChange(conversationId, this.newId(), 'delete', messageId, {});
      }
    });
  }

  react(conversationId: string, messageId: string, emoji: string, on: boolean): void {
    const message = this.mirror.message(conversationId, messageId);
    if (!message) throw new AppApiError('not_found', 'That message is not in this conversation.');
    if (message.deleted) throw new AppApiError('refused', 'message_deleted');
    // Every receiving device drops a reaction past the limit (content/rules.ts): refused here at once.
    const mine = this.mirror.views.messageView(conversationId, messageId, this.selfId)?.reactions.filter((r) => r.mine) ?? [];
    const sender = { id: this.selfId, role: 'member' as const, conversationKind: 'direct' as const };
    const target = { authorId: message.senderId, deleted: false, senderEmojis: new Set(mine.map((r) => r.emoji)), poll: null };
    const refusal = refuseChange({ kind: 'reaction', messageId, emoji, on }, sender, target);
    if (refusal !== null) throw new AppApiError('refused', refusal);
    this.mirror.transaction(() => {
      const queued = this.mirror.outbox.pendingReactions(conversationId, messageId, emoji);
      const last = queued.at(-1);
      // What the queue would leave without its last row: the row before it, or the acknowledged state.
      const beneath =
        queued.length > 1 ? queued.at(-2)!.on : this.mirror.hasOwnReaction(conversationId, messageId, this.selfId, emoji);
      if (last && last.on !== on && beneath === on && last.attempts === 0 && !this.isInFlight(last.clientId)) {
        // Toggled back before it ever went out: the two cancel, and nothing is sent. (Once it has
        // been on the wire the server may hold it, so the toggle back must follow it; and with
        // more rows queued, dropping the last alone may not leave what the person asked for.)
        this.mirror.outbox.remove(last.clientId);
        return;
      }
      this.mirror.outbox.enqueueChange(conversationId, this.newId(), 'reaction', messageId, { emoji, on });
    });
  }

  /** We blocked the other person of this direct conversation: nothing can be sent in it. */
  private refuseIfBlocked(conversationId: string): void {
    const peer = this.mirror.peerOf(conversationId);
    if (peer !== null && this.mirror.settings.isBlocked(peer)) throw new AppApiError('refused', 'blocked');
  }

  private self(): User {
    const self = this.mirror.user(this.selfId);
    if (!self) throw new AppApiError('not_signed_in', 'Log in first.');
    return self;
  }

  private newId(): string {
    return timeOrderedId(this.runtime.clock.now(), this.runtime.random);
  }

  private ownLiveMessage(conversationId: string, messageId: string): StoredMessage {
    const message = this.mirror.message(conversationId, messageId);
    if (!message) throw new AppApiError('not_found', 'That message is not in this conversation.');
    if (message.senderId !== this.selfId) {
      // Refusals carry a reason code (REFUSAL_REASONS); the renderer has the words, in every language.
      throw new AppApiError('refused', 'not_author');
    }
    if (message.deleted || this.mirror.views.messageView(conversationId, messageId, this.selfId)?.deleted) {
      throw new AppApiError('refused', 'message_deleted');
    }
    return message;
  }

  /**
   * Whether the queued send can still be changed or dropped: the server cannot hold it. True when
   * it never went on the wire, or when the server refused it. A send that went out may have been
   * stored even though no acknowledgement came back (the connection or the process died first);
   * rewriting it then would be undone by the server's copy, and withdrawing it would leave that
   * copy for everyone to see, so such a message is only edited or deleted by a change behind it.
   */
  private isRewritable(conversationId: string, messageId: string): boolean {
    const message = this.mirror.message(conversationId, messageId);
    const row = this.mirror.outbox.sendRow(conversationId, messageId);
    if (message?.seq !== null || !row || this.isInFlight(messageId)) return false;
    return row.status === 'failed' || row.attempts === 0;
  }
}
