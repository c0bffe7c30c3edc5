import { useId } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { CloseIcon, ReplyIcon } from './icons.js';

/** Above the composer while replying: who and what is being answered, and a way out. */
export function ReplyPreview({ message, onCancel }: { message: MessageView; onCancel: () => void }) {
  const titleId = useId();
  return (
    <div role="group" aria-labelledby={titleId} className="compose-context">
      <ReplyIcon size={18} className="compose-context__icon" />
      <div className="compose-context__body">
        <span id={titleId} className="compose-context__title">
          {t.reply.replyingTo(message.senderName || t.quote.unknownSender)}
        </span>
        <span className={`compose-context__text${message.deleted ? ' compose-context__text--muted' : ''}`}>
          {message.deleted ? t.quote.deleted : message.text}
        </span>
      </div>
      <button
        type="button"
        className="icon-button icon-button--small"
        aria-label={t.reply.cancel}
        title={t.reply.cancel}
        onClick={onCancel}
      >
        <CloseIcon size={16} />
      </button>
    </div>
  );
}
