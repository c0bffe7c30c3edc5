/** The recovery key: shown after sign-up until it is saved, and again from the settings given the password. */
import type { RevealedRecoveryKey } from '../../sync/app-api/account-keys-api.js';
import type { StoreKit } from './types.js';

export interface RecoveryKeyActions {
  /** The recovery key while it is still to be saved, else null. Throws. */
  loadUnsavedRecoveryKey: () => Promise<string | null>;
  /** "I have saved it". Throws. */
  confirmRecoveryKeySaved: () => Promise<void>;
  /** The key given the password; throws AppApiError 'unauthorized' when it is wrong. */
  revealRecoveryKey: (password: string) => Promise<RevealedRecoveryKey>;
}

export function createRecoveryKey({ api }: Pick<StoreKit, 'api'>): { actions: RecoveryKeyActions } {
  return {
    actions: {
      loadUnsavedRecoveryKey: () => api.getUnsavedRecoveryKey({}),
      confirmRecoveryKeySaved: () => api.confirmRecoveryKeySaved({}).then(() => undefined),
      revealRecoveryKey: (password) => api.revealRecoveryKey({ password }),
    },
  };
}
