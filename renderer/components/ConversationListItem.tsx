import { memo } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { formatFull, formatListTime } from '../format/time.js';
import { t } from '../i18n/index.js';
import { isDeletedPreview } from '../state/store.js';
import { Avatar } from './Avatar.js';

interface Props {
  conversation: ConversationSummary;
  selected: boolean;
  /** True for the conversation being read right now: it is about to be marked read. */
  hideUnread: boolean;
  onOpen(id: string): void;
}

function preview(conversation: ConversationSummary): string {
  const last = conversation.lastMessage;
  if (!last) return t.conversations.noMessagesPreview;
  if (isDeletedPreview(last)) return t.conversations.deletedPreview;
  const oneLine = last.text.replace(/\s+/gu, ' ').trim();
  return last.own ? t.conversations.ownPreview(oneLine) : oneLine;
}

/** One row of the conversation list. The button's accessible name starts with the peer's name. */
export const ConversationListItem = memo(function ConversationListItem({ conversation, selected, hideUnread, onOpen }: Props) {
  const { peer, lastActivityAt } = conversation;
  const unreadCount = hideUnread ? 0 : conversation.unreadCount;
  const deleted = conversation.lastMessage !== null && isDeletedPreview(conversation.lastMessage);
  return (
    <li className="conversation-list__row">
      <button
        type="button"
        className={`conversation-item${selected ? ' conversation-item--selected' : ''}${unreadCount > 0 ? ' conversation-item--unread' : ''}`}
        aria-current={selected ? 'true' : undefined}
        onClick={() => onOpen(conversation.id)}
      >
        <Avatar user={peer} />
        <span className="conversation-item__body">
          <span className="conversation-item__top">
            <span className="conversation-item__name">{peer.displayName}</span>
            <time className="conversation-item__time" dateTime={new Date(lastActivityAt).toISOString()} title={formatFull(lastActivityAt)}>
              {formatListTime(lastActivityAt)}
            </time>
          </span>
          <span className="conversation-item__bottom">
            <span className={`conversation-item__preview${deleted ? ' conversation-item__preview--deleted' : ''}`}>
              {preview(conversation)}
            </span>
            {unreadCount > 0 && (
              <span className="badge" role="img" aria-label={t.conversations.unread(unreadCount)}>
                {t.conversations.unreadVisible(unreadCount)}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
});
