import { formatSize } from '../format/size.js';
import { t } from '../i18n/index.js';
import type { DraftItem } from '../state/attachment-draft.js';
import { CloseIcon, FileIcon } from './icons.js';

/** The files chosen for the next message, each with a way to take it out again. */
export function AttachmentDraftList({ items, onRemove }: { items: readonly DraftItem[]; onRemove: (key: string) => void }) {
  if (items.length === 0) return null;
  return (
    <ul className="draft-attachments" aria-label={t.attachments.listLabel}>
      {items.map((item) => (
        <li key={item.key} className="draft-attachment">
          <FileIcon size={16} className="draft-attachment__icon" />
          <span className="draft-attachment__name">{item.name}</span>
          <span className="draft-attachment__size">
            {item.state === 'preparing' ? t.attachments.preparing : formatSize(item.size)}
          </span>
          <button
            type="button"
            className="icon-button icon-button--small"
            aria-label={t.attachments.remove(item.name)}
            title={t.attachments.remove(item.name)}
            onClick={() => onRemove(item.key)}
          >
            <CloseIcon size={14} />
          </button>
        </li>
      ))}
    </ul>
  );
}
