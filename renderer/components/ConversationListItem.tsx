import { memo } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import type { AttachmentKind } from '../../sync/protocol/attachments.js';
import { formatFull, formatListTime } from '../format/time.js';
import { t } from '../i18n/index.js';
import { isDeletedPreview } from '../state/conversations.js';
import { ConversationAvatar } from './ConversationAvatar.js';

interface Props {
  conversation: ConversationSummary;
  selected: boolean;
  /** True for the conversation being read right now: it is about to be marked read. */
  hideUnread: boolean;
  onOpen: (id: string) => void;
}

/** What an attachment-only message reads as: "Photo", "Voice message", or the file's name. */
function attachmentPreview(attachment: { kind: AttachmentKind; name: string } | null): string {
  switch (attachment?.kind) {
    case undefined:
      return '';
    case 'image':
      return t.conversations.photoPreview;
    case 'voice':
      return t.conversations.voicePreview;
    case 'file':
      return attachment.name;
  }
}

function preview(conversation: ConversationSummary): string {
  const last = conversation.lastMessage;
  if (!last) return t.conversations.noMessagesPreview;
  if (isDeletedPreview(last)) return t.conversations.deletedPreview;
  const oneLine = last.text.replace(/\s+/gu, ' ').trim() || attachmentPreview(last.attachment ?? null);
  if (last.own) return t.conversations.ownPreview(oneLine);
  return conversation.kind === 'group' && last.senderName ? t.conversations.senderPreview(last.senderName, oneLine) : oneLine;
}

/**
 * One row of the conversation list. The button's accessible name starts with the conversation's
 * title: the other person's name, or the group's.
 */
export const ConversationListItem = memo(function ConversationListItem({ conversation, selected, hideUnread, onOpen }: Props) {
  const { title, lastActivityAt } = conversation;
  const unreadCount = hideUnread ? 0 : conversation.unreadCount;
  const mentioned = conversation.mentionsYou && !hideUnread;
  const deleted = conversation.lastMessage !== null && isDeletedPreview(conversation.lastMessage);
  const classes = ['conversation-item'];
  if (selected) classes.push('conversation-item--selected');
  if (unreadCount > 0) classes.push('conversation-item--unread');
  if (!conversation.isMember) classes.push('conversation-item--left');
  return (
    <li className="conversation-list__row">
      <button
        type="button"
        className={classes.join(' ')}
        aria-current={selected ? 'true' : undefined}
        onClick={() => onOpen(conversation.id)}
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
            <span className={`conversation-item__preview${deleted ? ' conversation-item__preview--deleted' : ''}`}>
              {preview(conversation)}
            </span>
            {mentioned && (
              <span className="badge badge--mention" title={t.conversations.mentioned}>
                <span aria-hidden="true">{t.conversations.mentionedVisible}</span>
                <span className="visually-hidden">{t.conversations.mentioned}</span>
              </span>
            )}
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
