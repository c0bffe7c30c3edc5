/**
 * The app API's calls about this device's account keys (sync/client/crypto): the recovery key
 * shown once after sign-up and again, given the password, from the settings. Declared here and
 * spread into contract.ts, so the hub does not grow with each step of end-to-end encryption.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { LIMITS } from '../protocol/limits.js';

/** The recovery key as it is stored: 64 characters a–z, 0–9 (libsignal's AccountEntropyPool). */
export const RECOVERY_KEY_CHARS = 64;
const RECOVERY_KEY_GROUP_CHARS = 4;

export const accountKeysApiArgs = {
  /**
   * The recovery key while it is still to be saved: after sign-up, and at every start until the
   * person says "I have saved it"; null otherwise (and on a device without account keys).
   */
  getUnsavedRecoveryKey: z.object({}).strict(),
  /** "I have saved it": the recovery key is not shown by itself again. */
  confirmRecoveryKeySaved: z.object({}).strict(),
  /** The recovery key again, given the account's password ('unauthorized' when it is wrong). */
  revealRecoveryKey: z.object({ password: z.string().min(1).max(LIMITS.maxPasswordChars) }).strict(),
} as const;

/** What revealRecoveryKey shows: the key, or that this device has none (signed in to an account made elsewhere). */
export type RevealedRecoveryKey = { kind: 'key'; recoveryKey: string } | { kind: 'none' };

export interface AccountKeysApiResults {
  getUnsavedRecoveryKey: string | null;
  confirmRecoveryKeySaved: null;
  revealRecoveryKey: RevealedRecoveryKey;
}

/** The recovery key for reading and writing down: groups of four separated by spaces. */
export function formatRecoveryKey(recoveryKey: string): string {
  const groups: string[] = [];
  for (let start = 0; start < recoveryKey.length; start += RECOVERY_KEY_GROUP_CHARS) {
    groups.push(recoveryKey.slice(start, start + RECOVERY_KEY_GROUP_CHARS));
  }
  return groups.join(' ');
}
