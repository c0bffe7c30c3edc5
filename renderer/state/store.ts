/**
 * The renderer's whole state: what the core last told us, re-read whenever it says something
 * changed (AppEvent). The core is the source of truth; the store only adds a few optimistic
 * touches (a sent message appears at once, a discarded one disappears, a read badge clears).
 *
 * Each resource (session/defaults/connection, the conversation list, the open conversation's
 * messages, its activity: typing and presence) has one coalesced refetch: at most one call in
 * flight and one pending.
 *
 * Changes to a message (edit, delete, reaction, retrying or dropping a refused change) show at
 * once: each is an idempotent patch laid over what the core returns until the call has settled and
 * a refetch that started after it has landed, so a refetch already in flight cannot flip it back.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppApiClient } from '../../sync/app-api/client.js';
import type {
  ActivityView,
  AppApiArgs,
  AppEvent,
  ConnectionState,
  ConversationSummary,
  Defaults,
  EditHistoryEntry,
  FailedChangeView,
  MessageView,
  QuoteView,
  ReactionView,
  SessionInfo,
} from '../../sync/app-api/contract.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import type { RendererTransport, TransportStatus } from '../transport/types.js';
import { coalesce } from './coalesce.js';
import { describeError } from './errors.js';

/** How many of the newest messages to show at first, and how many more per "Load older". */
export const MESSAGE_PAGE = 200;
/** The contract's largest `limit`. */
export const MESSAGE_LIMIT_MAX = 1000;

export type Phase = 'loading' | 'unreachable' | 'signedOut' | 'signedIn';

export interface OpenConversation {
  id: string;
  messages: MessageView[];
  hasOlder: boolean;
  limit: number;
  /** False until the first page arrived (nothing cached). */
  loaded: boolean;
  error: string | null;
}

/** Typing and presence for one conversation (the open one). */
export interface ConversationActivity extends ActivityView {
  conversationId: string;
}

export interface AppActions {
  /** Re-reads everything: session, defaults, connection, conversations, open conversation. */
  reloadAll(): Promise<void>;
  /** These throw (AppApiError / TransportError) so the form can show why. */
  createAccount(args: AppApiArgs<'createAccount'>): Promise<void>;
  logIn(args: AppApiArgs<'logIn'>): Promise<void>;
  startConversation(username: string): Promise<void>;
  /** Resolves with the sent message; throws when the core would not take it. */
  send(text: string, replyTo?: string): Promise<MessageView | null>;
  /** Throws when the core would not take the edit (the composer shows why). */
  editMessage(messageId: string, text: string): Promise<void>;
  /** These show a notice when the core refuses. */
  deleteMessage(messageId: string): Promise<void>;
  setReaction(messageId: string, emoji: string, on: boolean): Promise<void>;
  retryChange(messageId: string, changeId: string): Promise<void>;
  discardChange(messageId: string, changeId: string): Promise<void>;
  /** Throws (the dialog shows why). */
  loadEditHistory(messageId: string): Promise<EditHistoryEntry[]>;
  /** Tells the core the person is typing in the open conversation. Never throws. */
  setTyping(): void;
  /**
   * Makes sure a message of the open conversation is loaded, loading older pages as needed.
   * Resolves false when it cannot be (not in this mirror, or beyond the largest page).
   */
  ensureLoaded(messageId: string): Promise<boolean>;
  showNotice(text: string): void;
  logOut(): Promise<void>;
  openConversation(id: string | null): void;
  loadOlder(): Promise<void>;
  retry(messageId: string): Promise<void>;
  discard(messageId: string): Promise<void>;
  markRead(conversationId: string): void;
  dismissNotice(): void;
}

export interface AppState {
  phase: Phase;
  defaults: Defaults | null;
  session: SessionInfo | null;
  connection: ConnectionState;
  transport: TransportStatus;
  /** Most recent activity first. */
  conversations: ConversationSummary[];
  conversationsLoaded: boolean;
  conversationsError: string | null;
  open: OpenConversation | null;
  /** Who is typing in the open conversation and the peer's presence; null until known. */
  activity: ConversationActivity | null;
  /** A transient problem with an action (retry, delete) to show in the conversation. */
  notice: string | null;
  actions: AppActions;
}

export type AppStore = StoreApi<AppState> & { dispose(): void };

type Link = Pick<RendererTransport, 'status' | 'onStatus'>;

export function sortConversations(list: readonly ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => b.lastActivityAt - a.lastActivityAt || a.id.localeCompare(b.id));
}

/** Sequence order; messages the server has not numbered yet come last, in compose order. */
export function sortMessages(list: readonly MessageView[]): MessageView[] {
  return [...list].sort((a, b) => {
    if (a.seq !== null && b.seq !== null) return a.seq - b.seq;
    if (a.seq !== null) return -1;
    if (b.seq !== null) return 1;
    return a.at - b.at;
  });
}

function sameQuote(a: QuoteView | null, b: QuoteView | null): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.messageId === b.messageId &&
    a.available === b.available &&
    a.senderId === b.senderId &&
    a.senderName === b.senderName &&
    a.text === b.text &&
    a.deleted === b.deleted
  );
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a === b || (a.length === b.length && a.every((item, index) => same(item, b[index]!)));
}

const sameReaction = (a: ReactionView, b: ReactionView) => a.emoji === b.emoji && a.count === b.count && a.mine === b.mine;
const sameFailure = (a: FailedChangeView, b: FailedChangeView) =>
  a.changeId === b.changeId && a.kind === b.kind && a.error === b.error;

function sameMessage(a: MessageView, b: MessageView): boolean {
  return (
    a.id === b.id &&
    a.edited === b.edited &&
    a.deleted === b.deleted &&
    a.senderName === b.senderName &&
    sameQuote(a.replyTo, b.replyTo) &&
    sameList(a.reactions, b.reactions, sameReaction) &&
    sameList(a.failedChanges, b.failedChanges, sameFailure) &&
    a.seq === b.seq &&
    a.status === b.status &&
    a.error === b.error &&
    a.at === b.at &&
    a.text === b.text &&
    a.own === b.own &&
    a.senderId === b.senderId &&
    a.conversationId === b.conversationId
  );
}

function sameConversation(a: ConversationSummary, b: ConversationSummary): boolean {
  return (
    a.id === b.id &&
    a.unreadCount === b.unreadCount &&
    a.lastActivityAt === b.lastActivityAt &&
    a.peer.id === b.peer.id &&
    a.peer.username === b.peer.username &&
    a.peer.displayName === b.peer.displayName &&
    (a.lastMessage === b.lastMessage ||
      (a.lastMessage !== null &&
        b.lastMessage !== null &&
        a.lastMessage.text === b.lastMessage.text &&
        isDeletedPreview(a.lastMessage) === isDeletedPreview(b.lastMessage) &&
        a.lastMessage.own === b.lastMessage.own &&
        a.lastMessage.at === b.lastMessage.at))
  );
}

/**
 * Whether a conversation's last message was deleted. The contract's summary carries only its text,
 * which is empty exactly then (message text is never empty); a `deleted` flag is used when present.
 */
export function isDeletedPreview(last: NonNullable<ConversationSummary['lastMessage']>): boolean {
  const flag = (last as { deleted?: unknown }).deleted;
  return typeof flag === 'boolean' ? flag : last.text === '';
}

function sameUsers(a: ActivityView['typing'], b: ActivityView['typing']): boolean {
  return sameList(a, b, (x, y) => x.id === y.id && x.displayName === y.displayName && x.username === y.username);
}

function sameActivity(a: ConversationActivity | null, b: ConversationActivity): boolean {
  if (!a) return false;
  const p = a.peerPresence;
  const q = b.peerPresence;
  return (
    a.conversationId === b.conversationId &&
    sameUsers(a.typing, b.typing) &&
    (p === q || (p !== null && q !== null && p.online === q.online && p.lastSeenAt === q.lastSeenAt))
  );
}

type Patch = (message: MessageView) => MessageView;

/** The optimistic look of each change; all idempotent, so applying one twice changes nothing. */
const patches = {
  edit: (text: string): Patch => (m) => (m.text === text ? m : { ...m, text }),
  delete: (): Patch => (m) =>
    m.deleted ? m : { ...m, deleted: true, text: '', edited: false, reactions: [], replyTo: null },
  reaction: (emoji: string, on: boolean): Patch => (m) => {
    const existing = m.reactions.find((r) => r.emoji === emoji);
    if (on) {
      if (existing?.mine) return m;
      const reactions = existing
        ? m.reactions.map((r) => (r.emoji === emoji ? { ...r, count: r.count + 1, mine: true } : r))
        : [...m.reactions, { emoji, count: 1, mine: true }];
      return { ...m, reactions };
    }
    if (!existing?.mine) return m;
    const reactions =
      existing.count <= 1
        ? m.reactions.filter((r) => r.emoji !== emoji)
        : m.reactions.map((r) => (r.emoji === emoji ? { ...r, count: r.count - 1, mine: false } : r));
    return { ...m, reactions };
  },
  dropFailure: (changeId: string): Patch => (m) =>
    m.failedChanges.some((c) => c.changeId === changeId)
      ? { ...m, failedChanges: m.failedChanges.filter((c) => c.changeId !== changeId) }
      : m,
};

/**
 * Keeps the previous object for every item that did not change, so memoised rows skip rendering
 * when an event re-reads a long list in which one item changed.
 */
function reuse<T extends { id: string }>(previous: readonly T[], next: readonly T[], same: (a: T, b: T) => boolean): T[] {
  const byId = new Map(previous.map((item) => [item.id, item]));
  return next.map((item) => {
    const old = byId.get(item.id);
    return old && same(old, item) ? old : item;
  });
}

export function createAppStore(api: AppApiClient, link: Link): AppStore {
  /** Last page per conversation, so switching back shows it at once while it refreshes. */
  const pageCache = new Map<string, { messages: MessageView[]; hasOlder: boolean; limit: number }>();
  /** Messages added locally (just sent) and the generation at which they were added. */
  const localAdds = new Map<string, number>();
  let localGeneration = 0;
  /** Optimistic patches per message id, in the order they were made. */
  const optimistic = new Map<string, Patch[]>();
  const withPatches = (message: MessageView): MessageView => {
    const list = optimistic.get(message.id);
    return list ? list.reduce((m, patch) => patch(m), message) : message;
  };
  let activityTimer: ReturnType<typeof setTimeout> | null = null;
  /** Assigned by the initialiser below, which has `set`/`get`. */
  let onEvent: (event: AppEvent) => void = () => {};

  const store = createStore<AppState>()((set, get) => {
    const signedInUserId = () => get().session?.user.id ?? null;

    const setOpen = (update: (open: OpenConversation) => OpenConversation | null) => {
      const open = get().open;
      if (!open) return;
      const next = update(open);
      if (next && next !== open) pageCache.set(next.id, { messages: next.messages, hasOlder: next.hasOlder, limit: next.limit });
      set({ open: next });
    };

    const refreshConversations = coalesce(async () => {
      const userId = signedInUserId();
      if (!userId) return;
      try {
        const list = await api.listConversations({});
        if (signedInUserId() !== userId) return;
        const conversations = sortConversations(reuse(get().conversations, list, sameConversation));
        set({ conversations, conversationsLoaded: true, conversationsError: null });
      } catch (error) {
        if (signedInUserId() !== userId) return;
        set({ conversationsError: describeError(error) });
      }
    });

    const refreshMessages = coalesce(async () => {
      const open = get().open;
      if (!open || !signedInUserId()) return;
      const { id, limit } = open;
      const generation = localGeneration;
      try {
        const page = await api.listMessages({ conversationId: id, limit });
        setOpen((current) => {
          if (current.id !== id || current.limit !== limit) return current;
          const fetched = new Set(page.messages.map((m) => m.id));
          // Keep messages sent after this fetch started that it could not know about yet.
          const keep = current.messages.filter((m) => !fetched.has(m.id) && (localAdds.get(m.id) ?? 0) > generation);
          for (const [messageId, added] of localAdds) {
            if (fetched.has(messageId) || added <= generation) localAdds.delete(messageId);
          }
          return {
            ...current,
            messages: sortMessages([...reuse(current.messages, page.messages.map(withPatches), sameMessage), ...keep]),
            hasOlder: page.hasOlder,
            loaded: true,
            error: null,
          };
        });
      } catch (error) {
        setOpen((current) => (current.id === id ? { ...current, error: describeError(error) } : current));
      }
    });

    const refreshActivity = coalesce(async () => {
      const id = get().open?.id;
      if (!id || !signedInUserId()) return;
      if (activityTimer !== null) clearTimeout(activityTimer);
      activityTimer = null;
      try {
        const view = await api.getActivity({ conversationId: id });
        if (get().open?.id !== id) return;
        const next: ConversationActivity = { conversationId: id, typing: view.typing, peerPresence: view.peerPresence };
        if (!sameActivity(get().activity, next)) set({ activity: next });
        // The core says when typing stops; should that word be lost, look again once it must have.
        if (next.typing.length > 0) activityTimer = setTimeout(() => void refreshActivity(), LIMITS.typingTtlMs + 500);
      } catch (error) {
        console.warn('getActivity failed', error);
      }
    });

    const patchMessage = (messageId: string, patch: Patch) => {
      setOpen((current) => {
        let changed = false;
        const messages = current.messages.map((m) => {
          if (m.id !== messageId) return m;
          const next = patch(m);
          if (next !== m) changed = true;
          return next;
        });
        return changed ? { ...current, messages } : current;
      });
    };

    /**
     * Shows `patch` at once and keeps it over refetches until `call` settled and a refetch that
     * started afterwards landed. On failure the patch goes and the refetch shows the truth.
     */
    const change = async (messageId: string, patch: Patch, call: () => Promise<unknown>, rethrow = false) => {
      const list = optimistic.get(messageId) ?? [];
      list.push(patch);
      optimistic.set(messageId, list);
      patchMessage(messageId, patch);
      const drop = () => {
        const index = list.indexOf(patch);
        if (index >= 0) list.splice(index, 1);
        if (list.length === 0 && optimistic.get(messageId) === list) optimistic.delete(messageId);
      };
      try {
        await call();
      } catch (error) {
        drop();
        void refreshMessages();
        if (rethrow) throw error;
        set({ notice: describeError(error) });
        return;
      }
      await refreshMessages();
      drop();
    };

    const upsertMessage = (message: MessageView) => {
      setOpen((current) => {
        if (current.id !== message.conversationId) return current;
        const others = current.messages.filter((m) => m.id !== message.id);
        return { ...current, messages: sortMessages([...others, message]) };
      });
    };

    const clearSignedIn = () => {
      pageCache.clear();
      localAdds.clear();
      optimistic.clear();
      set({ conversations: [], conversationsLoaded: false, conversationsError: null, open: null, activity: null, notice: null });
    };

    const applySession = (session: SessionInfo | null) => {
      const previous = get().session;
      if (!session) {
        if (previous || get().phase !== 'signedOut') {
          set({ session: null, phase: 'signedOut' });
          clearSignedIn();
        }
        return;
      }
      if (previous?.user.id !== session.user.id) {
        clearSignedIn();
        set({ session, phase: 'signedIn' });
        void refreshConversations();
      } else {
        set({ session, phase: 'signedIn' });
      }
    };

    const reloadAll = coalesce(async () => {
      try {
        const [defaults, session, connection] = await Promise.all([
          api.getDefaults({}),
          api.getSession({}),
          api.getConnectionState({}),
        ]);
        set({ defaults, connection });
        applySession(session);
        if (session) await Promise.all([refreshConversations(), refreshMessages(), refreshActivity()]);
      } catch (error) {
        console.error('reload failed', error);
        if (get().phase === 'loading') set({ phase: 'unreachable' });
      }
    });

    const actions: AppActions = {
      reloadAll,

      async createAccount(args) {
        applySession(await api.createAccount(args));
      },

      async logIn(args) {
        applySession(await api.logIn(args));
      },

      async logOut() {
        try {
          await api.logOut({});
        } finally {
          // Even if the call failed, the person asked to leave: re-read what the core says.
          const session = await api.getSession({}).catch(() => null);
          applySession(session);
        }
      },

      async startConversation(username) {
        const summary = await api.startConversation({ username });
        const others = get().conversations.filter((c) => c.id !== summary.id);
        set({ conversations: sortConversations([...others, summary]) });
        actions.openConversation(summary.id);
        void refreshConversations();
      },

      openConversation(id) {
        if (get().open?.id === id) return;
        if (id === null) {
          set({ open: null, activity: null, notice: null });
          return;
        }
        const cached = pageCache.get(id);
        set({
          notice: null,
          activity: null,
          open: {
            id,
            messages: cached?.messages ?? [],
            hasOlder: cached?.hasOlder ?? false,
            limit: cached?.limit ?? MESSAGE_PAGE,
            loaded: cached !== undefined,
            error: null,
          },
        });
        void refreshMessages();
        void refreshActivity();
      },

      async loadOlder() {
        const open = get().open;
        if (!open || !open.hasOlder || open.limit >= MESSAGE_LIMIT_MAX) return;
        setOpen((current) => ({ ...current, limit: Math.min(current.limit + MESSAGE_PAGE, MESSAGE_LIMIT_MAX) }));
        await refreshMessages();
      },

      async send(text, replyTo) {
        const open = get().open;
        if (!open) return null;
        const message = await api.sendMessage(
          replyTo === undefined ? { conversationId: open.id, text } : { conversationId: open.id, text, replyTo },
        );
        localAdds.set(message.id, ++localGeneration);
        upsertMessage(message);
        void refreshConversations();
        return message;
      },

      async retry(messageId) {
        setOpen((current) => ({
          ...current,
          messages: current.messages.map((m) => (m.id === messageId ? { ...m, status: 'sending', error: null } : m)),
        }));
        try {
          await api.retryMessage({ messageId });
        } catch (error) {
          set({ notice: describeError(error) });
        }
        void refreshMessages();
      },

      async discard(messageId) {
        setOpen((current) => ({ ...current, messages: current.messages.filter((m) => m.id !== messageId) }));
        try {
          await api.discardMessage({ messageId });
        } catch (error) {
          set({ notice: describeError(error) });
        }
        void refreshMessages();
        void refreshConversations();
      },

      async editMessage(messageId, text) {
        const open = get().open;
        if (!open) return;
        await change(messageId, patches.edit(text), () => api.editMessage({ conversationId: open.id, messageId, text }), true);
        void refreshConversations();
      },

      async deleteMessage(messageId) {
        const open = get().open;
        if (!open) return;
        await change(messageId, patches.delete(), () => api.deleteMessage({ conversationId: open.id, messageId }));
        void refreshConversations();
      },

      async setReaction(messageId, emoji, on) {
        const open = get().open;
        if (!open) return;
        await change(messageId, patches.reaction(emoji, on), () =>
          api.setReaction({ conversationId: open.id, messageId, emoji, on }),
        );
      },

      async retryChange(messageId, changeId) {
        await change(messageId, patches.dropFailure(changeId), () => api.retryChange({ changeId }));
      },

      async discardChange(messageId, changeId) {
        await change(messageId, patches.dropFailure(changeId), () => api.discardChange({ changeId }));
        void refreshConversations();
      },

      async loadEditHistory(messageId) {
        const open = get().open;
        if (!open) return [];
        return api.getEditHistory({ conversationId: open.id, messageId });
      },

      setTyping() {
        const open = get().open;
        if (!open) return;
        // Best effort: offline (or a lost bridge) simply means nobody is told.
        api.setTyping({ conversationId: open.id }).catch(() => {});
      },

      async ensureLoaded(messageId) {
        const id = get().open?.id;
        for (;;) {
          const open = get().open;
          if (!open || open.id !== id) return false;
          if (open.messages.some((m) => m.id === messageId)) return true;
          if (!open.hasOlder || open.limit >= MESSAGE_LIMIT_MAX) return false;
          setOpen((current) => ({ ...current, limit: Math.min(current.limit + MESSAGE_PAGE, MESSAGE_LIMIT_MAX) }));
          await refreshMessages();
        }
      },

      showNotice(text) {
        set({ notice: text });
      },

      markRead(conversationId) {
        const conversations = get().conversations;
        if (conversations.some((c) => c.id === conversationId && c.unreadCount > 0)) {
          set({ conversations: conversations.map((c) => (c.id === conversationId ? { ...c, unreadCount: 0 } : c)) });
        }
        api.markRead({ conversationId }).catch((error: unknown) => {
          console.warn('markRead failed', error);
          void refreshConversations();
        });
      },

      dismissNotice() {
        set({ notice: null });
      },
    };

    onEvent = (event: AppEvent) => {
      switch (event.type) {
        case 'connection':
          set({ connection: event.state });
          // Presence is only known while connected: the core may have changed its answer.
          void refreshActivity();
          break;
        case 'session':
          applySession(event.session);
          break;
        case 'conversations':
          void refreshConversations();
          break;
        case 'messages':
          if (get().open?.id === event.conversationId) void refreshMessages();
          else pageCache.delete(event.conversationId);
          void refreshConversations();
          break;
        case 'activity':
          if (get().open?.id === event.conversationId) void refreshActivity();
          break;
      }
    };

    return {
      phase: 'loading',
      defaults: null,
      session: null,
      connection: 'connecting',
      transport: link.status(),
      conversations: [],
      conversationsLoaded: false,
      conversationsError: null,
      open: null,
      activity: null,
      notice: null,
      actions,
    };
  });

  const unsubscribeEvents = api.subscribe((event) => onEvent(event));
  const unsubscribeLink = link.onStatus((status, recovered) => {
    store.setState({ transport: status });
    // The host may have restarted (or never answered yet): re-read everything.
    if (status === 'connected' && (recovered || store.getState().phase === 'unreachable')) {
      void store.getState().actions.reloadAll();
    }
  });
  void store.getState().actions.reloadAll();

  return Object.assign(store, {
    dispose() {
      unsubscribeEvents();
      unsubscribeLink();
      if (activityTimer !== null) clearTimeout(activityTimer);
    },
  });
}
