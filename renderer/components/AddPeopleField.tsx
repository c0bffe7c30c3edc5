import { useId, useRef, useState, type KeyboardEvent } from 'react';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';

interface Props {
  /** Someone was found: take them, or say why not (shown as an alert). */
  onFound: (user: User) => Promise<string | null> | string | null;
  autoFocus?: boolean;
}

/**
 * "Add people": a username and an Add button. Looks the person up (the mirror first, then the
 * server); unknown usernames, and unknown ones while offline, say so in an alert. Enter adds
 * (it never submits a surrounding form).
 */
export function AddPeopleField({ onFound, autoFocus = false }: Props) {
  const { findUser } = useActions();
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [username, setUsername] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const add = async () => {
    if (busy) return;
    const wanted = username.trim().replace(/^@/u, '').toLowerCase();
    if (!wanted) {
      setError(t.newGroup.usernameRequired);
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const user = await findUser(wanted);
      const refusal = await onFound(user);
      if (refusal) setError(refusal);
      else setUsername('');
    } catch (failure) {
      setError(describeError(failure, { not_found: t.errors.noSuchUser(wanted), offline: t.newGroup.unknownOffline(wanted) }));
    } finally {
      setBusy(false);
      inputRef.current?.focus();
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter' || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void add();
  };

  return (
    <div className="field add-people">
      <label className="field__label" htmlFor={inputId}>
        {t.newGroup.addPeople}
      </label>
      <div className="add-people__row">
        <input
          ref={inputRef}
          id={inputId}
          className="field__input"
          type="text"
          value={username}
          placeholder={t.newGroup.addPeopleHint}
          onChange={(event) => {
            setUsername(event.target.value);
            if (error) setError(null);
          }}
          onKeyDown={onKeyDown}
          autoComplete="off"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus={autoFocus}
          aria-invalid={error ? true : undefined}
        />
        <button type="button" className="button button--secondary" onClick={() => void add()} disabled={busy}>
          {busy ? t.newGroup.adding : t.newGroup.add}
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
