/**
 * The renderer's whole state: what the core last told us, re-read whenever it says something
 * changed (AppEvent). The core is the source of truth; the store only adds a few optimistic
 * touches (a sent message appears at once, a discarded one disappears, a read badge clears).
 *
 * Each resource (session/defaults/connection, the conversation list, the open conversation's
 * messages) has one coalesced refetch: at most one call in flight and one pending.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppApiClient } from '../../sync/app-api/client.js';
import type {
  AppApiArgs,
  AppEvent,
  ConnectionState,
  ConversationSummary,
  Defaults,
  MessageView,
  SessionInfo,
} from '../../sync/app-api/contract.js';
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

export interface AppActions {
  /** Re-reads everything: session, defaults, connection, conversations, open conversation. */
  reloadAll(): Promise<void>;
  /** These throw (AppApiError / TransportError) so the form can show why. */
  createAccount(args: AppApiArgs<'createAccount'>): Promise<void>;
  logIn(args: AppApiArgs<'logIn'>): Promise<void>;
  startConversation(username: string): Promise<void>;
  /** Resolves with the sent message; throws when the core would not take it. */
  send(text: string): Promise<MessageView | null>;
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

function sameMessage(a: MessageView, b: MessageView): boolean {
  return (
    a.id === b.id &&
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
        a.lastMessage.own === b.lastMessage.own &&
        a.lastMessage.at === b.lastMessage.at))
  );
}

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
            messages: sortMessages([...reuse(current.messages, page.messages, sameMessage), ...keep]),
            hasOlder: page.hasOlder,
            loaded: true,
            error: null,
          };
        });
      } catch (error) {
        setOpen((current) => (current.id === id ? { ...current, error: describeError(error) } : current));
      }
    });

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
      set({ conversations: [], conversationsLoaded: false, conversationsError: null, open: null, notice: null });
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
        if (session) await Promise.all([refreshConversations(), refreshMessages()]);
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
          set({ open: null, notice: null });
          return;
        }
        const cached = pageCache.get(id);
        set({
          notice: null,
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
      },

      async loadOlder() {
        const open = get().open;
        if (!open || !open.hasOlder || open.limit >= MESSAGE_LIMIT_MAX) return;
        setOpen((current) => ({ ...current, limit: Math.min(current.limit + MESSAGE_PAGE, MESSAGE_LIMIT_MAX) }));
        await refreshMessages();
      },

      async send(text) {
        const open = get().open;
        if (!open) return null;
        const message = await api.sendMessage({ conversationId: open.id, text });
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
    },
  });
}
