import { memo } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { formatFull, formatListTime } from '../format/time.js';
import { conversationPreview } from '../format/conversation-preview.js';
import { t } from '../i18n/index.js';
import { useLanguage } from '../i18n/use-language.js';
import { isDeletedPreview } from '../state/conversations.js';
import { ConversationAvatar } from './ConversationAvatar.js';
import { BellOffIcon } from './organise-icons.js';

interface Props {
  conversation: ConversationSummary;
  /** Its place in the whole list (the list renders only the rows in view). */
  index: number;
  setSize: number;
  /** Where the row sits in the list, in pixels from its top. */
  start: number;
  /** Measures the row once rendered (the windowed list places rows by their heights). */
  measureRef: (element: HTMLLIElement | null) => void;
  /** The list's one tab stop; the other rows are reached with the arrow keys. */
  tabbable: boolean;
  selected: boolean;
  onOpen: (id: string) => void;
  onFocus: (id: string) => void;
}

/**
 * One row of the conversation list. The button's accessible name starts with the conversation's
 * title: the other person's name, or the group's.
 */
export const ConversationListItem = memo(function ConversationListItem({
  conversation,
  index,
  setSize,
  start,
  measureRef,
  tabbable,
  selected,
  onOpen,
  onFocus,
}: Props) {
  useLanguage(); // memo() keeps equal props from re-rendering: this re-renders it when the language changes
  const { title, lastActivityAt } = conversation;
  // The open conversation too: only what was shown is read, so its badge counts what is still below.
  const unreadCount = conversation.unreadCount;
  const mentioned = conversation.mentionsYou;
  const drafting = conversation.draft !== null;
  const deleted =
    !drafting && !conversation.lastCall && conversation.lastMessage !== null && isDeletedPreview(conversation.lastMessage);
  const { muted } = conversation;
  const classes = ['conversation-item'];
  if (selected) classes.push('conversation-item--selected');
  if (unreadCount > 0) classes.push('conversation-item--unread');
  if (!conversation.isMember) classes.push('conversation-item--left');
  if (muted) classes.push('conversation-item--muted');
  const previewClasses = ['conversation-item__preview'];
  if (deleted) previewClasses.push('conversation-item__preview--deleted');
  if (drafting) previewClasses.push('conversation-item__preview--draft');
  return (
    <li
      ref={measureRef}
      className="conversation-list__row"
      data-index={index}
      aria-setsize={setSize}
      aria-posinset={index + 1}
      style={{ transform: `translateY(${start}px)` }}
    >
      <button
        type="button"
        className={classes.join(' ')}
        aria-current={selected ? 'true' : undefined}
        tabIndex={tabbable ? 0 : -1}
        onClick={() => onOpen(conversation.id)}
        onFocus={() => onFocus(conversation.id)}
      >
        <ConversationAvatar conversation={conversation} />
        <span className="conversation-item__body">
          <span className="conversation-item__top">
            <span className="conversation-item__name">{title}</span>
            <time
              className="conversation-item__time"
              dateTime={new Date(lastActivityAt).toISOString()}
              title={formatFull(lastActivityAt)}
            >
              {formatListTime(lastActivityAt)}
            </time>
          </span>
          <span className="conversation-item__bottom">
            <span className={previewClasses.join(' ')}>{conversationPreview(conversation)}</span>
            {muted && (
              <span className="conversation-item__muted" title={t.muted.label}>
                <BellOffIcon size={14} />
                <span className="visually-hidden">{t.muted.label}</span>
              </span>
            )}
            {mentioned && (
              <span className="badge badge--mention" title={t.conversations.mentioned}>
                <span aria-hidden="true">{t.conversations.mentionedVisible}</span>
                <span className="visually-hidden">{t.conversations.mentioned}</span>
              </span>
            )}
            {unreadCount > 0 && (
              <span
                className={`badge${muted ? ' badge--muted' : ''}`}
                role="img"
                aria-label={muted ? t.muted.unread(unreadCount) : t.conversations.unread(unreadCount)}
              >
                {t.conversations.unreadVisible(unreadCount)}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
});
