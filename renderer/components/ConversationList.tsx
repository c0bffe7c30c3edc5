import { useWindowActive } from '../hooks/useWindowActive.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { ConversationListItem } from './ConversationListItem.js';

/** The left column's list, most recent activity first (the store keeps it sorted). */
export function ConversationList() {
  const conversations = useApp((s) => s.conversations);
  const loaded = useApp((s) => s.conversationsLoaded);
  const error = useApp((s) => s.conversationsError);
  const openId = useApp((s) => s.open?.id ?? null);
  const { openConversation } = useActions();
  // The conversation being read gets marked read; don't flash its badge meanwhile.
  const reading = useWindowActive() ? openId : null;

  return (
    <div className="conversation-list">
      <ul role="list" aria-label={t.conversations.listLabel} className="conversation-list__items">
        {conversations.map((conversation) => (
          <ConversationListItem
            key={conversation.id}
            conversation={conversation}
            selected={conversation.id === openId}
            hideUnread={conversation.id === reading}
            onOpen={openConversation}
          />
        ))}
      </ul>
      {error && conversations.length === 0 && (
        <p className="conversation-list__error" role="alert">
          {t.conversations.loadError}
        </p>
      )}
      {loaded && !error && conversations.length === 0 && (
        <div className="empty empty--sidebar">
          <p className="empty__title">{t.conversations.empty}</p>
          <p className="empty__hint">{t.conversations.emptyHint}</p>
        </div>
      )}
    </div>
  );
}
