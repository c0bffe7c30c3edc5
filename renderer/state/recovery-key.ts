/**
 * The recovery key: shown after sign-up until it is saved, again from the settings given the
 * password, and typed in to restore the account's keys from the key backup.
 */
import type { RecoveryKeyActions, StoreKit } from './types.js';

export function createRecoveryKey({ api }: Pick<StoreKit, 'api'>): { actions: RecoveryKeyActions } {
  return {
    actions: {
      loadUnsavedRecoveryKey: () => api.getUnsavedRecoveryKey({}),
      confirmRecoveryKeySaved: () => api.confirmRecoveryKeySaved({}).then(() => undefined),
      revealRecoveryKey: (password) => api.revealRecoveryKey({ password }),
      restoreFromRecoveryKey: (recoveryKey) => api.restoreFromRecoveryKey({ recoveryKey }),
    },
  };
}
