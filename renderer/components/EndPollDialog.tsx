import { t } from '../i18n/index.js';
import { ModalDialog } from './ModalDialog.js';

interface Props {
  onConfirm: () => void;
  onClose: () => void;
  returnFocusTo: () => HTMLElement | null;
}

/** "End poll?" Ending cannot be undone, so Cancel has the focus and a stray Enter ends nothing. */
export function EndPollDialog({ onConfirm, onClose, returnFocusTo }: Props) {
  return (
    <ModalDialog title={t.polls.endTitle} description={t.polls.endDescription} onClose={onClose} returnFocusTo={returnFocusTo}>
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} autoFocus>
          {t.polls.endCancel}
        </button>
        <button type="button" className="button button--primary" onClick={onConfirm}>
          {t.polls.endConfirm}
        </button>
      </div>
    </ModalDialog>
  );
}
