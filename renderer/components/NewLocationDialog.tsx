import { useId, useState, type FormEvent } from 'react';
import { LIVE_DURATIONS_MS, LOCATION_LIMITS } from '../../sync/common/locations.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { isPlaceName, typedPoint, type Point } from '../state/location-draft.js';
import type { LiveDurationMs } from '../state/types.js';
import { currentPosition } from '../transport/geolocation.js';
import { FormActions } from './FormActions.js';
import { useIdentityChangeGuard } from './IdentityChangeGuard.js';
import { MapView } from './MapView.js';
import { ModalDialog } from './ModalDialog.js';

/**
 * "Location": "Send your current location" (one fix from the system, sent at once with the place
 * name if one is typed), "Share live location" for 15 minutes, 1 hour or 8 hours, or coordinates
 * typed and Send, or (with a tile server in Settings → "Maps") a point chosen on the map, which
 * fills them in. Where the system gives no position the dialog says why in words, and typing stays open.
 */
export function NewLocationDialog({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const { sendLocation } = useActions();
  const latitudeId = useId();
  const longitudeId = useId();
  const nameId = useId();
  const [latitude, setLatitude] = useState('');
  const [longitude, setLongitude] = useState('');
  const [name, setName] = useState('');
  const [locating, setLocating] = useState(false);
  const [liveFor, setLiveFor] = useState<LiveDurationMs>(LIVE_DURATIONS_MS[0]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** Sent, but without its map: said here rather than lost as the dialog closes. */
  const [sentWithoutMap, setSentWithoutMap] = useState<string | null>(null);
  const template = useApp((s) => s.preferences?.mapTileUrl ?? null);
  const withMap = template !== null;
  const [choosing, setChoosing] = useState(false);
  const guard = useIdentityChangeGuard(conversationId, (reason) => setError(t.newLocation.failed(reason)));

  const typed = typedPoint(latitude, longitude);
  const nameFits = isPlaceName(name);
  const typedSomething = latitude.trim() !== '' && longitude.trim() !== '';

  const sendNow = async (point: Point, liveForMs?: LiveDurationMs) => {
    setBusy(true);
    setError(null);
    try {
      const { mapFailure } = await sendLocation(conversationId, point, name.trim(), liveForMs);
      if (mapFailure) setSentWithoutMap(t.newLocation.sentWithoutMap(describeError(mapFailure.error)));
      else onClose();
    } catch (failure) {
      setBusy(false);
      setError(t.newLocation.failed(describeError(failure)));
    }
  };

  /** The current position, sent as it is or (with a duration) as a live location. */
  const sendCurrent = async (liveForMs?: LiveDurationMs) => {
    setLocating(true);
    setError(null);
    const found = await currentPosition(window);
    setLocating(false);
    if (typeof found === 'string') {
      setError(t.newLocation[found]);
      return;
    }
    guard.beforeSend(() => void sendNow(found, liveForMs));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Drawn at the end of <body>, but React hands its events to the composer's form around it too.
    event.stopPropagation();
    if (!typed || !nameFits || busy) return;
    guard.beforeSend(() => void sendNow(typed));
  };

  const field = (id: string, label: string, value: string, set: (value: string) => void, mode: 'decimal' | 'text') => (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        className="field__input"
        type="text"
        inputMode={mode}
        value={value}
        maxLength={mode === 'text' ? LOCATION_LIMITS.maxNameChars : 24}
        onChange={(event) => {
          set(event.target.value);
          setError(null);
        }}
        autoComplete="off"
      />
    </div>
  );

  if (sentWithoutMap !== null) {
    return (
      <ModalDialog title={t.newLocation.title} onClose={onClose} className="dialog--location">
        <p role="status">{sentWithoutMap}</p>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            {t.newLocation.close}
          </button>
        </div>
      </ModalDialog>
    );
  }

  return (
    <>
      <ModalDialog title={t.newLocation.title} onClose={onClose} className="dialog--location">
        <form className="dialog__form location-form" onSubmit={submit} noValidate>
          {field(nameId, t.newLocation.name, name, setName, 'text')}
          <button
            type="button"
            className="button button--secondary location-form__current"
            disabled={locating || busy || !nameFits}
            onClick={() => void sendCurrent()}
          >
            {locating ? t.newLocation.locating : t.newLocation.current}
          </button>
          <fieldset className="location-form__live">
            <legend className="field__label">{t.newLocation.liveFor}</legend>
            {LIVE_DURATIONS_MS.map((ms, index) => (
              <label key={ms} className="field__choice">
                <input type="radio" name="live-for" checked={liveFor === ms} onChange={() => setLiveFor(ms)} />
                <span>{t.newLocation.durations[index]}</span>
              </label>
            ))}
            <button
              type="button"
              className="button button--secondary"
              disabled={locating || busy || !nameFits}
              onClick={() => void sendCurrent(liveFor)}
            >
              {t.newLocation.live}
            </button>
          </fieldset>
          <p className="location-form__or">{t.newLocation.orTyped}</p>
          <div className="location-form__point">
            {field(latitudeId, t.newLocation.latitude, latitude, setLatitude, 'decimal')}
            {field(longitudeId, t.newLocation.longitude, longitude, setLongitude, 'decimal')}
          </div>
          {typedSomething && !typed && <p className="form-error">{t.newLocation.badPoint}</p>}
          {template !== null &&
            (choosing ? (
              <div className="location-form__map">
                <p className="field__hint">{t.newLocation.mapHint}</p>
                <MapView
                  template={template}
                  point={typed}
                  onPick={(point) => {
                    setLatitude(String(point.lat));
                    setLongitude(String(point.lon));
                    setError(null);
                  }}
                />
              </div>
            ) : (
              <button type="button" className="button button--secondary location-form__choose" onClick={() => setChoosing(true)}>
                {t.newLocation.chooseOnMap}
              </button>
            ))}
          <FormActions
            error={error}
            cancelLabel={t.newLocation.cancel}
            onCancel={onClose}
            submitLabel={busy ? (withMap ? t.newLocation.makingMap : t.newLocation.sending) : t.newLocation.send}
            submitDisabled={!typed || !nameFits || busy}
          />
        </form>
      </ModalDialog>
      {guard.dialog}
    </>
  );
}
