import { useEffect, useState } from 'react';
import { safetyNumberGroups, type SafetyNumberView } from '../../sync/app-api/safety-number-api.js';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ModalDialog } from './ModalDialog.js';
import { QrCode } from './QrCode.js';

type Load = { state: 'loading' } | { state: 'loaded'; view: SafetyNumberView } | { state: 'failed'; error: string };

/**
 * "Safety number": yours with `person`, as sixty digits in twelve groups of five and as a QR code,
 * to compare with theirs; "Mark as verified" (then "Clear verification") keeps that you did.
 */
export function SafetyNumberDialog({ person, onClose }: { person: User; onClose: () => void }) {
  const { loadSafetyNumber, setIdentityVerified } = useActions();
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [changeError, setChangeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** Counts changes of verification: each reads the number (and whether it is verified) again. */
  const [changes, setChanges] = useState(0);
  const name = person.displayName;

  useEffect(() => {
    let cancelled = false;
    loadSafetyNumber(person.id).then(
      (view) => !cancelled && setLoad({ state: 'loaded', view }),
      (failure: unknown) => !cancelled && setLoad({ state: 'failed', error: describeError(failure) }),
    );
    return () => {
      cancelled = true;
    };
  }, [loadSafetyNumber, person.id, changes]);

  const setVerified = (view: Extract<SafetyNumberView, { kind: 'number' }>, verified: boolean) => {
    setBusy(true);
    setChangeError(null);
    setIdentityVerified(person.id, view.identityKey, verified)
      .catch((failure: unknown) => setChangeError(t.safetyNumber.changeFailed(describeError(failure))))
      .finally(() => {
        setBusy(false);
        setChanges((count) => count + 1);
      });
  };

  return (
    <ModalDialog title={t.safetyNumber.title} onClose={onClose} className="dialog--safety-number">
      {load.state === 'loading' && <p>{t.safetyNumber.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.safetyNumber.failed(load.error)}
        </p>
      )}
      {load.state === 'loaded' && load.view.kind === 'no_keys' && <p>{t.safetyNumber.noKeys(name)}</p>}
      {load.state === 'loaded' && load.view.kind === 'no_own_keys' && <p>{t.safetyNumber.noOwnKeys}</p>}
      {load.state === 'loaded' && load.view.kind === 'number' && (
        <>
          <p className="dialog__description">{t.safetyNumber.description(name)}</p>
          <p className="safety-number" aria-label={t.safetyNumber.digitsLabel}>
            {safetyNumberGroups(load.view.digits).map((group, index) => (
              // A space between groups, so the text reads (and copies) as it is shown.
              <span key={index} className="safety-number__group">
                {index > 0 && ' '}
                {group}
              </span>
            ))}
          </p>
          <QrCode value={load.view.scannable} label={t.safetyNumber.qrLabel(name)} />
          {load.view.verified && <p className="safety-number__verified">{t.safetyNumber.verified(name)}</p>}
          {changeError && (
            <p className="form-error" role="alert">
              {changeError}
            </p>
          )}
        </>
      )}
      <div className="dialog__actions">
        {load.state === 'loaded' && load.view.kind === 'number' && (
          <button
            type="button"
            className="button button--primary"
            disabled={busy}
            onClick={() => {
              const view = load.view;
              if (view.kind === 'number') setVerified(view, !view.verified);
            }}
          >
            {load.view.verified ? t.safetyNumber.clearVerification : t.safetyNumber.markVerified}
          </button>
        )}
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.safetyNumber.close}
        </button>
      </div>
    </ModalDialog>
  );
}
