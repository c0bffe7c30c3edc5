/**
 * The system's position from navigator.geolocation: one fix ("Send your current location"), or a
 * watch while a live location is shared. Inside Electron the preload's `askingLocation` tells the
 * main process the page is asking, so it grants geolocation to our page only for that long
 * (main/electron/media-permission.ts); it is told once, however many ask at a time. A fix comes
 * back as a point or, in words the dialog says, why there is none.
 */
import { roundCoordinate } from '../../sync/common/locations.js';
import { locatingFailure, type LocatingFailure, type Point } from '../state/location-draft.js';

interface FixOptions {
  enableHighAccuracy: boolean;
  timeout: number;
  maximumAge: number;
}
type Found = (position: { coords: { latitude: number; longitude: number } }) => void;
type Failed = (error: { code: number }) => void;

/** What of navigator.geolocation this uses (declared here: the sync code's type check has no DOM). */
export interface FixSource {
  getCurrentPosition(found: Found, failed: Failed, options: FixOptions): void;
  watchPosition?(found: Found, failed: Failed, options: FixOptions): number;
  clearWatch?(id: number): void;
}

/** What of the page this uses (the window; a stand-in in tests). */
export interface GeolocationPage {
  messenger?: { askingLocation?: (on: boolean) => Promise<void> };
  navigator?: { geolocation?: FixSource };
}

/** The page the app runs in (its window), as this module uses it; in tests, one without a position. */
export function thisPage(): GeolocationPage {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by the sync code's type check, which has no DOM
  return globalThis as unknown as GeolocationPage;
}

/** How long a fix may take before the dialog says it could not be found. */
const FIX_TIMEOUT_MS = 20_000;
const OPTIONS: FixOptions = { enableHighAccuracy: true, timeout: FIX_TIMEOUT_MS, maximumAge: 0 };

/** How many are asking now (a fix, watches): the host is told when the first starts and the last ends. */
const asking = new WeakMap<GeolocationPage, number>();

async function ask(page: GeolocationPage, on: boolean): Promise<void> {
  const count = (asking.get(page) ?? 0) + (on ? 1 : -1);
  asking.set(page, count);
  const tell = page.messenger?.askingLocation;
  if (typeof tell === 'function' && count === (on ? 1 : 0)) await tell(on);
}

const pointOf: (position: Parameters<Found>[0]) => Point = (position) => ({
  lat: roundCoordinate(position.coords.latitude),
  lon: roundCoordinate(position.coords.longitude),
});

export async function currentPosition(page: GeolocationPage): Promise<Point | LocatingFailure> {
  const geolocation = page.navigator?.geolocation;
  if (!geolocation) return 'unavailable';
  await ask(page, true);
  try {
    return await new Promise<Point | LocatingFailure>((resolve) => {
      geolocation.getCurrentPosition(
        (position) => resolve(pointOf(position)),
        (error) => resolve(locatingFailure(error.code)),
        OPTIONS,
      );
    });
  } finally {
    await ask(page, false);
  }
}

/** Each new fix until the returned stop is called; null where the system cannot watch. */
export function watchPosition(page: GeolocationPage, onFix: (point: Point) => void): (() => void) | null {
  const geolocation = page.navigator?.geolocation;
  if (!geolocation?.watchPosition || !geolocation.clearWatch) return null;
  let id: number | null = null;
  let stopped = false;
  // The watch starts once the host has been told (Electron grants the position only after that).
  void ask(page, true).then(() => {
    if (stopped) return;
    // A failed fix is skipped: the next one, or the end of sharing, follows.
    id = geolocation.watchPosition!(
      (position) => onFix(pointOf(position)),
      () => undefined,
      OPTIONS,
    );
  });
  return () => {
    stopped = true;
    if (id !== null) geolocation.clearWatch?.(id);
    void ask(page, false);
  };
}
