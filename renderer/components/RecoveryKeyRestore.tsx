import { useId, useState, type FormEvent } from 'react';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { tryRestore, type RestoreResult } from './recovery-key-restore.js';
import { SectionOutcome } from './SectionOutcome.js';

/**
 * "Use recovery key instead": a device signed in with the password takes up the account's keys
 * and history from the key backup, given the recovery key. For the "Link this device" screen;
 * `onRestored` lets it move on.
 */
export function RecoveryKeyRestore({ onRestored }: { onRestored?: () => void }) {
  const { restoreFromRecoveryKey } = useActions();
  const [recoveryKey, setRecoveryKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RestoreResult | null>(null);
  const fieldId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    void tryRestore(restoreFromRecoveryKey, recoveryKey).then((answer) => {
      setBusy(false);
      setResult(answer);
      if (!answer.restored) return;
      setRecoveryKey('');
      onRestored?.();
    });
  };

  return (
    <form className="recovery-key-restore" onSubmit={submit}>
      <p className="field__hint">{t.recoveryKeyRestore.intro}</p>
      <div className="field">
        <label className="field__label" htmlFor={fieldId}>
          {t.recoveryKeyRestore.field}
        </label>
        <input
          id={fieldId}
          className="field__input"
          type="text"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          required
          value={recoveryKey}
          onChange={(event) => setRecoveryKey(event.target.value)}
        />
      </div>
      <button type="submit" className="button button--primary" disabled={busy}>
        {t.recoveryKeyRestore.restore}
      </button>
      {busy && (
        <p className="field__hint" role="status">
          {t.recoveryKeyRestore.restoring}
        </p>
      )}
      <SectionOutcome status={result?.status ?? null} error={result?.error ?? null} />
    </form>
  );
}
