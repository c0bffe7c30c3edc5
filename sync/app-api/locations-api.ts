/**
 * The app API's calls about locations (issue 33): a location is a message whose text is the place
 * name and whose point rides beside it (common/locations.ts). Declared here and spread into
 * contract.ts, as polls-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { LIMITS } from '../protocol/limits.js';
import { sha256Hex } from '../protocol/attachments.js';
import { LIVE_DURATIONS_MS, latitudeInput, longitudeInput, placeName } from '../common/locations.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);

/** Why makeMapSnapshot made no map ('refused' with one of these): the location is sent without one. */
export const MAP_SNAPSHOT_FAILURES = [
  'map_not_configured',
  'map_unreachable',
  'map_tile_refused',
  'map_tile_not_image',
  'map_tile_too_large',
  /** The image library could not be loaded on this device. */
  'map_unavailable',
] as const;
export type MapSnapshotFailure = (typeof MAP_SNAPSHOT_FAILURES)[number];

/** A map snapshot in this profile's attachment store (what sendLocation's `snapshot` names). */
const mapSnapshot = z
  .object({ sha256: sha256Hex, width: z.number().int().min(1).max(4096), height: z.number().int().min(1).max(4096) })
  .strict();
export type MapSnapshotView = z.infer<typeof mapSnapshot>;

export const locationsApiArgs = {
  /**
   * Sends a location: a point (rounded to 6 decimals by the core) and an optional place name;
   * offline it is queued like any message.
   */
  sendLocation: z
    .object({
      conversationId: id,
      lat: latitudeInput,
      lon: longitudeInput,
      name: placeName,
      /** "Share live location": for how long it moves (15 minutes, 1 hour or 8 hours). */
      liveForMs: z.union(LIVE_DURATIONS_MS.map((ms) => z.literal(ms))).optional(),
      /** The map snapshot makeMapSnapshot made, sent as the message's one image. */
      snapshot: mapSnapshot.optional(),
    })
    .strict(),
  /**
   * Settings → "Maps": a picture of the map around the point with a pin, made here from the tile
   * server configured (and only from its host), into the attachment store. Refused with a
   * MAP_SNAPSHOT_FAILURES code when there is none or its tiles are not usable.
   */
  makeMapSnapshot: z.object({ lat: latitudeInput, lon: longitudeInput }).strict(),
  /**
   * The position this device's fix reports now, for a live location of this person's it shares:
   * the core sends it as a move at most every 15 s (the newest fix then). Refused 'not_allowed'
   * once the location is not live any more (its time is up, or it was stopped).
   */
  reportLiveLocation: z.object({ conversationId: id, messageId: id, lat: latitudeInput, lon: longitudeInput }).strict(),
  /** "Stop sharing": ends a live location of this person's, from any of their devices. */
  stopLiveLocation: z.object({ conversationId: id, messageId: id }).strict(),
  /**
   * The live locations this device sent and still shares (not over, not stopped anywhere): a page
   * that starts (the app restarted, the window reloaded) watches the position again for each.
   */
  liveLocationsSharedHere: z.object({}).strict(),
} as const;

/** A live location this device shares: until when (ms since the epoch). */
export interface SharedLiveLocation {
  conversationId: string;
  messageId: string;
  until: number;
}

export interface LocationsApiResults {
  makeMapSnapshot: MapSnapshotView;
  reportLiveLocation: null;
  stopLiveLocation: null;
  liveLocationsSharedHere: SharedLiveLocation[];
}

/** A location as its message shows it (MessageView.location); the place name is the message's text. */
export interface LocationView {
  /** Where it is: a live one's newest move (this device's queued one included), else its point. */
  lat: number;
  lon: number;
  /** A live location: until when it moves (ms since the epoch), and whether its author stopped it. */
  live: { until: number; stopped: boolean } | null;
}
