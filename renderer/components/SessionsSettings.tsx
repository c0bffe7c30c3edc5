import { useId, useState } from 'react';
import { formatDateTime } from '../format/time.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { useSessions } from '../hooks/useSessions.js';
import { SectionOutcome } from './SectionOutcome.js';

/**
 * The settings dialog's "Sessions" section: every device signed in to your account, this one
 * first and marked, each other with "End session"; and "End all other sessions".
 */
export function SessionsSettings() {
  const { endSession, endOtherSessions } = useActions();
  const { load, reload } = useSessions();
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  const act = (work: Promise<string | null>) => {
    setError(null);
    setStatus(null);
    work.then(
      (done) => {
        setStatus(done);
        reload();
      },
      (failure: unknown) => setError(t.settings.sessions.failed(describeError(failure))),
    );
  };

  const others = load.state === 'loaded' ? load.sessions.filter((session) => !session.current) : [];
  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId} className="settings-section__heading">
        {t.settings.sessions.heading}
      </h3>
      {load.state === 'loading' && <p className="field__hint">{t.settings.sessions.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.settings.sessions.loadFailed(load.error)}
        </p>
      )}
      {load.state === 'loaded' && (
        <ul className="session-list" aria-label={t.settings.sessions.list}>
          {load.sessions.map((session) => (
            <li key={session.id} className="session-list__item">
              <span className="session-list__device">{session.deviceName ?? t.settings.sessions.unknownDevice}</span>
              <span className="field__hint">
                {session.current
                  ? t.settings.sessions.thisDevice
                  : t.settings.sessions.lastUsed(formatDateTime(session.lastUsedAt))}
              </span>
              {!session.current && (
                <button
                  type="button"
                  className="button button--secondary"
                  onClick={() => act(endSession(session.id).then(() => null))}
                >
                  {t.settings.sessions.end}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <button
          type="button"
          className="button button--secondary"
          onClick={() => act(endOtherSessions().then(t.settings.sessions.ended))}
        >
          {t.settings.sessions.endOthers}
        </button>
      )}
      <SectionOutcome status={status} error={error} />
    </section>
  );
}
