/**
 * Your own settings of conversations and people: archive, mute, block (synced by the core to your
 * other devices), the blocked people, drafts, answers to message requests, and privacy. Each change re-reads the conversation list,
 * whose summaries carry the flags the sidebar and the open conversation show.
 */
import type { AppActions, StoreKit } from './types.js';

interface Deps {
  refreshConversations: () => Promise<void>;
}

type SettingsActions = Pick<
  AppActions,
  | 'setArchived'
  | 'setMuted'
  | 'setBlocked'
  | 'loadBlocked'
  | 'loadPrivacy'
  | 'setShowOnline'
  | 'setGroupAdds'
  | 'answerRequest'
  | 'loadDraft'
  | 'saveDraft'
  | 'fetchLinkPreview'
>;

export function createSettings(kit: StoreKit, deps: Deps) {
  const { api } = kit;

  const actions: SettingsActions = {
    async setArchived(conversationId, archived) {
      await api.setArchived({ conversationId, archived });
      await deps.refreshConversations();
    },

    async setMuted(conversationId, muted) {
      await api.setMuted({ conversationId, muted });
      await deps.refreshConversations();
    },

    async setBlocked(userId, blocked) {
      await api.setBlocked({ userId, blocked });
      await deps.refreshConversations();
    },

    loadBlocked: () => api.listBlocked({}),

    loadPrivacy: () => api.getPrivacySettings({}),

    // Nothing in the list shows it: no re-read.
    setShowOnline: (showOnline) => api.setShowOnline({ showOnline }).then(() => undefined),

    setGroupAdds: (groupAdds) => api.setGroupAdds({ groupAdds }).then(() => undefined),

    async answerRequest(conversationId, answer) {
      await api.answerRequest({ conversationId, answer });
      await deps.refreshConversations();
    },

    loadDraft: (conversationId) => api.getDraft({ conversationId }),

    async saveDraft(conversationId, text, replyTo) {
      await api.setDraft({ conversationId, text, replyTo });
      // The list shows "Draft: …"; the core also says 'conversations', this only makes it prompt.
      void deps.refreshConversations();
    },

    async fetchLinkPreview(url) {
      try {
        return await api.fetchLinkPreview({ url });
      } catch (error) {
        console.warn('fetchLinkPreview failed', error);
        return null;
      }
    },
  };

  return { actions };
}
