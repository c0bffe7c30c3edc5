/**
 * A location's shape (issue 33), pure so that the content rules, the mirror, the app API and the
 * renderer agree on what a point is: coordinates finite, in range and kept to 6 decimals (about
 * 11 cm, finer than any fix), so every device stores and shows exactly the same numbers. The place
 * name is the message's text, plain and short, as a poll's question is.
 */
import { z } from 'zod';
import { wellFormed, WELL_FORMED } from '../protocol/wire-types.js';

export const LOCATION_LIMITS = { maxNameChars: 100, decimals: 6 } as const;

const SCALE = 10 ** LOCATION_LIMITS.decimals;

/** A coordinate as sent: rounded to 6 decimals (what a typed or reported value becomes). */
export function roundCoordinate(value: number): number {
  return Math.round(value * SCALE) / SCALE;
}

const coordinate = (max: number) =>
  z
    .number()
    .min(-max)
    .max(max)
    .refine((value) => roundCoordinate(value) === value, 'at most 6 decimals');

export const latitude = coordinate(90);
export const longitude = coordinate(180);

/** A coordinate asked for through the app API: any finite number in range, rounded by the core. */
export const latitudeInput = z.number().min(-90).max(90);
export const longitudeInput = z.number().min(-180).max(180);

/** The place name: plain text on one line, possibly none. */
export const placeName = z
  .string()
  .max(LOCATION_LIMITS.maxNameChars)
  .refine((name) => !/[\r\n]/.test(name), 'one line')
  .refine(wellFormed, WELL_FORMED);

/** How long a live location may be shared: 15 minutes, 1 hour, 8 hours. */
export const LIVE_DURATIONS_MS = [15 * 60_000, 60 * 60_000, 8 * 60 * 60_000] as const;
/** A live location moves at most this often (each move is content every member receives). */
export const LIVE_MOVE_INTERVAL_MS = 15_000;

/** A time on the sender's clock (ms since the epoch). */
export const instant = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * What a location message carries besides its name (its text) and snapshot (its image): its first
 * point and, for a live one, until when it moves.
 */
export const locationDefinitionSchema = z
  .object({ lat: latitude, lon: longitude, live: z.object({ until: instant }).strict().optional() })
  .strict();
export type LocationDefinition = z.infer<typeof locationDefinitionSchema>;

/** Where "Open in OpenStreetMap" goes: the point with a marker, at street level. */
export function openStreetMapUrl(point: { lat: number; lon: number }): string {
  const lat = point.lat.toFixed(LOCATION_LIMITS.decimals);
  const lon = point.lon.toFixed(LOCATION_LIMITS.decimals);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}
