/** Safety numbers: shown, marked verified or cleared, and the question before sending after someone's number changed. */
import type { SafetyNumberActions, StoreKit } from './types.js';

export function createSafetyNumbers({ api }: Pick<StoreKit, 'api'>): { actions: SafetyNumberActions } {
  return {
    actions: {
      loadSafetyNumber: (userId) => api.getSafetyNumber({ userId }),
      setIdentityVerified: (userId, identityKey, verified) =>
        api.setIdentityVerified({ userId, identityKey, verified }).then(() => undefined),
      loadIdentityChanges: (conversationId) => api.getIdentityChanges({ conversationId }),
      confirmIdentityChanges: (conversationId) => api.confirmIdentityChanges({ conversationId }).then(() => undefined),
    },
  };
}
