import { useId, useState, type FormEvent } from 'react';
import type { RevealedRecoveryKey } from '../../sync/app-api/account-keys-api.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ModalDialog } from './ModalDialog.js';
import { RecoveryKeyField } from './RecoveryKeyField.js';
import { SectionOutcome } from './SectionOutcome.js';

/** Settings → "Recovery key": the key again, once the password is given. */
export function RecoveryKeyButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button button--secondary" onClick={() => setOpen(true)}>
        {t.recoveryKey.open}
      </button>
      {open && <RecoveryKeyDialog onClose={() => setOpen(false)} />}
    </>
  );
}

function RecoveryKeyDialog({ onClose }: { onClose: () => void }) {
  const { revealRecoveryKey } = useActions();
  const [password, setPassword] = useState('');
  const [revealed, setRevealed] = useState<RevealedRecoveryKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const passwordId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    revealRecoveryKey(password)
      .then(
        (answer) => {
          setPassword('');
          setRevealed(answer);
        },
        (failure: unknown) =>
          setError(t.recoveryKey.failed(describeError(failure, { unauthorized: t.recoveryKey.wrongPassword }))),
      )
      .finally(() => setBusy(false));
  };

  return (
    <ModalDialog title={t.recoveryKey.title} onClose={onClose} className="dialog--recovery-key">
      {revealed?.kind === 'key' && <RecoveryKeyField recoveryKey={revealed.recoveryKey} />}
      {revealed?.kind === 'none' && <p className="field__hint">{t.recoveryKey.none}</p>}
      {revealed === null && (
        <form onSubmit={submit}>
          <p className="field__hint">{t.recoveryKey.askPassword}</p>
          <div className="field">
            <label className="field__label" htmlFor={passwordId}>
              {t.recoveryKey.password}
            </label>
            <input
              id={passwordId}
              className="field__input"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </div>
          <button type="submit" className="button button--primary" disabled={busy}>
            {t.recoveryKey.show}
          </button>
        </form>
      )}
      <SectionOutcome status={null} error={error} />
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.recoveryKey.close}
        </button>
      </div>
    </ModalDialog>
  );
}
