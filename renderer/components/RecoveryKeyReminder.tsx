import { useEffect, useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ModalDialog } from './ModalDialog.js';
import { RecoveryKeyField } from './RecoveryKeyField.js';
import { SectionOutcome } from './SectionOutcome.js';

/**
 * After sign-up, and at every start until the person says "I have saved it": the recovery key,
 * once. Closed otherwise (Escape), it comes back at the next start.
 */
export function RecoveryKeyReminder() {
  const { loadUnsavedRecoveryKey, confirmRecoveryKeySaved } = useActions();
  // Asked again when this device's keys come (made here for an account that had none, say).
  const linkKind = useApp((s) => s.linkState.kind);
  const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    // Nothing to say when it cannot be read now: it is asked again at the next start.
    loadUnsavedRecoveryKey().then(
      // One shown stays until the person answers it.
      (key) => current && key !== null && setRecoveryKey(key),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [loadUnsavedRecoveryKey, linkKind]);

  if (recoveryKey === null) return null;
  const close = () => setRecoveryKey(null);
  const saved = () => {
    setBusy(true);
    setError(null);
    confirmRecoveryKeySaved()
      .then(close, (failure: unknown) => setError(describeError(failure)))
      .finally(() => setBusy(false));
  };

  return (
    <ModalDialog title={t.recoveryKey.title} description={t.recoveryKey.intro} onClose={close} className="dialog--recovery-key">
      <RecoveryKeyField recoveryKey={recoveryKey} />
      <p className="field__hint">{t.recoveryKey.later}</p>
      <SectionOutcome status={null} error={error} />
      <div className="dialog__actions">
        <button type="button" className="button button--primary" disabled={busy} onClick={saved}>
          {t.recoveryKey.saved}
        </button>
      </div>
    </ModalDialog>
  );
}
