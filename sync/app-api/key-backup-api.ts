/**
 * The app API's call about the key backup (sync/client/crypto/key-backup.ts): a device signed in
 * with only the password takes up the account's identity from the backup, given the recovery key.
 * Declared here and spread into contract.ts, as account-keys-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';

/** Room for the key's 64 characters with spaces, line breaks and whatever else a paste brings. */
const MAX_TYPED_RECOVERY_KEY_CHARS = 256;

export const keyBackupApiArgs = {
  /**
   * Restores this device's account keys from the key backup with the recovery key (as typed:
   * spaces and capitals are ignored). Needs the connection ('offline' without it).
   */
  restoreFromRecoveryKey: z.object({ recoveryKey: z.string().min(1).max(MAX_TYPED_RECOVERY_KEY_CHARS) }).strict(),
} as const;

/**
 * How a restore ended; every one but `restored` wrote nothing:
 * - wrong_recovery_key: the key does not open the account's backup (or is no recovery key);
 * - no_key_backup: the account has none yet (no device with its identity has connected since);
 * - unreadable_backup: it opened but holds nothing this version can read (damaged, or newer);
 * - password_needed: this run of the app has not seen the password since signing in, and the
 *   device's keys keep a check of it: sign in again, then restore;
 * - other_identity: this device holds another identity for the account, which is never replaced.
 */
export const RESTORE_OUTCOMES = [
  'restored',
  'wrong_recovery_key',
  'no_key_backup',
  'unreadable_backup',
  'password_needed',
  'other_identity',
] as const;
export type RestoreOutcome = (typeof RESTORE_OUTCOMES)[number];

export interface KeyBackupApiResults {
  restoreFromRecoveryKey: RestoreOutcome;
}
