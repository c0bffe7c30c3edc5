import { useCallback, useEffect, useState } from 'react';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { Avatar } from './Avatar.js';
import { ModalDialog } from './ModalDialog.js';

type Load = { state: 'loading' } | { state: 'loaded'; people: User[] } | { state: 'failed'; error: string };

/** The people you blocked, each with "Unblock". Read again whenever the conversation list changes. */
export function BlockedPeopleDialog({ onClose }: { onClose: () => void }) {
  const { loadBlocked, setBlocked } = useActions();
  const conversations = useApp((s) => s.conversations);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const read = useCallback(() => {
    let cancelled = false;
    loadBlocked().then(
      (people) => !cancelled && setLoad({ state: 'loaded', people }),
      (failure: unknown) => !cancelled && setLoad({ state: 'failed', error: describeError(failure) }),
    );
    return () => {
      cancelled = true;
    };
  }, [loadBlocked]);

  // A block changed here or on another device: the conversation list is re-read then too.
  useEffect(() => read(), [read, conversations]);

  const unblock = (person: User) => {
    setBusy(person.id);
    setError(null);
    setBlocked(person.id, false)
      .then(() =>
        setLoad((current) =>
          current.state === 'loaded' ? { ...current, people: current.people.filter((p) => p.id !== person.id) } : current,
        ),
      )
      .catch((failure: unknown) => setError(t.blocking.failed(describeError(failure))))
      .finally(() => setBusy(null));
  };

  return (
    <ModalDialog title={t.blocking.title} description={t.blocking.description} onClose={onClose} className="dialog--blocked">
      {load.state === 'loading' && <p className="blocked__note">{t.blocking.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.blocking.loadFailed(load.error)}
        </p>
      )}
      {load.state === 'loaded' && load.people.length === 0 && <p className="blocked__note">{t.blocking.none}</p>}
      {load.state === 'loaded' && load.people.length > 0 && (
        <ul className="blocked" aria-label={t.blocking.listLabel}>
          {load.people.map((person) => (
            <li key={person.id} className="blocked__person">
              <Avatar user={person} size="small" />
              <span className="blocked__who">
                <span className="blocked__name">{person.displayName}</span>
                <span className="blocked__username">{t.user.handle(person.username)}</span>
              </span>
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={busy === person.id}
                onClick={() => unblock(person)}
              >
                {t.blocking.unblock}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} autoFocus>
          {t.blocking.close}
        </button>
      </div>
    </ModalDialog>
  );
}
