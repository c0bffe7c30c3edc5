/**
 * A stand-in for the client core as the renderer's store sees it (AppApiClient): answers from
 * plain data the test sets, records every call, can hold calls of one method until released, and
 * pushes AppEvents. No DOM and no transport.
 */
import type { AppApiClient } from '../../../sync/app-api/client.js';
import {
  AppApiError,
  type ActivityView,
  type AppApiMethod,
  type AppApiResults,
  type AppEvent,
  type ConversationInfo,
  type ConversationSummary,
  type CoreState,
  type LinkPreviewView,
  type MessagePage,
  type MessageView,
  type NoticeView,
  type PinnedMessageView,
  type SessionInfo,
} from '../../../sync/app-api/contract.js';
import { type OutboxListing } from '../../../sync/app-api/outbox-api.js';
import type { DraftView, PrivacySettingsView } from '../../../sync/app-api/personal-settings-api.js';
import { POLL_ENDED } from '../../../sync/app-api/core-refusals.js';
import { choicesFit } from '../../../sync/common/polls.js';
import { DEFAULT_PREFERENCES, type Preferences } from '../../../sync/app-api/preferences.js';
import type { SafetyNumberView } from '../../../sync/app-api/safety-number-api.js';
import type { RestoreOutcome } from '../../../sync/app-api/key-backup-api.js';
import type { CallView } from '../../../sync/app-api/calls-api.js';
import type { GroupCallsView } from '../../../sync/app-api/group-calls-api.js';
import type { DisappearingView } from '../../../sync/app-api/disappearing-api.js';
import type { GifSearchView } from '../../../sync/app-api/gifs-api.js';
import type { StickerPackView } from '../../../sync/app-api/stickers-api.js';
import type { User } from '../../../sync/protocol/frames.js';
import { afterEach } from 'vitest';
import { conversationSummary, disappearingView, messageView } from '../../support/app-views.js';
import { createAppStore, type AppStore } from '../../../renderer/state/store.js';
import type { TransportStatus } from '../../../renderer/transport/types.js';
import type { SharedLiveLocation } from '../../../sync/app-api/locations-api.js';

export const alice: User = { id: 'u-alice', username: 'alice', displayName: 'Alice Liddell' };
export const bob: User = { id: 'u-bob', username: 'bob', displayName: 'Bob Brown' };
export const carol: User = { id: 'u-carol', username: 'carol', displayName: 'Carol Chen' };

export function summary(overrides: Partial<ConversationSummary> & { id: string }): ConversationSummary {
  return conversationSummary(bob, overrides);
}

export function message(overrides: Partial<MessageView> & { id: string }): MessageView {
  return messageView(bob, { text: `text of ${overrides.id}`, ...overrides });
}

export function notice(overrides: Partial<NoticeView> & { seq: number }): NoticeView {
  return { at: 1000, kind: 'members_added', actor: alice, subjects: [carol], name: null, role: null, ...overrides };
}

type ListArgs = {
  conversationId: string;
  limit?: number;
  beforeSeq?: number;
  afterSeq?: number;
  aroundMessageId?: string;
  aroundSeq?: number;
};

/** A page of a numbered history, as the mirror cuts it (views.ts messagePage), without notices. */
function pageOf(all: readonly MessageView[], readSeq: number, args: ListArgs): MessagePage {
  const limit = args.limit ?? 100;
  const seqOf = (m: MessageView) => m.seq!;
  const anchor =
    args.aroundMessageId !== undefined ? (all.find((m) => m.id === args.aroundMessageId)?.seq ?? null) : (args.aroundSeq ?? null);
  let start: number;
  let end: number;
  if (anchor !== null) {
    const at = all.findIndex((m) => seqOf(m) >= anchor);
    const from = at < 0 ? all.length : at;
    start = Math.max(0, from - Math.floor(limit / 2));
    end = Math.min(all.length, from + (limit - Math.floor(limit / 2)));
  } else if (args.afterSeq !== undefined) {
    const after = args.afterSeq;
    start = all.findIndex((m) => seqOf(m) > after);
    if (start < 0) start = all.length;
    end = Math.min(all.length, start + limit);
  } else {
    const before = args.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    end = all.findIndex((m) => seqOf(m) >= before);
    if (end < 0) end = all.length;
    start = Math.max(0, end - limit);
  }
  const firstUnreadSeq = all.find((m) => !m.own && m.seq !== null && m.seq > readSeq)?.seq ?? null;
  return {
    messages: all.slice(start, end),
    notices: [],
    hasOlder: start > 0,
    hasNewer: end < all.length,
    readSeq,
    firstUnreadSeq,
  };
}

interface Held {
  release(): void;
}

function emptyPage(): MessagePage {
  return { messages: [], notices: [], hasOlder: false, hasNewer: false, readSeq: 0, firstUnreadSeq: null };
}

export class FakeApi {
  session: SessionInfo | null = { serverUrl: 'ws://test', user: alice };
  conversations: ConversationSummary[] = [];
  pages = new Map<string, MessagePage>();
  /** A whole numbered history per conversation, paged as the core pages it (takes precedence over `pages`). */
  histories = new Map<string, { messages: MessageView[]; readSeq: number }>();
  activity: ActivityView = { typing: [], peerPresence: null, members: null };
  infos = new Map<string, ConversationInfo>();
  users = new Map<string, User>([
    [bob.username, bob],
    [carol.username, carol],
  ]);
  maxFileBytes = 100 * 1024 * 1024;
  /** Pinned messages per conversation, the most recently pinned first. */
  pins = new Map<string, PinnedMessageView[]>();
  /** Drafts per conversation (setDraft with empty text removes one). */
  drafts = new Map<string, DraftView>();
  /** The people blocked, by id. */
  blocked = new Map<string, User>();
  /** What getPrivacySettings answers (setShowOnline changes it). */
  privacy: PrivacySettingsView = { showOnline: 'everyone', groupAdds: 'everyone', waiting: false };
  /** fetchLinkPreview's answers by URL (null when absent). */
  previews = new Map<string, LinkPreviewView>();
  /** What getPreferences answers (setPreferences changes it). */
  preferences: Preferences = DEFAULT_PREFERENCES;
  /** Why makeMapSnapshot refuses (a MAP_SNAPSHOT_FAILURES code), or null: it makes one. */
  mapSnapshotFailure: string | null = null;
  /** What listOutbox answers (discardOutboxItem takes an item out). */
  outbox: OutboxListing = { items: [], total: 0 };
  /** What getCoreState answers; startFresh turns a recovery into a ready core without a session. */
  coreState: CoreState = { kind: 'ready', diskFull: false, settingsFull: false };
  /** What getSafetyNumber answers per person (no_keys for anyone else); setIdentityVerified changes `verified`. */
  safetyNumbers = new Map<string, SafetyNumberView>();
  /** What getIdentityChanges answers per conversation; confirmIdentityChanges empties it. */
  identityChanges = new Map<string, User[]>();
  /** What restoreFromRecoveryKey answers: an outcome, or an error it throws. */
  restoreAnswer: RestoreOutcome | Error = 'restored';
  /** What getCall answers: no call unless a test sets one. */
  call: CallView | null = null;
  /** What a GIF search answers (or throws): the server's GIFs, or its refusal. */
  gifSearch: GifSearchView | AppApiError = { results: [], next: null, attribution: null };
  /** The sticker packs installed; addStickerPack installs the message's pack, named 'Party'. */
  stickerPacks: StickerPackView[] = [];
  /** The live locations this device shares, as liveLocationsSharedHere answers (a test sets them, as after a restart). */
  liveLocationsHere: SharedLiveLocation[] = [];
  /** What getGroupCalls answers: none going on unless a test sets some. */
  groupCalls: GroupCallsView = { going: [], joined: null };
  /**
   * Each conversation's disappearing-message setting, once changed or set by a test (else its
   * info's, or off); setDisappearingTimer and setDisappearingPolicy change it.
   */
  disappearing = new Map<string, DisappearingView>();
  /** Notices listMessages adds to a conversation's pages (the disappearing-message changes made here). */
  notices = new Map<string, NoticeView[]>();
  /** Every call in order: method and arguments. */
  calls: { method: AppApiMethod; args: unknown }[] = [];
  private listeners = new Set<(event: AppEvent) => void>();
  private holds = new Map<AppApiMethod, (() => void)[]>();
  private holding = new Set<AppApiMethod>();
  private sentCount = 0;
  private pinCount = 0;

  /** A message of a conversation as the fake holds it (its whole history, or its page). */
  private findMessage(conversationId: string, messageId: string): MessageView | null {
    const all = this.histories.get(conversationId)?.messages ?? this.pages.get(conversationId)?.messages ?? [];
    return all.find((m) => m.id === messageId) ?? null;
  }

  /** A message this person just sent: queued, not yet taken by the server. */
  private justSent(conversationId: string, text: string, fields: Partial<MessageView> = {}): MessageView {
    return message({
      id: `sent-${++this.sentCount}`,
      conversationId,
      seq: null,
      own: true,
      senderId: this.me().id,
      senderName: this.me().displayName,
      text,
      at: 5000 + this.sentCount,
      status: 'sending',
      ...fields,
    });
  }

  /** Keeps a message this device sent where listMessages finds it, numbered as if the server took it at once. */
  private keepSent(sent: MessageView): void {
    const { conversationId } = sent;
    const history = this.histories.get(conversationId);
    const page = this.pages.get(conversationId) ?? emptyPage();
    const all = history?.messages ?? page.messages;
    const seq = Math.max(0, ...all.map((m) => m.seq ?? 0)) + 1;
    const stored: MessageView = { ...sent, seq, status: 'sent', poll: sent.poll && { ...sent.poll, pending: false } };
    if (history) history.messages.push(stored);
    else this.pages.set(conversationId, { ...page, messages: [...all, stored] });
  }

  /** A poll as the fake holds it; not_found for any other message. */
  private findPoll(conversationId: string, messageId: string): MessageView & { poll: NonNullable<MessageView['poll']> } {
    const found = this.findMessage(conversationId, messageId);
    if (!found?.poll) throw new AppApiError('not_found', 'no such poll');
    return found as MessageView & { poll: NonNullable<MessageView['poll']> };
  }

  /** `voter`'s vote replaces their earlier one; the counts are the core's (each person once). */
  private countVote(message: MessageView & { poll: NonNullable<MessageView['poll']> }, voter: User, choices: number[]) {
    const options = message.poll.options.map((option, index) => {
      const others = option.voters.filter((v) => v.id !== voter.id);
      return { ...option, voters: choices.includes(index) ? [...others, { id: voter.id, name: voter.displayName }] : others };
    });
    const people = new Set(options.flatMap((option) => option.voters.map((v) => v.id))).size;
    const mine = voter.id === this.me().id ? [...choices].sort((a, b) => a - b) : message.poll.mine;
    message.poll = { ...message.poll, options, people, mine };
  }

  private me(): User {
    return this.session?.user ?? alice;
  }

  /** Someone else votes on a poll (on their device): the core counts it and tells the renderer. */
  voteAs(voter: User, conversationId: string, messageId: string, choices: number[]): void {
    this.countVote(this.findPoll(conversationId, messageId), voter, choices);
    this.emit({ type: 'messages', conversationId });
  }

  private disappearingOf(conversationId: string): DisappearingView {
    return this.disappearing.get(conversationId) ?? this.infos.get(conversationId)?.disappearing ?? disappearingView();
  }

  /** A change to the disappearing-message setting, as the core makes it: its notice, and the events. */
  private changeDisappearing(
    conversationId: string,
    change: Partial<DisappearingView>,
    told: Pick<NoticeView, 'kind'> & Partial<NoticeView>,
  ): void {
    this.disappearing.set(conversationId, { ...this.disappearingOf(conversationId), ...change });
    if (change.timerMs !== undefined) this.patchConversation(conversationId, { disappearingTimerMs: change.timerMs });
    const all = this.histories.get(conversationId)?.messages ?? this.pages.get(conversationId)?.messages ?? [];
    const listed = this.notices.get(conversationId) ?? [];
    const seq = Math.max(0, ...all.map((m) => m.seq ?? 0), ...listed.map((n) => n.seq)) + 0.5;
    this.notices.set(conversationId, [
      ...listed,
      { seq, at: 9000, actor: this.me(), subjects: [], name: null, role: null, ...told },
    ]);
    this.emit({ type: 'conversation_info', conversationId });
    this.emit({ type: 'conversations' });
    this.emit({ type: 'messages', conversationId });
  }

  /**
   * A message's timer ran out: the core deletes it (and its pin), its replies quote it as
   * disappeared, and the renderer is told as for any change.
   */
  expire(conversationId: string, messageId: string): void {
    const keep = (all: MessageView[]) =>
      all
        .filter((m) => m.id !== messageId)
        .map((m) => (m.replyTo?.messageId === messageId ? { ...m, replyTo: { ...m.replyTo, text: '', disappeared: true } } : m));
    const history = this.histories.get(conversationId);
    if (history) history.messages = keep(history.messages);
    const page = this.pages.get(conversationId);
    if (page) this.pages.set(conversationId, { ...page, messages: keep(page.messages) });
    this.pins.set(
      conversationId,
      (this.pins.get(conversationId) ?? []).filter((pin) => pin.messageId !== messageId),
    );
    this.emit({ type: 'messages', conversationId });
    this.emit({ type: 'conversations' });
  }

  private patchConversation(id: string, patch: Partial<ConversationSummary>): void {
    this.conversations = this.conversations.map((c) => (c.id === id ? { ...c, ...patch } : c));
  }

  callsOf(method: AppApiMethod): unknown[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /** From now on, calls of `method` wait until released (they still see the data as of release). */
  hold(method: AppApiMethod): Held {
    this.holding.add(method);
    return {
      release: () => {
        this.holding.delete(method);
        for (const go of this.holds.get(method)?.splice(0) ?? []) go();
      },
    };
  }

  emit(event: AppEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async answer<M extends AppApiMethod>(
    method: M,
    args: unknown,
    result: () => AppApiResults[M],
  ): Promise<AppApiResults[M]> {
    this.calls.push({ method, args });
    if (this.holding.has(method)) {
      await new Promise<void>((resolve) => {
        const list = this.holds.get(method) ?? [];
        list.push(resolve);
        this.holds.set(method, list);
      });
    }
    return structuredClone(result());
  }

  client(): AppApiClient {
    const api: Partial<Record<AppApiMethod, (args: never) => Promise<unknown>>> & {
      subscribe(listener: (event: AppEvent) => void): () => void;
    } = {
      subscribe: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      getDefaults: (args) => this.answer('getDefaults', args, () => ({ serverUrl: 'ws://test' })),
      getSession: (args) => this.answer('getSession', args, () => this.session),
      getConnectionState: (args) => this.answer('getConnectionState', args, () => 'online' as const),
      listConversations: (args: { limit?: number; folder?: 'main' | 'archived' | 'all' }) =>
        this.answer('listConversations', args, () => {
          const folder = args.folder ?? 'main';
          const list =
            folder === 'all' ? this.conversations : this.conversations.filter((c) => c.archived === (folder === 'archived'));
          return args.limit === undefined ? list : list.slice(0, args.limit);
        }),
      pinMessage: (args: { conversationId: string; messageId: string; on: boolean }) =>
        this.answer('pinMessage', args, () => {
          const others = (this.pins.get(args.conversationId) ?? []).filter((p) => p.messageId !== args.messageId);
          const pinned = this.findMessage(args.conversationId, args.messageId);
          if (pinned) pinned.pinned = args.on;
          const entry: PinnedMessageView = {
            messageId: args.messageId,
            seq: pinned?.seq ?? null,
            senderName: pinned?.senderName ?? '',
            text: pinned?.text ?? '',
            attachment: null,
            pinnedBy: alice.displayName,
            pinnedAt: 9000 + ++this.pinCount,
            pending: true,
          };
          this.pins.set(args.conversationId, args.on ? [entry, ...others] : others);
          return null;
        }),
      listPinnedMessages: (args: { conversationId: string }) =>
        this.answer('listPinnedMessages', args, () => this.pins.get(args.conversationId) ?? []),
      setArchived: (args: { conversationId: string; archived: boolean }) =>
        this.answer('setArchived', args, () => {
          this.patchConversation(args.conversationId, { archived: args.archived });
          return null;
        }),
      setMuted: (args: { conversationId: string; muted: boolean }) =>
        this.answer('setMuted', args, () => {
          this.patchConversation(args.conversationId, { muted: args.muted });
          return null;
        }),
      setDraft: (args: { conversationId: string; text: string; replyTo?: string | null }) =>
        this.answer('setDraft', args, () => {
          if (args.text === '') this.drafts.delete(args.conversationId);
          else this.drafts.set(args.conversationId, { text: args.text, replyTo: args.replyTo ?? null });
          this.patchConversation(args.conversationId, { draft: args.text === '' ? null : args.text });
          return null;
        }),
      getDraft: (args: { conversationId: string }) =>
        this.answer('getDraft', args, () => this.drafts.get(args.conversationId) ?? null),
      setBlocked: (args: { userId: string; blocked: boolean }) =>
        this.answer('setBlocked', args, () => {
          const user = [...this.users.values()].find((u) => u.id === args.userId);
          if (!user) throw new Error('no such user');
          if (args.blocked) this.blocked.set(user.id, user);
          else this.blocked.delete(user.id);
          this.conversations = this.conversations.map((c) => (c.peer?.id === user.id ? { ...c, blocked: args.blocked } : c));
          return null;
        }),
      listBlocked: (args) => this.answer('listBlocked', args, () => [...this.blocked.values()]),
      getPrivacySettings: (args) => this.answer('getPrivacySettings', args, () => this.privacy),
      setShowOnline: (args: Pick<PrivacySettingsView, 'showOnline'>) =>
        this.answer('setShowOnline', args, () => {
          this.privacy = { ...this.privacy, showOnline: args.showOnline };
          return null;
        }),
      setGroupAdds: (args: Pick<PrivacySettingsView, 'groupAdds'>) =>
        this.answer('setGroupAdds', args, () => {
          this.privacy = { ...this.privacy, groupAdds: args.groupAdds };
          return null;
        }),
      answerRequest: (args: { conversationId: string; answer: 'accept' | 'delete' | 'block' }) =>
        this.answer('answerRequest', args, () => {
          this.conversations =
            args.answer === 'accept'
              ? this.conversations.map((c) => (c.id === args.conversationId ? { ...c, request: false } : c))
              : this.conversations.filter((c) => c.id !== args.conversationId);
          return null;
        }),
      fetchLinkPreview: (args: { url: string }) =>
        this.answer('fetchLinkPreview', args, () => this.previews.get(args.url) ?? null),
      listOutbox: (args) => this.answer('listOutbox', args, () => this.outbox),
      retryOutboxItem: (args: { id: string }) => this.answer('retryOutboxItem', args, () => null),
      discardOutboxItem: (args: { id: string }) =>
        this.answer('discardOutboxItem', args, () => {
          const items = this.outbox.items.filter((item) => item.id !== args.id);
          if (items.length === this.outbox.items.length) throw new Error('not_found');
          this.outbox = { items, total: items.length };
          return null;
        }),
      listMessages: (args: ListArgs) =>
        this.answer('listMessages', args, () => {
          const history = this.histories.get(args.conversationId);
          const page = history
            ? pageOf(history.messages, history.readSeq, args)
            : (this.pages.get(args.conversationId) ?? emptyPage());
          return { ...page, notices: [...page.notices, ...(this.notices.get(args.conversationId) ?? [])] };
        }),
      getActivity: (args) => this.answer('getActivity', args, () => this.activity),
      getPreferences: (args) => this.answer('getPreferences', args, () => this.preferences),
      setPreferences: (args: Partial<Preferences>) =>
        this.answer('setPreferences', args, () => {
          this.preferences = { ...this.preferences, ...args };
          return this.preferences;
        }),
      getCoreState: (args) => this.answer('getCoreState', args, () => this.coreState),
      startFresh: (args) =>
        this.answer('startFresh', args, () => {
          this.coreState = { kind: 'ready', diskFull: false, settingsFull: false };
          this.session = null;
          return null;
        }),
      getConversationInfo: (args: { conversationId: string }) =>
        this.answer('getConversationInfo', args, () => {
          const info = this.infos.get(args.conversationId);
          if (info) return { ...info, disappearing: this.disappearingOf(args.conversationId) };
          // A direct conversation with Bob, unless the test set something else.
          return {
            id: args.conversationId,
            kind: 'direct' as const,
            name: null,
            isMember: true,
            role: 'member' as const,
            members: [
              { user: alice, role: 'member' as const, online: true, you: true, pending: false },
              { user: bob, role: 'member' as const, online: false, you: false, pending: false },
            ],
            failedChanges: [],
            disappearing: this.disappearingOf(args.conversationId),
          };
        }),
      setDisappearingTimer: (args: { conversationId: string; timerMs: number | null }) =>
        this.answer('setDisappearingTimer', args, () => {
          if (!this.disappearingOf(args.conversationId).mayChange) throw new AppApiError('refused', 'not_allowed');
          this.changeDisappearing(
            args.conversationId,
            { timerMs: args.timerMs },
            { kind: 'disappearing_timer_set', timerMs: args.timerMs },
          );
          return null;
        }),
      setDisappearingPolicy: (args: { conversationId: string; everyone: boolean }) =>
        this.answer('setDisappearingPolicy', args, () => {
          if (!this.disappearingOf(args.conversationId).mayChangePolicy) throw new AppApiError('refused', 'not_allowed');
          this.changeDisappearing(
            args.conversationId,
            { everyoneMaySet: args.everyone },
            { kind: 'disappearing_policy_set', everyone: args.everyone },
          );
          return null;
        }),
      markRead: (args) => this.answer('markRead', args, () => null),
      setTyping: (args) => this.answer('setTyping', args, () => null),
      editMessage: (args) => this.answer('editMessage', args, () => null),
      addMembers: (args) => this.answer('addMembers', args, () => null),
      findUser: (args: { username: string }) =>
        this.answer('findUser', args, () => {
          const user = this.users.get(args.username);
          if (!user) throw new Error('not found');
          return user;
        }),
      createGroup: (args: { name: string; memberIds: string[] }) =>
        this.answer('createGroup', args, () => {
          const created = summary({
            id: 'g-new',
            kind: 'group',
            title: args.name,
            peer: null,
            memberCount: args.memberIds.length + 1,
          });
          this.conversations = [...this.conversations, created];
          return created;
        }),
      getSafetyNumber: (args: { userId: string }) =>
        this.answer(
          'getSafetyNumber',
          args,
          () => this.safetyNumbers.get(args.userId) ?? { kind: 'no_keys', userId: args.userId },
        ),
      setIdentityVerified: (args: { userId: string; identityKey: string; verified: boolean }) =>
        this.answer('setIdentityVerified', args, () => {
          const shown = this.safetyNumbers.get(args.userId);
          if (shown?.kind === 'number' && shown.identityKey === args.identityKey) {
            this.safetyNumbers.set(args.userId, { ...shown, verified: args.verified });
          }
          return null;
        }),
      getIdentityChanges: (args: { conversationId: string }) =>
        this.answer('getIdentityChanges', args, () => this.identityChanges.get(args.conversationId) ?? []),
      confirmIdentityChanges: (args: { conversationId: string }) =>
        this.answer('confirmIdentityChanges', args, () => {
          this.identityChanges.delete(args.conversationId);
          return null;
        }),
      searchMessages: (args) => this.answer('searchMessages', args, () => []),
      getCall: (args) => this.answer('getCall', args, () => this.call),
      getGroupCalls: (args) => this.answer('getGroupCalls', args, () => this.groupCalls),
      getCallIceServers: (args) => this.answer('getCallIceServers', args, () => []),
      restoreFromRecoveryKey: (args) =>
        this.answer('restoreFromRecoveryKey', args, () => {
          if (this.restoreAnswer instanceof Error) throw this.restoreAnswer;
          return this.restoreAnswer;
        }),
      forwardMessage: (args) => this.answer('forwardMessage', args, () => []),
      getAttachmentLimits: (args) => this.answer('getAttachmentLimits', args, () => ({ maxFileBytes: this.maxFileBytes })),
      downloadAttachment: (args) => this.answer('downloadAttachment', args, () => null),
      retryMessage: (args) => this.answer('retryMessage', args, () => null),
      sendMessage: (args: { conversationId: string; text: string }) =>
        this.answer('sendMessage', args, () =>
          message({
            id: `sent-${++this.sentCount}`,
            conversationId: args.conversationId,
            seq: null,
            own: true,
            senderId: alice.id,
            senderName: alice.displayName,
            text: args.text,
            at: 5000 + this.sentCount,
            status: 'sending',
          }),
        ),
      sendPoll: (args: { conversationId: string; question: string; options: string[]; multiple: boolean }) =>
        this.answer('sendPoll', args, () => {
          const sent = this.justSent(args.conversationId, args.question, {
            poll: {
              options: args.options.map((text) => ({ text, voters: [] })),
              multiple: args.multiple,
              ended: false,
              people: 0,
              mine: [],
              pending: true,
            },
          });
          this.keepSent(sent);
          return sent;
        }),
      makeMapSnapshot: (args: { lat: number; lon: number }) =>
        this.answer('makeMapSnapshot', args, () => {
          if (this.mapSnapshotFailure !== null) throw new AppApiError('refused', this.mapSnapshotFailure);
          return { sha256: 'd'.repeat(64), width: 600, height: 300 };
        }),
      sendLocation: (args: { conversationId: string; lat: number; lon: number; name: string; liveForMs?: number }) =>
        this.answer('sendLocation', args, () => {
          const sent = this.justSent(args.conversationId, args.name, {
            location: {
              lat: args.lat,
              lon: args.lon,
              live: args.liveForMs === undefined ? null : { until: 5000 + args.liveForMs, stopped: false },
            },
          });
          this.keepSent(sent);
          return sent;
        }),
      reportLiveLocation: (args: { conversationId: string; messageId: string; lat: number; lon: number }) =>
        this.answer('reportLiveLocation', args, () => null),
      liveLocationsSharedHere: (args: Record<string, never>) =>
        this.answer('liveLocationsSharedHere', args, () => this.liveLocationsHere),
      stopLiveLocation: (args: { conversationId: string; messageId: string }) =>
        this.answer('stopLiveLocation', args, () => {
          const found = this.histories.get(args.conversationId)?.messages.find((m) => m.id === args.messageId);
          if (!found?.location?.live) throw new AppApiError('refused', 'not_allowed');
          found.location = { ...found.location, live: { ...found.location.live, stopped: true } };
          return null;
        }),
      votePoll: (args: { conversationId: string; messageId: string; choices: number[] }) =>
        this.answer('votePoll', args, () => {
          const found = this.findPoll(args.conversationId, args.messageId);
          if (found.poll.ended) throw new AppApiError('refused', POLL_ENDED);
          const definition = { options: found.poll.options.map((option) => option.text), multiple: found.poll.multiple };
          if (!choicesFit(definition, args.choices)) throw new AppApiError('refused', 'not_allowed');
          this.countVote(found, this.me(), args.choices);
          return null;
        }),
      searchGifs: (args) =>
        this.answer('searchGifs', args, () => {
          if (this.gifSearch instanceof AppApiError) throw this.gifSearch;
          return this.gifSearch;
        }),
      listStickerPacks: (args) => this.answer('listStickerPacks', args, () => this.stickerPacks),
      addStickerPack: (args: { conversationId: string; messageId: string }) =>
        this.answer('addStickerPack', args, () => {
          const sticker = this.histories.get(args.conversationId)?.messages.find((m) => m.id === args.messageId)?.sticker;
          if (!sticker) throw new AppApiError('not_found', 'not_found');
          const pack = {
            packId: sticker.packId,
            name: 'Party',
            stickers: [{ stickerId: sticker.stickerId, emoji: sticker.emoji, sha256: 'd'.repeat(64) }],
          };
          this.stickerPacks = [pack, ...this.stickerPacks];
          return pack;
        }),
      storeGif: (args: { id: string }) =>
        this.answer('storeGif', args, () => ({ sha256: 'c'.repeat(64), size: 1234, mime: 'image/gif' })),
      endPoll: (args: { conversationId: string; messageId: string }) =>
        this.answer('endPoll', args, () => {
          const found = this.findPoll(args.conversationId, args.messageId);
          if (!found.own) throw new AppApiError('refused', 'not_author');
          found.poll = { ...found.poll, ended: true };
          return null;
        }),
    };
    return api as unknown as AppApiClient;
  }
}

/** The transport link as the store sees it: always connected. */
export const connectedLink = {
  status: (): TransportStatus => 'connected',
  onStatus: () => () => {},
};

/** Lets every queued promise callback run (several rounds, for chains of awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * For a test file: `start(api)` makes a store on the fake (disposed after each test) and lets it
 * settle; `started(store)` hands one made by hand to the same clean-up.
 */
export function storesOnFakes(): {
  start: (api: FakeApi) => Promise<AppStore>;
  started: (store: AppStore) => AppStore;
} {
  const stores: AppStore[] = [];
  afterEach(() => stores.splice(0).forEach((store) => store.dispose()));
  return {
    async start(api) {
      const store = createAppStore(api.client(), connectedLink);
      stores.push(store);
      await settle();
      return store;
    },
    started(store) {
      stores.push(store);
      return store;
    },
  };
}
