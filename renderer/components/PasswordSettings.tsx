import { useId, useState, type FormEvent } from 'react';
import { LIMITS } from '../../sync/protocol/limits.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { SectionOutcome } from './SectionOutcome.js';

/** The settings dialog's "Password" section: a new password, given the current one; other devices are signed out. */
export function PasswordSettings() {
  const { changePassword } = useActions();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();
  const currentId = useId();
  const nextId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    changePassword(current, next)
      .then(
        (ended) => {
          setCurrent('');
          setNext('');
          setStatus(t.settings.password.changed(ended));
        },
        (failure: unknown) => setError(t.settings.password.failed(describeError(failure))),
      )
      .finally(() => setBusy(false));
  };

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId} className="settings-section__heading">
        {t.settings.password.heading}
      </h3>
      <form onSubmit={submit}>
        <div className="field">
          <label className="field__label" htmlFor={currentId}>
            {t.settings.password.current}
          </label>
          <input
            id={currentId}
            className="field__input"
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(event) => setCurrent(event.target.value)}
          />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={nextId}>
            {t.settings.password.next}
          </label>
          <input
            id={nextId}
            className="field__input"
            type="password"
            autoComplete="new-password"
            required
            minLength={LIMITS.minPasswordChars}
            maxLength={LIMITS.maxPasswordChars}
            value={next}
            onChange={(event) => setNext(event.target.value)}
          />
        </div>
        <button type="submit" className="button button--primary" disabled={busy}>
          {t.settings.password.change}
        </button>
      </form>
      <SectionOutcome status={status} error={error} />
    </section>
  );
}
