import { useId, useState } from 'react';
import type { Preferences } from '../../sync/app-api/preferences.js';
import { deviceOptions, shownDevice, type DeviceKind, type DeviceOption } from '../calls/device-choices.js';
import { canChooseSpeaker } from '../calls/speaker.js';
import { useMediaDevices } from '../hooks/useMediaDevices.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';

type DevicePreference = 'microphoneId' | 'cameraId' | 'speakerId';

/** A device the system does not name yet, by its kind and place: "Camera 2". */
function unnamedDevice(kind: DeviceKind, n: number): string {
  switch (kind) {
    case 'audioinput':
      return t.callDevices.unnamedMicrophone(n);
    case 'videoinput':
      return t.callDevices.unnamedCamera(n);
    case 'audiooutput':
      return t.callDevices.unnamedSpeaker(n);
  }
}

/**
 * The settings dialog's "Calls" section: the microphone, camera and speaker calls use on this
 * device (its preferences), listed again when a device is plugged in or out. A choice applies at
 * once, to a call going on too (calls/local-media.ts, RemoteAudio).
 */
export function CallSettings() {
  const preferences = useApp((s) => s.preferences);
  const { setPreferences } = useActions();
  const devices = useMediaDevices();
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  const change = (next: Partial<Preferences>) => {
    setError(null);
    setPreferences(next).catch((failure: unknown) => setError(t.preferences.failed(describeError(failure))));
  };

  const names = { systemDefault: t.callDevices.systemDefault, unnamed: unnamedDevice };
  const selects: Array<[DevicePreference, DeviceKind, string]> = [
    ['microphoneId', 'audioinput', t.callDevices.microphone],
    ['cameraId', 'videoinput', t.callDevices.camera],
  ];
  if (canChooseSpeaker()) selects.push(['speakerId', 'audiooutput', t.callDevices.speaker]);
  const listed = devices === null || devices === 'unavailable' ? [] : devices;
  const someUnnamed = listed.some((device) => device.label.trim() === '');

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId} className="settings-section__heading">
        {t.callDevices.heading}
      </h3>
      {devices === 'unavailable' ? (
        <p className="field__hint">{t.callDevices.unavailable}</p>
      ) : preferences === null || devices === null ? (
        <p className="field__hint">{t.callDevices.loading}</p>
      ) : (
        <div className="settings-section__fields">
          {selects.map(([preference, kind, label]) => (
            <DeviceChoice
              key={preference}
              label={label}
              options={deviceOptions(devices, kind, names)}
              chosen={preferences[preference]}
              onChange={(id) => change({ [preference]: id })}
            />
          ))}
          <p className="field__hint">
            {someUnnamed ? `${t.callDevices.hint} ${t.callDevices.namesAfterCall}` : t.callDevices.hint}
          </p>
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

/** The empty value stands for the system default (null), which no device id can be. */
const DEFAULT_VALUE = '';

/** A labelled select of devices; a chosen device that is gone shows as the default. */
function DeviceChoice({
  label,
  options,
  chosen,
  onChange,
}: {
  label: string;
  options: readonly DeviceOption[];
  chosen: string | null;
  onChange: (id: string | null) => void;
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
        value={shownDevice(options, chosen) ?? DEFAULT_VALUE}
        onChange={(event) => onChange(event.target.value === DEFAULT_VALUE ? null : event.target.value)}
      >
        {options.map((option) => (
          <option key={option.id ?? DEFAULT_VALUE} value={option.id ?? DEFAULT_VALUE}>
            {option.name}
          </option>
        ))}
      </select>
    </div>
  );
}
