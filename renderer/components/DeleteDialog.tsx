import { t } from '../i18n/index.js';
import { ModalDialog } from './ModalDialog.js';

interface Props {
  /** Not yet accepted by the server: deleting simply withdraws it. */
  unsent: boolean;
  onConfirm: () => void;
  onClose: () => void;
  returnFocusTo: () => HTMLElement | null;
}

/** "Delete for everyone?" Cancel has the focus, so a stray Enter deletes nothing. */
export function DeleteDialog({ unsent, onConfirm, onClose, returnFocusTo }: Props) {
  return (
    <ModalDialog
      title={t.deleteDialog.title}
      description={unsent ? t.deleteDialog.unsentDescription : t.deleteDialog.description}
      onClose={onClose}
      returnFocusTo={returnFocusTo}
    >
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} autoFocus>
          {t.deleteDialog.cancel}
        </button>
        <button type="button" className="button button--danger" onClick={onConfirm}>
          {t.deleteDialog.confirm}
        </button>
      </div>
    </ModalDialog>
  );
}
