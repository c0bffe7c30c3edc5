/**
 * Locations (issue 33): sending one from the "Location" dialog (it goes like a message, offline
 * too, and shows at once; with a map snapshot when a tile server is set), and sharing a live one: this window watches the system's position and
 * reports each fix to the core, which sends moves at most every 15 s, until the time is up, it is
 * stopped here, or the core refuses a fix (stopped on another device of this person's). A page
 * that starts (the app restarted, the window reloaded) shares on what this device was sharing.
 */
import type { MessageView } from '../../sync/app-api/contract.js';
import { watchPosition, type GeolocationPage } from '../transport/geolocation.js';
import type { MapSnapshotView } from '../../sync/app-api/locations-api.js';
import type { LocationActions, SentLocation, StoreKit } from './types.js';

interface Deps {
  showSent: (message: MessageView) => Promise<void>;
  /** The page whose position is watched (the window; a stand-in in tests). */
  page: GeolocationPage;
}

export interface Locations {
  actions: LocationActions;
  /** Signed in (the app started, the window reloaded): watches again for each live location this device shares. */
  resume(): Promise<void>;
  /** Signed out: nothing is watched any more. */
  reset(): void;
}

export function createLocations(kit: StoreKit, deps: Deps): Locations {
  const { api, get } = kit;
  /** The live locations this window shares: how to stop watching each. */
  const watching = new Map<string, () => void>();

  const stopWatching = (messageId: string) => {
    watching.get(messageId)?.();
    watching.delete(messageId);
  };

  const share = (message: Pick<MessageView, 'conversationId' | 'id'>, until: number) => {
    if (watching.has(message.id)) return;
    const stopWatch = watchPosition(deps.page, (point) => {
      api
        .reportLiveLocation({ conversationId: message.conversationId, messageId: message.id, ...point })
        .catch(() => stopWatching(message.id));
    });
    if (!stopWatch) return;
    const timer = setTimeout(() => stopWatching(message.id), Math.max(0, until - Date.now()));
    watching.set(message.id, () => {
      clearTimeout(timer);
      stopWatch();
    });
  };

  const actions: LocationActions = {
    async sendLocation(conversationId, point, name, liveForMs) {
      // The snapshot first (a live one's is of its starting point); failing, the location goes without.
      let snapshot: MapSnapshotView | null = null;
      let mapFailure: SentLocation['mapFailure'] = null;
      if (get().preferences?.mapTileUrl) {
        try {
          snapshot = await api.makeMapSnapshot(point);
        } catch (error) {
          mapFailure = { error };
        }
      }
      const message = await api.sendLocation({
        conversationId,
        lat: point.lat,
        lon: point.lon,
        name,
        ...(liveForMs !== undefined ? { liveForMs } : {}),
        ...(snapshot ? { snapshot } : {}),
      });
      const live = message.location?.live;
      if (live) share(message, live.until);
      if (get().open?.id === conversationId) await deps.showSent(message);
      return { message, mapFailure };
    },

    async stopSharing(conversationId, messageId) {
      stopWatching(messageId);
      await api.stopLiveLocation({ conversationId, messageId });
    },
  };
  const resume = async () => {
    try {
      for (const shared of await api.liveLocationsSharedHere({})) {
        share({ conversationId: shared.conversationId, id: shared.messageId }, shared.until);
      }
    } catch (error) {
      console.error('the live locations shared here were not read', error);
    }
  };

  const reset = () => {
    for (const messageId of [...watching.keys()]) stopWatching(messageId);
  };

  return { actions, resume, reset };
}
