/** Forwarding a message: where it can go, and sending the copies. */
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { sortConversations } from './conversations.js';
import type { AppActions, StoreKit } from './types.js';

interface Deps {
  /** The copies change the conversation list (and the open conversation, when it is a target). */
  refreshConversations: () => Promise<void>;
}

export function createForward(kit: StoreKit, deps: Deps) {
  const { api } = kit;

  const actions: Pick<AppActions, 'loadForwardTargets' | 'forwardMessage'> = {
    async loadForwardTargets(): Promise<ConversationSummary[]> {
      // The whole list from the core (the sidebar may hold only the screen it shows): a group we
      // left takes nothing more. Archived conversations too.
      const list = await api.listConversations({ folder: 'all' });
      return sortConversations(list.filter((conversation) => conversation.isMember));
    },

    async forwardMessage(conversationId, messageId, toConversationIds) {
      await api.forwardMessage({ conversationId, messageId, toConversationIds });
      // The core also says so ('messages', 'conversations'); the list moves at once either way.
      void deps.refreshConversations();
    },
  };

  return { actions };
}
