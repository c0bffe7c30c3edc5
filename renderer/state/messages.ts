/**
 * The open conversation's history: a window of its messages and membership notices, paging at
 * both ends, jumping, sending and the optimistic changes to messages.
 *
 * The window holds at most WINDOW_MAX messages: the newest ones, or after a jump any stretch. It
 * grows at the end the person scrolls towards (PAGE at a time) and lets go of the other end, so a
 * history of any length costs the same memory. Every read of the window carries the window's
 * version; an answer for a window that has changed meanwhile is dropped, never merged.
 *
 * Changes to a message (edit, delete, reaction, retrying or dropping a refused change) show at
 * once: each is an idempotent patch laid over what the core returns until the call has settled and
 * a refetch that started after it has landed, so a refetch already in flight cannot flip it back.
 */
import type { MessagePage, MessageView, NoticeView } from '../../sync/app-api/contract.js';
import { coalesce } from './coalesce.js';
import { reuse } from './equal.js';
import { describeError } from './errors.js';
import { Overlay, patches, type Patch } from './optimistic.js';
import type { AppActions, OpenConversation, StoreKit } from './types.js';

/** How many messages one read adds to the window. */
export const MESSAGE_PAGE = 100;
/** The most messages the window holds (the contract's largest `limit` is 1000). */
export const WINDOW_MAX = 500;

/** Sequence order; messages the server has not numbered yet come last, in compose order. */
export function sortMessages(list: readonly MessageView[]): MessageView[] {
  return [...list].sort((a, b) => {
    if (a.seq !== null && b.seq !== null) return a.seq - b.seq;
    if (a.seq !== null) return -1;
    if (b.seq !== null) return 1;
    return a.at - b.at;
  });
}

const numbered = (messages: readonly MessageView[]) => messages.filter((m) => m.seq !== null);
const firstSeq = (messages: readonly MessageView[]) => messages.find((m) => m.seq !== null)?.seq ?? null;
const lastSeq = (messages: readonly MessageView[]) => numbered(messages).at(-1)?.seq ?? null;

/** Notices by seq, each once, within the stretch the messages cover (open ends reach on). */
function noticesWithin(notices: readonly NoticeView[], from: number, to: number): NoticeView[] {
  const bySeq = new Map<number, NoticeView>();
  for (const notice of notices) if (notice.seq >= from && notice.seq <= to) bySeq.set(notice.seq, notice);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

type MessageActions = Pick<
  AppActions,
  | 'openConversation'
  | 'loadOlder'
  | 'loadNewer'
  | 'jumpToMessage'
  | 'jumpToLatest'
  | 'clearTarget'
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

type CachedWindow = Pick<OpenConversation, 'messages' | 'notices' | 'hasOlder'>;

/** An optimistic change to a message of the open conversation (see `change` below). */
export type ChangeMessage = (messageId: string, patch: Patch, call: () => Promise<unknown>, rethrow?: boolean) => Promise<void>;

export function createMessages(kit: StoreKit, deps: Deps) {
  const { api, get, set } = kit;
  /** The newest window per conversation, so switching back shows it at once while it refreshes. */
  const windowCache = new Map<string, CachedWindow>();
  /** Messages added locally (just sent) and the generation at which they were added. */
  const localAdds = new Map<string, number>();
  let localGeneration = 0;
  const overlay = new Overlay();
  /**
   * `replacements` grows when a new window is asked for (opening, a jump, back to the latest): only
   * the latest such request may land, and growth or re-reads of an older window are dropped.
   * `landings` grows whenever the window changes (replaced, or grown at an end): a re-read that
   * started before is dropped and made again.
   */
  let replacements = 0;
  let landings = 0;

  const setOpen = (update: (open: OpenConversation) => OpenConversation | null) => {
    const open = get().open;
    if (!open) return;
    const next = update(open);
    if (next === open) return;
    if (next && !next.hasNewer)
      windowCache.set(next.id, { messages: next.messages, notices: next.notices, hasOlder: next.hasOlder });
    set({ open: next });
  };

  const openId = () => get().open?.id ?? null;

  /**
   * The unread divider's place, fixed by the first answer after opening: after the read watermark
   * when something from others lies beyond it, else nowhere (what arrives while reading is read).
   */
  const withUnread = (open: OpenConversation, page: MessagePage): OpenConversation => {
    if (open.unreadAfterSeq !== null) return open;
    return { ...open, unreadAfterSeq: page.firstUnreadSeq === null ? Number.MAX_SAFE_INTEGER : page.firstUnreadSeq - 1 };
  };

  /** Replaces the window with a page (after opening, a jump, back to the latest). */
  const replaceWindow = (
    id: string,
    version: number,
    page: MessagePage,
    target: string | null,
    to: OpenConversation['scroll']['to'],
  ) => {
    if (version !== replacements) return false;
    landings++;
    setOpen((current) => {
      if (current.id !== id) return current;
      const messages = sortMessages(page.messages.map((m) => overlay.apply(m)));
      return {
        ...withUnread(current, page),
        messages,
        notices: page.notices,
        hasOlder: page.hasOlder,
        hasNewer: page.hasNewer,
        loaded: true,
        error: null,
        target,
        scroll: { to, n: current.scroll.n + 1 },
      };
    });
    return true;
  };

  const failed = (id: string, error: unknown) =>
    setOpen((current) => (current.id === id ? { ...current, error: describeError(error) } : current));

  /** Re-reads the window as it stands: the same stretch, or (at the newest) up to what is new. */
  const refresh = coalesce(async () => {
    const open = get().open;
    if (!open || !kit.userId()) return;
    const { id } = open;
    const version = `${replacements}:${landings}`;
    const generation = localGeneration;
    const from = firstSeq(open.messages);
    const count = numbered(open.messages).length;
    try {
      let page =
        from === null
          ? await api.listMessages({ conversationId: id, limit: MESSAGE_PAGE })
          : await api.listMessages({
              conversationId: id,
              afterSeq: from - 1,
              limit: open.hasNewer ? Math.max(count, 1) : WINDOW_MAX,
            });
      // At the newest, more arrived than the window holds: keep the newest.
      if (!open.hasNewer && page.hasNewer) page = await api.listMessages({ conversationId: id, limit: WINDOW_MAX });
      if (version !== `${replacements}:${landings}`) {
        // Extended or replaced meanwhile: read the window as it is now.
        void refresh();
        return;
      }
      setOpen((current) => {
        if (current.id !== id) return current;
        const fetched = new Set(page.messages.map((m) => m.id));
        // Keep messages sent after this fetch started that it could not know about yet.
        const kept = page.hasNewer
          ? []
          : current.messages.filter((m) => !fetched.has(m.id) && (localAdds.get(m.id) ?? 0) > generation);
        for (const [messageId, added] of localAdds) {
          if (fetched.has(messageId) || added <= generation) localAdds.delete(messageId);
        }
        const messages = reuse(
          current.messages,
          sortMessages([...page.messages.map((m) => overlay.apply(m)), ...kept]),
          (m) => m.id,
        );
        const notices = reuse(current.notices, page.notices, (n) => n.seq);
        const next = withUnread(current, page);
        if (
          messages === current.messages &&
          notices === current.notices &&
          current.hasOlder === page.hasOlder &&
          current.hasNewer === page.hasNewer &&
          next === current &&
          current.loaded &&
          current.error === null
        ) {
          return current;
        }
        return { ...next, messages, notices, hasOlder: page.hasOlder, hasNewer: page.hasNewer, loaded: true, error: null };
      });
    } catch (error) {
      failed(id, error);
    }
  });

  /** Lands a newly opened conversation: the newest messages, or the first unread one when it is further up. */
  const land = async (id: string) => {
    const version = ++replacements;
    try {
      const newest = await api.listMessages({ conversationId: id, limit: MESSAGE_PAGE });
      const oldestShown = firstSeq(newest.messages);
      const firstUnread = newest.firstUnreadSeq;
      const unreadFurtherUp = firstUnread !== null && newest.hasOlder && oldestShown !== null && oldestShown > firstUnread;
      if (!unreadFurtherUp) {
        replaceWindow(id, version, newest, null, 'first-unread');
        return;
      }
      const around = await api.listMessages({ conversationId: id, aroundSeq: firstUnread, limit: MESSAGE_PAGE });
      replaceWindow(id, version, around, null, 'first-unread');
    } catch (error) {
      failed(id, error);
    }
  };

  /** Grows the window by a page at one end and lets go of the other end beyond WINDOW_MAX. */
  const extend = async (direction: 'older' | 'newer') => {
    const open = get().open;
    if (!open || !open.loaded) return;
    const edge = direction === 'older' ? firstSeq(open.messages) : lastSeq(open.messages);
    if (edge === null || (direction === 'older' ? !open.hasOlder : !open.hasNewer)) return;
    const { id } = open;
    const version = replacements;
    try {
      const page = await api.listMessages(
        direction === 'older'
          ? { conversationId: id, beforeSeq: edge, limit: MESSAGE_PAGE }
          : { conversationId: id, afterSeq: edge, limit: MESSAGE_PAGE },
      );
      if (version !== replacements) return;
      landings++;
      setOpen((current) => {
        if (current.id !== id) return current;
        const known = new Set(current.messages.map((m) => m.id));
        const added = page.messages.filter((m) => !known.has(m.id)).map((m) => overlay.apply(m));
        let messages = sortMessages([...current.messages, ...added]);
        let { hasOlder, hasNewer } = current;
        if (direction === 'older') hasOlder = page.hasOlder;
        else hasNewer = page.hasNewer;
        if (messages.length > WINDOW_MAX) {
          if (direction === 'older') {
            messages = messages.slice(0, WINDOW_MAX);
            hasNewer = true;
          } else {
            messages = messages.slice(messages.length - WINDOW_MAX);
            hasOlder = true;
          }
        }
        // Unsent messages belong to the newest stretch only.
        if (hasNewer) messages = numbered(messages);
        const from = hasOlder ? (firstSeq(messages) ?? 0) : 0;
        const to = hasNewer ? (lastSeq(messages) ?? 0) : Number.MAX_SAFE_INTEGER;
        const notices = noticesWithin([...current.notices, ...page.notices], from, to);
        return { ...current, messages, notices, hasOlder, hasNewer };
      });
    } catch (error) {
      failed(id, error);
    }
  };

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
  const change: ChangeMessage = async (messageId, patch, call, rethrow = false) => {
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

  /** Shows a conversation with what is cached (or nothing yet); `target` is the message jumped to. */
  const show = (id: string, target: string | null) => {
    const cached = target === null ? windowCache.get(id) : undefined;
    replacements++;
    set({
      notice: null,
      open: {
        id,
        messages: cached?.messages ?? [],
        notices: cached?.notices ?? [],
        hasOlder: cached?.hasOlder ?? false,
        hasNewer: false,
        loaded: cached !== undefined,
        error: null,
        unreadAfterSeq: null,
        target,
        scroll: { to: target === null ? 'first-unread' : 'target', n: 0 },
      },
    });
    deps.opened(id);
  };

  const toLatest = async () => {
    const open = get().open;
    if (!open) return;
    if (!open.hasNewer) {
      // Already the newest stretch: only the scrolling is left to do.
      setOpen((current) => ({ ...current, target: null, scroll: { to: 'latest', n: current.scroll.n + 1 } }));
      return;
    }
    const version = ++replacements;
    try {
      replaceWindow(open.id, version, await api.listMessages({ conversationId: open.id, limit: MESSAGE_PAGE }), null, 'latest');
    } catch (error) {
      failed(open.id, error);
    }
  };

  /** A message the core just took from this device: shown at once, kept over refetches begun before it. */
  const showSent = async (message: MessageView) => {
    localAdds.set(message.id, ++localGeneration);
    // What was just sent shows at the newest end: go there when reading further up.
    if (get().open?.hasNewer) await toLatest();
    else upsertMessage(message);
    void deps.refreshConversations();
  };

  const actions: MessageActions = {
    openConversation(id) {
      if (openId() === id) return;
      if (id === null) {
        replacements++;
        set({ open: null, notice: null });
        deps.opened(null);
        return;
      }
      show(id, null);
      void land(id);
    },

    loadOlder: () => extend('older'),
    loadNewer: () => extend('newer'),

    async jumpToMessage(conversationId, messageId) {
      const open = get().open;
      if (open?.id === conversationId && open.messages.some((m) => m.id === messageId)) {
        setOpen((current) => ({ ...current, target: messageId, scroll: { to: 'target', n: current.scroll.n + 1 } }));
        return true;
      }
      const switching = open?.id !== conversationId;
      if (switching) show(conversationId, messageId);
      const version = ++replacements;
      try {
        const page = await api.listMessages({ conversationId, aroundMessageId: messageId, limit: MESSAGE_PAGE });
        if (page.messages.some((m) => m.id === messageId))
          return replaceWindow(conversationId, version, page, messageId, 'target');
        // Not in this profile: an opened conversation still lands where it would have.
        if (switching && openId() === conversationId) await land(conversationId);
        return false;
      } catch (error) {
        failed(conversationId, error);
        return false;
      }
    },

    jumpToLatest: toLatest,

    clearTarget() {
      setOpen((current) => (current.target === null ? current : { ...current, target: null }));
    },

    async send(text, replyTo, attachments, linkPreview) {
      const id = openId();
      if (!id) return null;
      const message = await api.sendMessage({
        conversationId: id,
        text,
        ...(replyTo === undefined ? {} : { replyTo }),
        ...(attachments && attachments.length > 0 ? { attachments } : {}),
        ...(linkPreview ? { linkPreview } : {}),
      });
      await showSent(message);
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
    change,
    showSent,
    /** A conversation that is not open changed: its cached window is stale. */
    forget(conversationId: string) {
      windowCache.delete(conversationId);
    },
    reset() {
      windowCache.clear();
      localAdds.clear();
      overlay.clear();
      replacements++;
    },
  };
}
