import { useId } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { CloseIcon, PencilIcon } from './icons.js';

/** Above the composer while editing one of your messages: its original text, and a way out. */
export function EditBar({ message, onCancel }: { message: MessageView; onCancel: () => void }) {
  const titleId = useId();
  return (
    <div role="group" aria-labelledby={titleId} className="compose-context compose-context--edit">
      <PencilIcon size={18} className="compose-context__icon" />
      <div className="compose-context__body">
        <span id={titleId} className="compose-context__title">
          {t.edit.editing}
        </span>
        <span className="compose-context__text">{message.text}</span>
      </div>
      <button
        type="button"
        className="icon-button icon-button--small"
        aria-label={t.edit.cancel}
        title={t.edit.cancel}
        onClick={onCancel}
      >
        <CloseIcon size={16} />
      </button>
    </div>
  );
}
