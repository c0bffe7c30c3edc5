/**
 * The open conversation's history: its messages and membership notices, paging, sending and the
 * optimistic changes to messages.
 *
 * Changes to a message (edit, delete, reaction, retrying or dropping a refused change) show at
 * once: each is an idempotent patch laid over what the core returns until the call has settled and
 * a refetch that started after it has landed, so a refetch already in flight cannot flip it back.
 */
import type { MessageView } from '../../sync/app-api/contract.js';
import { coalesce } from './coalesce.js';
import { reuse } from './equal.js';
import { describeError } from './errors.js';
import { Overlay, patches, type Patch } from './optimistic.js';
import type { AppActions, OpenConversation, StoreKit } from './types.js';

/** How many of the newest messages to show at first, and how many more per "Load older". */
export const MESSAGE_PAGE = 200;
/** The contract's largest `limit`. */
export const MESSAGE_LIMIT_MAX = 1000;

/** Sequence order; messages the server has not numbered yet come last, in compose order. */
export function sortMessages(list: readonly MessageView[]): MessageView[] {
  return [...list].sort((a, b) => {
    if (a.seq !== null && b.seq !== null) return a.seq - b.seq;
    if (a.seq !== null) return -1;
    if (b.seq !== null) return 1;
    return a.at - b.at;
  });
}

type MessageActions = Pick<
  AppActions,
  | 'openConversation'
  | 'loadOlder'
  | 'ensureLoaded'
  | 'send'
  | 'downloadAttachment'
  | 'retry'
  | 'discard'
  | 'editMessage'
  | 'deleteMessage'
  | 'setReaction'
  | 'retryChange'
  | 'discardChange'
  | 'loadEditHistory'
  | 'loadMessageInfo'
>;

interface Deps {
  refreshConversations: () => Promise<void>;
  /** Another conversation was opened (or none): re-read what belongs to it besides messages. */
  opened: (id: string | null) => void;
}

export function createMessages(kit: StoreKit, deps: Deps) {
  const { api, get, set } = kit;
  /** Last page per conversation, so switching back shows it at once while it refreshes. */
  const pageCache = new Map<string, Pick<OpenConversation, 'messages' | 'notices' | 'hasOlder' | 'limit'>>();
  /** Messages added locally (just sent) and the generation at which they were added. */
  const localAdds = new Map<string, number>();
  let localGeneration = 0;
  const overlay = new Overlay();

  const setOpen = (update: (open: OpenConversation) => OpenConversation | null) => {
    const open = get().open;
    if (!open) return;
    const next = update(open);
    if (next === open) return;
    if (next)
      pageCache.set(next.id, { messages: next.messages, notices: next.notices, hasOlder: next.hasOlder, limit: next.limit });
    set({ open: next });
  };

  const refresh = coalesce(async () => {
    const open = get().open;
    if (!open || !kit.userId()) return;
    const { id, limit } = open;
    const generation = localGeneration;
    try {
      const page = await api.listMessages({ conversationId: id, limit });
      setOpen((current) => {
        if (current.id !== id || current.limit !== limit) return current;
        const fetched = new Set(page.messages.map((m) => m.id));
        // Keep messages sent after this fetch started that it could not know about yet.
        const kept = current.messages.filter((m) => !fetched.has(m.id) && (localAdds.get(m.id) ?? 0) > generation);
        for (const [messageId, added] of localAdds) {
          if (fetched.has(messageId) || added <= generation) localAdds.delete(messageId);
        }
        const messages = reuse(
          current.messages,
          sortMessages([...page.messages.map((m) => overlay.apply(m)), ...kept]),
          (m) => m.id,
        );
        const notices = reuse(current.notices, page.notices, (n) => n.seq);
        if (
          messages === current.messages &&
          notices === current.notices &&
          current.hasOlder === page.hasOlder &&
          current.loaded &&
          current.error === null
        ) {
          return current;
        }
        return { ...current, messages, notices, hasOlder: page.hasOlder, loaded: true, error: null };
      });
    } catch (error) {
      setOpen((current) => (current.id === id ? { ...current, error: describeError(error) } : current));
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
    const drop = overlay.add(messageId, patch);
    patchMessage(messageId, patch);
    try {
      await call();
    } catch (error) {
      drop();
      void refresh();
      if (rethrow) throw error;
      set({ notice: describeError(error) });
      return;
    }
    await refresh();
    drop();
  };

  const upsertMessage = (message: MessageView) => {
    setOpen((current) => {
      if (current.id !== message.conversationId) return current;
      const others = current.messages.filter((m) => m.id !== message.id);
      return { ...current, messages: sortMessages([...others, message]) };
    });
  };

  const growLimit = () =>
    setOpen((current) => ({ ...current, limit: Math.min(current.limit + MESSAGE_PAGE, MESSAGE_LIMIT_MAX) }));

  const openId = () => get().open?.id ?? null;

  const actions: MessageActions = {
    openConversation(id) {
      if (openId() === id) return;
      if (id === null) {
        set({ open: null, notice: null });
        deps.opened(null);
        return;
      }
      const cached = pageCache.get(id);
      set({
        notice: null,
        open: {
          id,
          messages: cached?.messages ?? [],
          notices: cached?.notices ?? [],
          hasOlder: cached?.hasOlder ?? false,
          limit: cached?.limit ?? MESSAGE_PAGE,
          loaded: cached !== undefined,
          error: null,
        },
      });
      deps.opened(id);
      void refresh();
    },

    async loadOlder() {
      const open = get().open;
      if (!open || !open.hasOlder || open.limit >= MESSAGE_LIMIT_MAX) return;
      growLimit();
      await refresh();
    },

    async ensureLoaded(messageId) {
      const id = openId();
      for (;;) {
        const open = get().open;
        if (!open || open.id !== id) return false;
        if (open.messages.some((m) => m.id === messageId)) return true;
        if (!open.hasOlder || open.limit >= MESSAGE_LIMIT_MAX) return false;
        growLimit();
        await refresh();
      }
    },

    async send(text, replyTo, attachments) {
      const id = openId();
      if (!id) return null;
      const message = await api.sendMessage({
        conversationId: id,
        text,
        ...(replyTo === undefined ? {} : { replyTo }),
        ...(attachments && attachments.length > 0 ? { attachments } : {}),
      });
      localAdds.set(message.id, ++localGeneration);
      upsertMessage(message);
      void deps.refreshConversations();
      return message;
    },

    async downloadAttachment(messageId, index) {
      const id = openId();
      if (!id) return;
      try {
        await api.downloadAttachment({ conversationId: id, messageId, index });
      } catch (error) {
        set({ notice: describeError(error) });
      }
    },

    async retry(messageId) {
      patchMessage(messageId, patches.retrying());
      try {
        await api.retryMessage({ messageId });
      } catch (error) {
        set({ notice: describeError(error) });
      }
      void refresh();
    },

    async discard(messageId) {
      setOpen((current) => ({ ...current, messages: current.messages.filter((m) => m.id !== messageId) }));
      try {
        await api.discardMessage({ messageId });
      } catch (error) {
        set({ notice: describeError(error) });
      }
      void refresh();
      void deps.refreshConversations();
    },

    async editMessage(messageId, text) {
      const id = openId();
      if (!id) return;
      await change(messageId, patches.edit(text), () => api.editMessage({ conversationId: id, messageId, text }), true);
      void deps.refreshConversations();
    },

    async deleteMessage(messageId) {
      const id = openId();
      if (!id) return;
      await change(messageId, patches.delete(), () => api.deleteMessage({ conversationId: id, messageId }));
      void deps.refreshConversations();
    },

    async setReaction(messageId, emoji, on) {
      const id = openId();
      if (!id) return;
      await change(messageId, patches.reaction(emoji, on), () => api.setReaction({ conversationId: id, messageId, emoji, on }));
    },

    async retryChange(messageId, changeId) {
      await change(messageId, patches.dropFailure(changeId), () => api.retryChange({ changeId }));
    },

    async discardChange(messageId, changeId) {
      await change(messageId, patches.dropFailure(changeId), () => api.discardChange({ changeId }));
      void deps.refreshConversations();
    },

    async loadEditHistory(messageId) {
      const id = openId();
      if (!id) return [];
      return api.getEditHistory({ conversationId: id, messageId });
    },

    async loadMessageInfo(messageId) {
      const id = openId();
      if (!id) return { readBy: [], deliveredTo: [] };
      return api.getMessageInfo({ conversationId: id, messageId });
    },
  };

  return {
    actions,
    refresh,
    /** A conversation that is not open changed: its cached page is stale. */
    forget(conversationId: string) {
      pageCache.delete(conversationId);
    },
    reset() {
      pageCache.clear();
      localAdds.clear();
      overlay.clear();
    },
  };
}
