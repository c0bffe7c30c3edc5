import { useId, useState, type FormEvent } from 'react';
import { MAX_TILE_URL_CHARS, tileTemplateProblem } from '../../sync/common/map-tiles.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';

/**
 * The settings dialog's "Maps" section: this device's tile server (a URL template), which the map
 * snapshots of locations sent from here and the interactive map use. Empty is none. Checked here
 * first so the person reads what is wrong; the core checks it again.
 */
export function MapSettings() {
  const preferences = useApp((s) => s.preferences);
  const { setPreferences } = useActions();
  const headingId = useId();
  const fieldId = useId();
  const hintId = useId();
  const [typed, setTyped] = useState<string | null>(null);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  if (preferences === null) return null;
  const value = typed ?? preferences.mapTileUrl ?? '';

  const save = (event: FormEvent) => {
    event.preventDefault();
    const template = value.trim();
    const problem = template === '' ? null : tileTemplateProblem(template);
    if (problem) {
      setMessage({ error: true, text: t.mapSettings.problems[problem] });
      return;
    }
    setMessage(null);
    setPreferences({ mapTileUrl: template === '' ? null : template }).then(
      () => setMessage({ error: false, text: t.mapSettings.saved }),
      (failure: unknown) => setMessage({ error: true, text: t.preferences.failed(describeError(failure)) }),
    );
  };

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId} className="settings-section__heading">
        {t.mapSettings.heading}
      </h3>
      <form className="settings-section__fields" onSubmit={save} noValidate>
        <div className="field">
          <label className="field__label" htmlFor={fieldId}>
            {t.mapSettings.tileUrl}
          </label>
          <input
            id={fieldId}
            className="field__input"
            type="url"
            value={value}
            maxLength={MAX_TILE_URL_CHARS}
            aria-describedby={hintId}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => {
              setTyped(event.target.value);
              setMessage(null);
            }}
          />
          <p id={hintId} className="field__hint">
            {t.mapSettings.hint}
          </p>
        </div>
        <div>
          <button type="submit" className="button button--secondary">
            {t.mapSettings.save}
          </button>
        </div>
        {message &&
          (message.error ? (
            <p className="form-error" role="alert">
              {message.text}
            </p>
          ) : (
            <p className="field__hint" role="status">
              {message.text}
            </p>
          ))}
      </form>
    </section>
  );
}
