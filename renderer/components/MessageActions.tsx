import type { Ref } from 'react';
import { t } from '../i18n/index.js';
import { ForwardIcon, InfoIcon, PencilIcon, ReplyIcon, SmileIcon, TrashIcon } from './icons.js';
import { PinIcon } from './organise-icons.js';

export interface MessageActionSet {
  reply: boolean;
  react: boolean;
  /** A copy to other conversations: messages the server holds, from a conversation you are in. */
  forward: boolean;
  edit: boolean;
  delete: boolean;
  /** Own messages: who has read / received it. */
  info: boolean;
  /** Pin or unpin: owner and admins of a group, both people of a direct conversation. */
  pin: boolean;
}

interface Props {
  actions: MessageActionSet;
  pickerOpen: boolean;
  /** The message is pinned now: the pin button unpins. */
  pinned: boolean;
  reactButtonRef: Ref<HTMLButtonElement>;
  onReply: () => void;
  onReact: () => void;
  onForward: () => void;
  onEdit: () => void;
  onDelete: () => void;
  onInfo: () => void;
  onPin: () => void;
}

/**
 * The buttons that appear beside a message on hover or keyboard focus. Always in the page (only
 * faded out), so Tab reaches them and screen readers find them; icon-only, named by aria-label.
 */
export function MessageActions({
  actions,
  pickerOpen,
  pinned,
  reactButtonRef,
  onReply,
  onReact,
  onForward,
  onEdit,
  onDelete,
  onInfo,
  onPin,
}: Props) {
  return (
    <div role="group" aria-label={t.actions.label} className="message-actions">
      {actions.reply && (
        <button
          type="button"
          className="message-actions__button"
          aria-label={t.actions.reply}
          title={t.actions.reply}
          onClick={onReply}
        >
          <ReplyIcon size={16} />
        </button>
      )}
      {actions.react && (
        <button
          ref={reactButtonRef}
          type="button"
          className="message-actions__button"
          aria-label={t.actions.react}
          title={t.actions.react}
          aria-haspopup="dialog"
          aria-expanded={pickerOpen}
          onClick={onReact}
        >
          <SmileIcon size={16} />
        </button>
      )}
      {actions.forward && (
        <button
          type="button"
          className="message-actions__button"
          aria-label={t.actions.forward}
          title={t.actions.forward}
          aria-haspopup="dialog"
          onClick={onForward}
        >
          <ForwardIcon size={16} />
        </button>
      )}
      {actions.pin && (
        <button
          type="button"
          className="message-actions__button"
          aria-label={pinned ? t.actions.unpin : t.actions.pin}
          title={pinned ? t.actions.unpin : t.actions.pin}
          onClick={onPin}
        >
          <PinIcon size={16} />
        </button>
      )}
      {actions.edit && (
        <button
          type="button"
          className="message-actions__button"
          aria-label={t.actions.edit}
          title={t.actions.edit}
          onClick={onEdit}
        >
          <PencilIcon size={16} />
        </button>
      )}
      {actions.info && (
        <button
          type="button"
          className="message-actions__button"
          aria-label={t.actions.info}
          title={t.actions.info}
          onClick={onInfo}
        >
          <InfoIcon size={16} />
        </button>
      )}
      {actions.delete && (
        <button
          type="button"
          className="message-actions__button message-actions__button--danger"
          aria-label={t.actions.delete}
          title={t.actions.delete}
          onClick={onDelete}
        >
          <TrashIcon size={16} />
        </button>
      )}
    </div>
  );
}
