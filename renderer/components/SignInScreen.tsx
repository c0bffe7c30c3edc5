import { useId, useRef, useState, type ChangeEvent, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS, USERNAME_PATTERN } from '../../sync/protocol/limits.js';
import { t } from '../i18n/index.js';
import { unencryptedRemoteServer } from '../format/server-security.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ChatIcon } from './icons.js';

type Mode = 'create' | 'logIn';
type Field = 'server' | 'username' | 'displayName' | 'password';

interface Values {
  server: string;
  username: string;
  displayName: string;
  password: string;
}

const SERVER_PATTERN = /^(wss?|https?):\/\/[^\s/]+/;

/** The first problem with the form for this action, if any (mirrors the contract's schemas). */
function validate(mode: Mode, values: Values): { field: Field; message: string } | null {
  const e = t.signIn.errors;
  const server = values.server.trim();
  if (!server) return { field: 'server', message: e.serverRequired };
  if (!SERVER_PATTERN.test(server)) return { field: 'server', message: e.serverInvalid };
  const username = values.username.trim();
  if (!username) return { field: 'username', message: e.usernameRequired };
  if (mode === 'create') {
    if (username.length < LIMITS.minUsernameChars || username.length > LIMITS.maxUsernameChars) {
      return { field: 'username', message: e.usernameLength(LIMITS.minUsernameChars, LIMITS.maxUsernameChars) };
    }
    if (!USERNAME_PATTERN.test(username)) return { field: 'username', message: e.usernamePattern };
    const displayName = values.displayName.trim();
    if (!displayName) return { field: 'displayName', message: e.displayNameRequired };
    if (displayName.length > LIMITS.maxDisplayNameChars) {
      return { field: 'displayName', message: e.displayNameTooLong(LIMITS.maxDisplayNameChars) };
    }
  }
  if (!values.password) return { field: 'password', message: e.passwordRequired };
  if (mode === 'create' && values.password.length < LIMITS.minPasswordChars) {
    return { field: 'password', message: e.passwordTooShort(LIMITS.minPasswordChars) };
  }
  if (values.password.length > LIMITS.maxPasswordChars) {
    return { field: 'password', message: e.passwordTooLong(LIMITS.maxPasswordChars) };
  }
  return null;
}

/**
 * Create an account or log in. Two tabs pick the mode; each mode's form has its own submit button
 * ("Create account" / "Log in") plus a secondary button for the other action, so both are always
 * one click away: "Log in" under the create form logs in straight away with what was typed,
 * "Create account" under the login form switches to the create form (it needs a display name).
 */
export function SignInScreen() {
  const defaults = useApp((s) => s.defaults);
  const { createAccount, logIn } = useActions();
  // Someone who signed in here before has an account: offer to log in to it (after "Start fresh" too).
  const lastAccount = defaults?.lastAccount;
  const [mode, setMode] = useState<Mode>(lastAccount ? 'logIn' : 'create');
  const [values, setValues] = useState<Values>(() => ({
    server: lastAccount?.serverUrl ?? defaults?.serverUrl ?? '',
    username: lastAccount?.username ?? '',
    displayName: '',
    password: '',
  }));
  const [error, setError] = useState<{ field: Field | null; message: string } | null>(null);
  const [busy, setBusy] = useState<Mode | null>(null);
  const ids = { server: useId(), username: useId(), displayName: useId(), password: useId(), panel: useId(), error: useId() };
  const inputs = useRef<Partial<Record<Field, HTMLInputElement | null>>>({});
  const tabs = useRef<Record<Mode, HTMLButtonElement | null>>({ create: null, logIn: null });

  const update = (field: Field) => (event: ChangeEvent<HTMLInputElement>) => {
    const value = event.target.value;
    setValues((current) => ({ ...current, [field]: value }));
    if (error?.field === field) setError(null);
  };

  const run = async (action: Mode) => {
    if (busy) return;
    const problem = validate(action, values);
    if (problem) {
      setError(problem);
      inputs.current[problem.field]?.focus();
      return;
    }
    setBusy(action);
    setError(null);
    const serverUrl = values.server.trim();
    const username = values.username.trim().toLowerCase();
    try {
      if (action === 'create') {
        await createAccount({ serverUrl, username, displayName: values.displayName.trim(), password: values.password });
      } else {
        await logIn({ serverUrl, username, password: values.password });
      }
      // Success: the store switches to the main screen and this one unmounts.
    } catch (failure) {
      setBusy(null);
      setError({
        field: null,
        message: describeError(failure, {
          conflict: action === 'create' ? t.errors.usernameTaken : undefined,
          offline: t.errors.signInOffline,
        }),
      });
    }
  };

  const switchMode = (next: Mode, focus: Field | null = null) => {
    setMode(next);
    setError(null);
    if (focus) requestAnimationFrame(() => inputs.current[focus]?.focus());
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(mode);
  };

  /** "Log in" under the create form: log in right away when the credentials are there. */
  const onSecondaryLogIn = () => {
    if (values.username.trim() && values.password) void run('logIn');
    else switchMode('logIn', values.username.trim() ? 'password' : 'username');
  };

  const onTabKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    const next: Mode = mode === 'create' ? 'logIn' : 'create';
    switchMode(next);
    tabs.current[next]?.focus();
  };

  const invalid = (field: Field) => (error?.field === field ? true : undefined);
  /** The error for one field sits right under it; a general one sits above the buttons. */
  const errorFor = (field: Field | null) =>
    error && error.field === field ? (
      <p id={ids.error} className="form-error" role="alert">
        {error.message}
      </p>
    ) : null;
  const hint = (field: Field, text: string) =>
    error?.field === field ? (
      errorFor(field)
    ) : (
      <span id={`${ids[field]}-hint`} className="field__hint">
        {text}
      </span>
    );
  const inTheClear = unencryptedRemoteServer(values.server);
  const hasHint = (field: Field) => (field === 'server' ? inTheClear : mode === 'create');
  const describedBy = (field: Field) => (error?.field === field ? ids.error : hasHint(field) ? `${ids[field]}-hint` : undefined);

  const tab = (which: Mode, label: string) => (
    <button
      ref={(element) => {
        tabs.current[which] = element;
      }}
      type="button"
      role="tab"
      id={`${ids.panel}-${which}`}
      className="tabs__tab"
      aria-selected={mode === which}
      aria-controls={ids.panel}
      tabIndex={mode === which ? 0 : -1}
      onClick={() => switchMode(which)}
      onKeyDown={onTabKeyDown}
    >
      {label}
    </button>
  );

  return (
    <div className="sign-in">
      <div className="sign-in__card">
        <div className="sign-in__brand">
          <ChatIcon size={36} className="sign-in__logo" />
          <h1 className="sign-in__title">{t.signIn.heading}</h1>
          <p className="sign-in__tagline">{t.signIn.tagline}</p>
        </div>

        <div role="tablist" aria-label={t.signIn.modes} className="tabs">
          {tab('create', t.signIn.createTab)}
          {tab('logIn', t.signIn.logInTab)}
        </div>

        <form
          id={ids.panel}
          role="tabpanel"
          aria-labelledby={`${ids.panel}-${mode}`}
          className="sign-in__form"
          onSubmit={onSubmit}
          noValidate
          aria-busy={busy !== null}
        >
          <div className="field">
            <label className="field__label" htmlFor={ids.server}>
              {t.signIn.server}
            </label>
            <input
              ref={(element) => {
                inputs.current.server = element;
              }}
              id={ids.server}
              className="field__input"
              type="url"
              inputMode="url"
              value={values.server}
              onChange={update('server')}
              autoComplete="url"
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              aria-invalid={invalid('server')}
              aria-describedby={describedBy('server')}
            />
            {inTheClear ? hint('server', t.signIn.unencryptedServer) : errorFor('server')}
          </div>

          <div className="field">
            <label className="field__label" htmlFor={ids.username}>
              {t.signIn.username}
            </label>
            <input
              ref={(element) => {
                inputs.current.username = element;
              }}
              id={ids.username}
              className="field__input"
              type="text"
              value={values.username}
              onChange={update('username')}
              autoComplete="username"
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              maxLength={LIMITS.maxUsernameChars}
              aria-invalid={invalid('username')}
              aria-describedby={describedBy('username')}
            />
            {mode === 'create' ? hint('username', t.signIn.usernameHint) : errorFor('username')}
          </div>

          {mode === 'create' && (
            <div className="field">
              <label className="field__label" htmlFor={ids.displayName}>
                {t.signIn.displayName}
              </label>
              <input
                ref={(element) => {
                  inputs.current.displayName = element;
                }}
                id={ids.displayName}
                className="field__input"
                type="text"
                value={values.displayName}
                onChange={update('displayName')}
                autoComplete="nickname"
                maxLength={LIMITS.maxDisplayNameChars}
                aria-invalid={invalid('displayName')}
                aria-describedby={describedBy('displayName')}
              />
              {hint('displayName', t.signIn.displayNameHint)}
            </div>
          )}

          <div className="field">
            <label className="field__label" htmlFor={ids.password}>
              {t.signIn.password}
            </label>
            <input
              ref={(element) => {
                inputs.current.password = element;
              }}
              id={ids.password}
              className="field__input"
              type="password"
              value={values.password}
              onChange={update('password')}
              autoComplete={mode === 'create' ? 'new-password' : 'current-password'}
              maxLength={LIMITS.maxPasswordChars}
              aria-invalid={invalid('password')}
              aria-describedby={describedBy('password')}
            />
            {mode === 'create' ? hint('password', t.signIn.passwordHint(LIMITS.minPasswordChars)) : errorFor('password')}
          </div>

          {errorFor(null)}

          {mode === 'create' ? (
            <>
              <button type="submit" className="button button--primary button--wide" disabled={busy !== null}>
                {busy === 'create' ? t.signIn.creatingAccount : t.signIn.createAccount}
              </button>
              <p className="sign-in__switch">
                <span>{t.signIn.haveAccount}</span>
                <button type="button" className="link-button" onClick={onSecondaryLogIn} disabled={busy !== null}>
                  {busy === 'logIn' ? t.signIn.loggingIn : t.signIn.logIn}
                </button>
              </p>
            </>
          ) : (
            <>
              <button type="submit" className="button button--primary button--wide" disabled={busy !== null}>
                {busy === 'logIn' ? t.signIn.loggingIn : t.signIn.logIn}
              </button>
              <p className="sign-in__switch">
                <span>{t.signIn.noAccount}</span>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => switchMode('create', 'displayName')}
                  disabled={busy !== null}
                >
                  {t.signIn.createAccount}
                </button>
              </p>
            </>
          )}
        </form>
      </div>
    </div>
  );
}
