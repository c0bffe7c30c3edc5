import { useState } from 'react';
import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import type { LocationView } from '../../sync/app-api/locations-api.js';
import { LOCATION_LIMITS, openStreetMapUrl } from '../../sync/common/locations.js';
import { formatTime } from '../format/time.js';
import { useNow } from '../hooks/useNow.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ImageAttachment } from './ImageAttachment.js';
import { MapDialog } from './MapDialog.js';
import { TransferStatus } from './TransferStatus.js';

/**
 * A location in its message: its map snapshot when it was sent with one (made on the sender's
 * device, with the tile data's attribution under it), the place name (plain text) and the
 * coordinates, "Open map" when this device has a tile server, and "Open in
 * OpenStreetMap", a link the app hands to the system browser (links with target=_blank never open
 * inside the app: electron-main.ts, and the browser host opens a new tab). A live one says until
 * when it moves, and its author's devices offer "Stop sharing".
 */
export function LocationBody({
  message,
  location,
  snapshot,
}: {
  message: MessageView;
  location: LocationView;
  /** Its map snapshot (the message's one image), or null: a card with the coordinates then. */
  snapshot: AttachmentView | null;
}) {
  const coordinates = `${location.lat.toFixed(LOCATION_LIMITS.decimals)}, ${location.lon.toFixed(LOCATION_LIMITS.decimals)}`;
  return (
    <div role="group" aria-label={t.locations.label} className={`location-card${snapshot ? ' location-card--map' : ''}`}>
      {snapshot ? (
        <span className="location-card__map">
          <ImageAttachment
            message={message}
            attachment={snapshot}
            alt={message.text === '' ? t.locations.map : t.locations.mapOf(message.text)}
          />
          <TransferStatus message={message} attachment={snapshot} />
          <span className="location-card__attribution">{t.locations.attribution}</span>
        </span>
      ) : (
        <span className="location-card__pin" aria-hidden="true">
          📍
        </span>
      )}
      <span className="location-card__body">
        {message.text !== '' && <span className="location-card__name">{message.text}</span>}
        <span className="location-card__coordinates">{coordinates}</span>
        {location.live && <LiveStatus message={message} live={location.live} />}
        <a className="location-card__open" href={openStreetMapUrl(location)} target="_blank" rel="noopener noreferrer">
          {t.locations.open}
        </a>
        <OpenMap point={location} />
      </span>
    </div>
  );
}

/** "Open map": the interactive map, offered when this device has a tile server (Settings → "Maps"). */
function OpenMap({ point }: { point: { lat: number; lon: number } }) {
  const template = useApp((s) => s.preferences?.mapTileUrl ?? null);
  const [open, setOpen] = useState(false);
  if (template === null) return null;
  return (
    <>
      <button type="button" className="link-button location-card__map-open" onClick={() => setOpen(true)}>
        {t.locations.openMap}
      </button>
      {open && <MapDialog template={template} point={{ lat: point.lat, lon: point.lon }} onClose={() => setOpen(false)} />}
    </>
  );
}

function LiveStatus({ message, live }: { message: MessageView; live: NonNullable<LocationView['live']> }) {
  const { stopSharing } = useActions();
  // Ticks until it is stopped, so it reads "ended" (and offers no stop) within seconds of its time being up.
  const now = useNow(5000, !live.stopped);
  const [error, setError] = useState<string | null>(null);
  const moving = !live.stopped && now < live.until;
  const stop = () => {
    setError(null);
    stopSharing(message.conversationId, message.id).catch((failure: unknown) =>
      setError(t.locations.stopFailed(describeError(failure))),
    );
  };
  return (
    <>
      <span className="location-card__live" role="status">
        {moving ? t.locations.liveUntil(formatTime(live.until)) : t.locations.liveEnded}
      </span>
      {moving && message.own && (
        <button type="button" className="link-button location-card__stop" onClick={stop}>
          {t.locations.stop}
        </button>
      )}
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
