import { useEffect, useId, useState } from 'react';
import type { PrivacySettingsView } from '../../sync/app-api/personal-settings-api.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';

type ShowOnline = PrivacySettingsView['showOnline'];
type GroupAdds = PrivacySettingsView['groupAdds'];
type Load = { state: 'loading' } | { state: 'loaded'; privacy: PrivacySettingsView } | { state: 'failed'; error: string };

/**
 * The settings dialog's "Privacy" section: "Show when I'm online" and "Who can add me to groups".
 * Read again when your settings change (here or on another device); a change applies here at once
 * and is synced by the core, and the section says so until the server, which enforces it, has it.
 */
export function PrivacySettings() {
  const { loadPrivacy, setShowOnline, setGroupAdds } = useActions();
  const settingsChanged = useApp((s) => s.settingsChange.n);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();
  const selectId = useId();
  const hintId = useId();
  const groupAddsId = useId();
  const groupAddsHintId = useId();

  useEffect(() => {
    let cancelled = false;
    loadPrivacy().then(
      (privacy) => !cancelled && setLoad({ state: 'loaded', privacy }),
      (failure: unknown) => !cancelled && setLoad({ state: 'failed', error: describeError(failure) }),
    );
    return () => {
      cancelled = true;
    };
  }, [loadPrivacy, settingsChanged]);

  /** Shows the change at once, waiting for the server; puts it back if the core refuses it. */
  const change = (privacy: PrivacySettingsView, save: () => Promise<void>) => {
    setError(null);
    const before = load;
    setLoad({ state: 'loaded', privacy: { ...privacy, waiting: true } });
    save().catch((failure: unknown) => {
      setLoad(before);
      setError(t.settings.privacy.failed(describeError(failure)));
    });
  };
  const choose = (privacy: PrivacySettingsView, showOnline: ShowOnline) =>
    change({ ...privacy, showOnline }, () => setShowOnline(showOnline));
  const chooseGroupAdds = (privacy: PrivacySettingsView, groupAdds: GroupAdds) =>
    change({ ...privacy, groupAdds }, () => setGroupAdds(groupAdds));

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId} className="settings-section__heading">
        {t.settings.privacy.heading}
      </h3>
      {load.state === 'loading' && <p className="field__hint">{t.settings.privacy.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.settings.privacy.loadFailed(load.error)}
        </p>
      )}
      {load.state === 'loaded' && (
        <div className="field">
          <label className="field__label" htmlFor={selectId}>
            {t.settings.privacy.showOnline}
          </label>
          <select
            id={selectId}
            className="field__input"
            value={load.privacy.showOnline}
            aria-describedby={hintId}
            onChange={(event) => choose(load.privacy, event.target.value === 'nobody' ? 'nobody' : 'everyone')}
          >
            <option value="everyone">{t.settings.privacy.everyone}</option>
            <option value="nobody">{t.settings.privacy.nobody}</option>
          </select>
          <p id={hintId} className="field__hint">
            {t.settings.privacy.showOnlineHint}
          </p>
        </div>
      )}
      {load.state === 'loaded' && (
        <div className="field" role="radiogroup" aria-labelledby={groupAddsId} aria-describedby={groupAddsHintId}>
          <span id={groupAddsId} className="field__label">
            {t.settings.privacy.groupAdds}
          </span>
          {(['everyone', 'contacts'] as const).map((choice) => (
            <label key={choice} className="field__choice">
              <input
                type="radio"
                name={groupAddsId}
                value={choice}
                checked={load.privacy.groupAdds === choice}
                onChange={() => chooseGroupAdds(load.privacy, choice)}
              />
              <span>{choice === 'everyone' ? t.settings.privacy.groupAddsEveryone : t.settings.privacy.groupAddsContacts}</span>
            </label>
          ))}
          <p id={groupAddsHintId} className="field__hint">
            {t.settings.privacy.groupAddsHint}
          </p>
        </div>
      )}
      {load.state === 'loaded' && (
        <p className="field__hint" role="status" aria-label={t.settings.privacy.waitingStatus}>
          {load.privacy.waiting ? t.settings.privacy.waiting : ''}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
