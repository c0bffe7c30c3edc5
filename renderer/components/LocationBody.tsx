import type { MessageView } from '../../sync/app-api/contract.js';
import type { LocationView } from '../../sync/app-api/locations-api.js';
import { LOCATION_LIMITS, openStreetMapUrl } from '../../sync/common/locations.js';
import { t } from '../i18n/index.js';

/**
 * A location in its message: the place name (plain text) and the coordinates, and "Open in
 * OpenStreetMap", a link the app hands to the system browser (links with target=_blank never open
 * inside the app: electron-main.ts, and the browser host opens a new tab).
 */
export function LocationBody({ message, location }: { message: MessageView; location: LocationView }) {
  const coordinates = `${location.lat.toFixed(LOCATION_LIMITS.decimals)}, ${location.lon.toFixed(LOCATION_LIMITS.decimals)}`;
  return (
    <div role="group" aria-label={t.locations.label} className="location-card">
      <span className="location-card__pin" aria-hidden="true">
        📍
      </span>
      <span className="location-card__body">
        {message.text !== '' && <span className="location-card__name">{message.text}</span>}
        <span className="location-card__coordinates">{coordinates}</span>
        <a className="location-card__open" href={openStreetMapUrl(location)} target="_blank" rel="noopener noreferrer">
          {t.locations.open}
        </a>
      </span>
    </div>
  );
}
