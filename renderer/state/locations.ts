/**
 * Locations (issue 33): sending one from the "Location" dialog. It goes like a message, offline
 * too, and shows in the open conversation at once.
 */
import type { MessageView } from '../../sync/app-api/contract.js';
import type { LocationActions, StoreKit } from './types.js';

interface Deps {
  showSent: (message: MessageView) => Promise<void>;
}

export function createLocations(kit: StoreKit, deps: Deps): { actions: LocationActions } {
  const { api, get } = kit;
  const actions: LocationActions = {
    async sendLocation(conversationId, point, name) {
      const message = await api.sendLocation({ conversationId, lat: point.lat, lon: point.lon, name });
      if (get().open?.id === conversationId) await deps.showSent(message);
      return message;
    },
  };
  return { actions };
}
