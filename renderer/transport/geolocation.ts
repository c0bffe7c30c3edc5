/**
 * "Send your current location": one fix from navigator.geolocation. Inside Electron the preload's
 * `askingLocation` tells the main process the page is asking, so it grants geolocation to our page
 * only for that long (main/electron/media-permission.ts). The result is a point or, in words the
 * dialog says, why there is none.
 */
import { roundCoordinate } from '../../sync/common/locations.js';
import { locatingFailure, type LocatingFailure, type Point } from '../state/location-draft.js';

/** What of navigator.geolocation this uses (declared here: the sync code's type check has no DOM). */
export interface FixSource {
  getCurrentPosition(
    found: (position: { coords: { latitude: number; longitude: number } }) => void,
    failed: (error: { code: number }) => void,
    options: { enableHighAccuracy: boolean; timeout: number; maximumAge: number },
  ): void;
}

/** What of the page this uses (the window; a stand-in in tests). */
export interface GeolocationPage {
  messenger?: { askingLocation?: (on: boolean) => Promise<void> };
  navigator?: { geolocation?: FixSource };
}

/** How long a fix may take before the dialog says it could not be found. */
const FIX_TIMEOUT_MS = 20_000;

export async function currentPosition(page: GeolocationPage): Promise<Point | LocatingFailure> {
  const geolocation = page.navigator?.geolocation;
  if (!geolocation) return 'unavailable';
  const asking = page.messenger?.askingLocation;
  if (typeof asking === 'function') await asking(true);
  try {
    return await new Promise<Point | LocatingFailure>((resolve) => {
      geolocation.getCurrentPosition(
        (position) =>
          resolve({ lat: roundCoordinate(position.coords.latitude), lon: roundCoordinate(position.coords.longitude) }),
        (error) => resolve(locatingFailure(error.code)),
        { enableHighAccuracy: true, timeout: FIX_TIMEOUT_MS, maximumAge: 0 },
      );
    });
  } finally {
    if (typeof asking === 'function') await asking(false);
  }
}
