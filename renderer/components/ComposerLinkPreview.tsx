import type { LinkPreviewView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { CloseIcon } from './icons.js';
import { LinkPreviewCard } from './LinkPreviewCard.js';

/** The preview that will go with the message, above the box; "Remove preview" sends without it. */
export function ComposerLinkPreview({ preview, onRemove }: { preview: LinkPreviewView; onRemove: () => void }) {
  return (
    <div className="composer-preview">
      <LinkPreviewCard preview={preview} className="link-preview--composer" />
      <button
        type="button"
        className="icon-button composer-preview__remove"
        aria-label={t.linkPreview.remove}
        title={t.linkPreview.remove}
        onClick={onRemove}
      >
        <CloseIcon size={16} />
      </button>
    </div>
  );
}
