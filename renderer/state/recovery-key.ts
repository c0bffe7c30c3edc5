/** The recovery key: shown after sign-up until it is saved, and again from the settings given the password. */
import type { RecoveryKeyActions, StoreKit } from './types.js';

export function createRecoveryKey({ api }: Pick<StoreKit, 'api'>): { actions: RecoveryKeyActions } {
  return {
    actions: {
      loadUnsavedRecoveryKey: () => api.getUnsavedRecoveryKey({}),
      confirmRecoveryKeySaved: () => api.confirmRecoveryKeySaved({}).then(() => undefined),
      revealRecoveryKey: (password) => api.revealRecoveryKey({ password }),
    },
  };
}
