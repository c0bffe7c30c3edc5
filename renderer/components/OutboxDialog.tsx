import { useCallback, useEffect, useState } from 'react';
import { useNow } from '../hooks/useNow.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ModalDialog } from './ModalDialog.js';
import { OutboxItem } from './OutboxItem.js';

/**
 * The outbox inspector: everything waiting to be sent, per conversation in the order it will go
 * (the core's order), kept current while open. "Retry now" sends an item at once; "Discard" takes
 * it out of the outbox and its conversation.
 */
export function OutboxDialog({ onClose }: { onClose: () => void }) {
  const { watchOutbox, retryOutboxItem, discardOutboxItem } = useActions();
  const outbox = useApp((s) => s.outbox);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const listing = outbox?.listing ?? null;
  // Relative retry times stay true while the dialog is open.
  const now = useNow(1000, listing?.items.some((item) => item.nextRetryAt !== null) ?? false);

  useEffect(() => watchOutbox(), [watchOutbox]);

  const run = useCallback((id: string, action: (id: string) => Promise<void>, failed: (reason: string) => string) => {
    setBusy(id);
    setError(null);
    action(id)
      .catch((failure: unknown) => setError(failed(describeError(failure))))
      .finally(() => setBusy(null));
  }, []);
  const retry = useCallback((id: string) => run(id, retryOutboxItem, t.outbox.retryFailed), [run, retryOutboxItem]);
  const discard = useCallback((id: string) => run(id, discardOutboxItem, t.outbox.discardFailed), [run, discardOutboxItem]);

  return (
    <ModalDialog title={t.outbox.title} description={t.outbox.description} onClose={onClose} className="dialog--outbox">
      {!listing && !outbox?.error && <p className="outbox__note">{t.outbox.loading}</p>}
      {outbox?.error && (
        <p className="form-error" role="alert">
          {t.outbox.loadFailed(outbox.error)}
        </p>
      )}
      {listing && listing.items.length === 0 && <p className="outbox__note">{t.outbox.empty}</p>}
      {listing && listing.items.length > 0 && (
        <ul className="outbox" aria-label={t.outbox.listLabel}>
          {listing.items.map((item) => (
            <OutboxItem key={item.id} item={item} now={now} busy={busy === item.id} onRetry={retry} onDiscard={discard} />
          ))}
        </ul>
      )}
      {listing && listing.total > listing.items.length && (
        <p className="outbox__note">{t.outbox.notShown(listing.total - listing.items.length)}</p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.outbox.close}
        </button>
      </div>
    </ModalDialog>
  );
}
