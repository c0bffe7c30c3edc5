import { useEffect, useState } from 'react';
import type { EditHistoryEntry } from '../../sync/app-api/contract.js';
import { formatFull } from '../format/time.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ModalDialog } from './ModalDialog.js';

interface Props {
  messageId: string;
  /** The message's current text: the history is read again when it changes. */
  currentText: string;
  onClose: () => void;
  returnFocusTo: () => HTMLElement | null;
}

type Load = { state: 'loading' } | { state: 'loaded'; entries: EditHistoryEntry[] } | { state: 'failed'; error: string };

/** Every version of a message, oldest first, each with its time. */
export function EditHistoryDialog({ messageId, currentText, onClose, returnFocusTo }: Props) {
  const { loadEditHistory } = useActions();
  const [load, setLoad] = useState<Load>({ state: 'loading' });

  useEffect(() => {
    let cancelled = false;
    loadEditHistory(messageId).then(
      (entries) => !cancelled && setLoad({ state: 'loaded', entries }),
      (error: unknown) => !cancelled && setLoad({ state: 'failed', error: describeError(error) }),
    );
    return () => {
      cancelled = true;
    };
  }, [loadEditHistory, messageId, currentText]);

  return (
    <ModalDialog title={t.history.title} onClose={onClose} returnFocusTo={returnFocusTo} className="dialog--history">
      {load.state === 'loading' && <p className="history__note">{t.history.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.history.error(load.error)}
        </p>
      )}
      {load.state === 'loaded' && load.entries.length === 0 && <p className="history__note">{t.history.empty}</p>}
      {load.state === 'loaded' && load.entries.length > 0 && (
        <ol className="history">
          {load.entries.map((entry, index) => {
            const label = index === 0 ? t.history.original : index === load.entries.length - 1 ? t.history.current : null;
            return (
              <li key={`${entry.at}-${index}`} className="history__entry">
                <p className="history__meta">
                  {label && <span className="history__label">{label}</span>}
                  <time dateTime={new Date(entry.at).toISOString()}>{formatFull(entry.at)}</time>
                </p>
                <p className="history__text">{entry.text}</p>
              </li>
            );
          })}
        </ol>
      )}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} autoFocus>
          {t.history.close}
        </button>
      </div>
    </ModalDialog>
  );
}
