import type { AttachmentView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { ModalDialog } from './ModalDialog.js';

interface Props {
  attachment: AttachmentView;
  onSave: () => void;
  onClose: () => void;
}

/** An image at up to the window's size, with Save and Close. */
export function ImageViewer({ attachment, onSave, onClose }: Props) {
  const src = attachment.localUrl ?? attachment.preview ?? undefined;
  return (
    <ModalDialog title={t.attachments.viewer} onClose={onClose} className="image-viewer">
      <img
        className="image-viewer__image"
        src={src}
        alt={attachment.name}
        width={attachment.width ?? undefined}
        height={attachment.height ?? undefined}
      />
      <p className="image-viewer__name">{attachment.name}</p>
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onSave}>
          {t.attachments.viewerSave}
        </button>
        <button type="button" className="button button--primary" onClick={onClose} autoFocus>
          {t.attachments.viewerClose}
        </button>
      </div>
    </ModalDialog>
  );
}
