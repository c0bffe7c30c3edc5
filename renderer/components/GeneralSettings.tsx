import { useId, useState } from 'react';
import { LANGUAGES, THEMES, type LanguageChoice, type Preferences, type Theme } from '../../sync/app-api/preferences.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';

/**
 * The settings dialog's "General" section: this device's preferences (Work offline, language,
 * theme, notification previews). Each change applies at once; the core keeps them for this device.
 */
export function GeneralSettings() {
  const preferences = useApp((s) => s.preferences);
  const { setPreferences } = useActions();
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  const change = (next: Partial<Preferences>) => {
    setError(null);
    setPreferences(next).catch((failure: unknown) => setError(t.preferences.failed(describeError(failure))));
  };

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId} className="settings-section__heading">
        {t.preferences.heading}
      </h3>
      {preferences === null ? (
        <p className="field__hint">{t.preferences.loading}</p>
      ) : (
        <div className="settings-section__fields">
          <Switch
            label={t.preferences.workOffline}
            hint={t.preferences.workOfflineHint}
            on={preferences.workOffline}
            onChange={(workOffline) => change({ workOffline })}
          />
          <Choice<LanguageChoice>
            label={t.preferences.language}
            value={preferences.language}
            onChange={(language) => change({ language })}
            options={[
              ['system', t.preferences.languageSystem],
              ...LANGUAGES.map((language) => [language, t.preferences.languageNames[language]] as const),
            ]}
          />
          <Choice<Theme>
            label={t.preferences.theme}
            value={preferences.theme}
            onChange={(theme) => change({ theme })}
            options={THEMES.map((theme) => [theme, t.preferences.themeNames[theme]] as const)}
          />
          <Switch
            label={t.preferences.notificationPreviews}
            hint={t.preferences.notificationPreviewsHint}
            on={preferences.notificationPreviews}
            onChange={(notificationPreviews) => change({ notificationPreviews })}
          />
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** A checkbox that is a switch (role switch): on or off, taking effect at once. */
function Switch({ label, hint, on, onChange }: { label: string; hint: string; on: boolean; onChange: (on: boolean) => void }) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="switch-field">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch"
        checked={on}
        aria-describedby={hintId}
        onChange={(event) => onChange(event.target.checked)}
      />
      <label className="field__label switch-field__label" htmlFor={id}>
        {label}
      </label>
      <p id={hintId} className="field__hint switch-field__hint">
        {hint}
      </p>
    </div>
  );
}

/** A labelled select (a combobox) over a fixed set of values. */
function Choice<V extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: V;
  options: readonly (readonly [V, string])[];
  onChange: (value: V) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <select
        id={id}
        className="field__input"
        value={value}
        onChange={(event) => {
          const chosen = options.find(([option]) => option === event.target.value);
          if (chosen) onChange(chosen[0]);
        }}
      >
        {options.map(([option, name]) => (
          <option key={option} value={option}>
            {name}
          </option>
        ))}
      </select>
    </div>
  );
}
