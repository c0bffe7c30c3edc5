/**
 * The "Location" dialog's rules, pure: which typed coordinates make a point (a decimal comma is
 * taken as a point), checked with the contract's own schemas so Send is offered exactly when the
 * core would take it; and what a failed geolocation request says.
 */
import { latitudeInput, longitudeInput, placeName } from '../../sync/common/locations.js';

export interface Point {
  lat: number;
  lon: number;
}

function numberOf(text: string): number | null {
  const trimmed = text.trim().replace(',', '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/u.test(trimmed)) return null;
  return Number(trimmed);
}

/** The point typed, or null while either coordinate is not a number in range. */
export function typedPoint(latitude: string, longitude: string): Point | null {
  const lat = latitudeInput.safeParse(numberOf(latitude));
  const lon = longitudeInput.safeParse(numberOf(longitude));
  return lat.success && lon.success ? { lat: lat.data, lon: lon.data } : null;
}

/** Whether the place name is one the core takes (trimmed, it may be empty). */
export function isPlaceName(name: string): boolean {
  return placeName.safeParse(name.trim()).success;
}

/** Why the current location is not known, as the dialog says it. */
export type LocatingFailure = 'unavailable' | 'denied' | 'notFound';

/** A GeolocationPositionError's code as the dialog's words (1: permission denied, 2: position unavailable, 3: timeout). */
export function locatingFailure(code: number): LocatingFailure {
  return code === 1 ? 'denied' : 'notFound';
}
