import { useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';

/** Shown when this device's copy of the messages could not be opened: what happened, and Start fresh. */
export function RecoveryScreen() {
  const recovery = useApp((s) => s.recovery);
  const { startFresh } = useActions();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!recovery) return null;

  const onStartFresh = () => {
    setStarting(true);
    setError(null);
    startFresh()
      .catch((failure: unknown) => setError(describeError(failure)))
      .finally(() => setStarting(false));
  };

  return (
    <main className="recovery" aria-labelledby="recovery-heading">
      <div className="recovery__card">
        <h1 id="recovery-heading" className="recovery__heading">
          {t.recovery.heading}
        </h1>
        <p>{recovery.problem === 'damaged' ? t.recovery.damaged : t.recovery.undecryptable}</p>
        <p>{t.recovery.server}</p>
        <p>{t.recovery.movedTo}</p>
        <ul className="recovery__files">
          {recovery.movedTo.map((path) => (
            <li key={path}>
              <code>{path}</code>
            </li>
          ))}
        </ul>
        <div role="status" className="recovery__counts">
          <p>{t.recovery.recovered(recovery.recoveredMessages)}</p>
          <p>{recovery.unrecoverable === null ? t.recovery.unknown : t.recovery.unrecoverable(recovery.unrecoverable)}</p>
        </div>
        {error && (
          <p role="alert" className="recovery__error">
            {error}
          </p>
        )}
        <button type="button" className="button button--primary" disabled={starting} onClick={onStartFresh}>
          {starting ? t.recovery.starting : t.recovery.startFresh}
        </button>
      </div>
    </main>
  );
}
