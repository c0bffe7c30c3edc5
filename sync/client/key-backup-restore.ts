/**
 * The client core's restore from the key backup (app-api/key-backup-api.ts): the backup fetched
 * over this device's connection, opened and written by the keyring (crypto/account-keyring.ts).
 */
import { AppApiError } from '../app-api/contract.js';
import type { RestoreOutcome } from '../app-api/key-backup-api.js';
import { RequestError } from './connection.js';
import type { AccountKeyring } from './crypto/account-keyring.js';
import type { SyncEngine } from './sync-engine.js';

export async function restoreFromRecoveryKey(
  engine: SyncEngine | null,
  keyring: AccountKeyring,
  userId: string,
  recoveryKey: string,
): Promise<RestoreOutcome> {
  if (!engine) throw new AppApiError('not_signed_in', 'Log in first.');
  let stored;
  try {
    stored = await engine.fetchKeyBackup();
  } catch (error) {
    throw fetchFailed(error);
  }
  return keyring.restoreFromBackup(userId, recoveryKey, stored);
}

function fetchFailed(error: unknown): AppApiError {
  if (!(error instanceof RequestError))
    return new AppApiError('internal', error instanceof Error ? error.message : String(error));
  if (error.code === 'disconnected' || error.code === 'timeout') {
    return new AppApiError('offline', 'Restoring from the key backup needs a connection to the server.');
  }
  if (error.code === 'rate_limited') return new AppApiError('rate_limited', error.message);
  return new AppApiError('refused', error.message);
}
