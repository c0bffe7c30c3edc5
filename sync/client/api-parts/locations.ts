/**
 * The client core's part of the app API about locations (app-api/locations-api.ts): a location
 * sent with its map snapshot, and a live one moved as this device's fix reports. The core spreads
 * it in (client-core.ts: apiParts).
 */
import type { AppApi } from '../../app-api/contract.js';
import { AppApiError } from '../../app-api/contract.js';
import type { locationsApiArgs } from '../../app-api/locations-api.js';
import { roundCoordinate } from '../../common/locations.js';
import type { Clock } from '../../common/runtime.js';
import type { BlobStore } from '../attachments/blob-store.js';
import { composeAttachments } from '../attachments/compose-attachments.js';
import type { LiveLocationTimer } from '../live-location-timer.js';
import { makeMapSnapshot, MAP_SNAPSHOT_NAME, MAP_TILES_TIMEOUT_MS, type MapSnapshotDeps } from '../map-snapshot.js';
import type { Composing } from './composing.js';

export type LocationsApi = Pick<AppApi, keyof typeof locationsApiArgs>;

export interface LocationsSource {
  composing: Composing;
  clock: Clock;
  blobs: BlobStore;
  liveLocations: LiveLocationTimer;
  /** Where map tiles come from (the preference) and how. */
  tiles: Pick<MapSnapshotDeps, 'fetch' | 'template'>;
  /** The largest file the server takes. */
  maxFileBytes: () => Promise<number>;
  /** A file was queued for upload. */
  filesQueued: () => void;
}

export function locationsApi(source: LocationsSource): LocationsApi {
  const { composing, blobs, liveLocations } = source;
  return {
    sendLocation: async ({ conversationId, lat, lon, name, liveForMs, snapshot }) => {
      // Refused before the snapshot is sealed: signed out, or not a conversation here.
      composing.signedIn(conversationId);
      const now = source.clock.now();
      const location = {
        lat: roundCoordinate(lat),
        lon: roundCoordinate(lon),
        ...(liveForMs !== undefined ? { live: { until: now + liveForMs } } : {}),
      };
      // The snapshot goes as the message's one image, sealed and uploaded like any file.
      const images = snapshot
        ? await composeAttachments(blobs, [{ ...snapshot, name: MAP_SNAPSHOT_NAME, kind: 'image' }], await source.maxFileBytes())
        : [];
      const view = await composing.send(conversationId, (composer) =>
        composer.sendLocation(conversationId, name.trim(), location, images),
      );
      if (images.length > 0) source.filesQueued();
      if (location.live) liveLocations.started(conversationId, view.id);
      return view;
    },
    makeMapSnapshot: async (point) => {
      // Signed in only: the tiles are fetched for a person's message.
      composing.signedIn();
      return makeMapSnapshot({ ...source.tiles, blobs, timeoutMs: MAP_TILES_TIMEOUT_MS }, point);
    },
    reportLiveLocation: async ({ conversationId, messageId, lat, lon }) => {
      if (!composing.composer(conversationId).isSharing(conversationId, messageId)) {
        liveLocations.forget(messageId);
        throw new AppApiError('refused', 'not_allowed');
      }
      liveLocations.report(conversationId, messageId, { lat: roundCoordinate(lat), lon: roundCoordinate(lon) });
      return null;
    },
    stopLiveLocation: async ({ conversationId, messageId }) => {
      composing.queue(conversationId, (composer) => composer.stopLocation(conversationId, messageId));
      liveLocations.forget(messageId);
      return null;
    },
    liveLocationsSharedHere: async () => composing.composer().liveLocationsSharedHere(),
  };
}
