/**
 * The conversation list: read from the core, kept sorted, and the ways to start conversations.
 * The store holds every folder (`folder: 'all'`): the sidebar shows the main list, the "Archived"
 * one or "Message requests" by each summary's `archived` and `request` (what those folders would
 * answer), and the open conversation is found here whichever list it is in.
 */
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { CONVERSATION_LIST_FIRST_SCREEN } from '../../sync/app-api/first-screen.js';
import { coalesce } from './coalesce.js';
import { reuse } from './equal.js';
import { describeError } from './errors.js';
import type { AppActions, StoreKit } from './types.js';

/** Most recent activity first; ties by id so the order is stable. */
export function sortConversations(list: readonly ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => b.lastActivityAt - a.lastActivityAt || a.id.localeCompare(b.id));
}

/** Whether a conversation's last message was deleted. */
export function isDeletedPreview(last: NonNullable<ConversationSummary['lastMessage']>): boolean {
  return last.deleted;
}

export type SidebarFolder = 'main' | 'archived' | 'requests';

/** The conversations of one of the sidebar's lists (the store's list holds all of them). */
export function inFolder(list: readonly ConversationSummary[], folder: SidebarFolder): ConversationSummary[] {
  return list.filter((conversation) => folderOf(conversation) === folder);
}

/** The one list a conversation shows in: "Message requests" first, else by its archive. */
export function folderOf(conversation: ConversationSummary): SidebarFolder {
  if (conversation.request) return 'requests';
  return conversation.archived ? 'archived' : 'main';
}

type ConversationActions = Pick<AppActions, 'startConversation' | 'findUser' | 'createGroup' | 'markRead'>;

interface Deps {
  openConversation: (id: string) => void;
}

export function createConversations(kit: StoreKit, deps: Deps) {
  const { api, get, set } = kit;

  const refresh = coalesce(async () => {
    const userId = kit.userId();
    if (!userId) return;
    try {
      if (!get().conversationsLoaded) {
        // The first screen at once, before every conversation this profile holds has been read.
        const screen = await api.listConversations({ folder: 'all', limit: CONVERSATION_LIST_FIRST_SCREEN });
        if (kit.userId() !== userId) return;
        if (!get().conversationsLoaded) set({ conversations: screen, conversationsLoaded: true, conversationsError: null });
        if (screen.length < CONVERSATION_LIST_FIRST_SCREEN) return;
      }
      const list = await api.listConversations({ folder: 'all' });
      if (kit.userId() !== userId) return;
      const previous = get().conversations;
      const conversations = reuse(previous, sortConversations(list), (c) => c.id);
      if (conversations !== previous || !get().conversationsLoaded || get().conversationsError !== null) {
        set({ conversations, conversationsLoaded: true, conversationsError: null });
      }
    } catch (error) {
      if (kit.userId() !== userId) return;
      set({ conversationsError: describeError(error) });
    }
  });

  /** Shows a conversation the core just answered with, before the list is re-read. */
  const upsertAndOpen = (summary: ConversationSummary) => {
    const others = get().conversations.filter((c) => c.id !== summary.id);
    set({ conversations: sortConversations([...others, summary]) });
    deps.openConversation(summary.id);
    void refresh();
  };

  const actions: ConversationActions = {
    async startConversation(username) {
      upsertAndOpen(await api.startConversation({ username }));
    },

    async findUser(username) {
      return api.findUser({ username });
    },

    async createGroup(name, memberIds) {
      upsertAndOpen(await api.createGroup({ name, memberIds }));
    },

    markRead(conversationId, upToSeq) {
      const conversations = get().conversations;
      // Read only up to what was shown: the core's recount (a 'conversations' event) says what is left.
      if (upToSeq === undefined && conversations.some((c) => c.id === conversationId && (c.unreadCount > 0 || c.mentionsYou))) {
        set({
          conversations: conversations.map((c) => (c.id === conversationId ? { ...c, unreadCount: 0, mentionsYou: false } : c)),
        });
      }
      api.markRead({ conversationId, ...(upToSeq === undefined ? {} : { upToSeq }) }).catch((error: unknown) => {
        console.warn('markRead failed', error);
        void refresh();
      });
    },
  };

  return {
    actions,
    refresh,
    reset() {
      set({ conversations: [], conversationsLoaded: false, conversationsError: null });
    },
  };
}
