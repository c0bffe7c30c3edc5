/**
 * Linking devices: whether this device has the account's identity or waits to be linked (then
 * the app shows the link screen, not the conversations), and, on a linked device, linking another.
 */
import type { LinkingActions, StoreKit } from './types.js';

export function createLinking({ api, set, userId }: Pick<StoreKit, 'api' | 'set' | 'userId'>) {
  /** Re-reads the link state; an answer for a user signed out meanwhile is dropped. */
  const refresh = async () => {
    const asked = userId();
    try {
      const linkState = await api.getLinkState({});
      if (userId() === asked) set({ linkState });
    } catch {
      // Asked again at the next account_keys or session event.
    }
  };
  const actions: LinkingActions = {
    describeLinkCode: (code) => api.describeLinkCode({ code }),
    linkDevice: (code) => api.linkDevice({ code }).then(() => undefined),
    startNewIdentity: () => api.startNewIdentity({}),
    retryHistoryTransfer: () => api.retryHistoryTransfer({}).then(() => undefined),
  };
  return { refresh, actions };
}
