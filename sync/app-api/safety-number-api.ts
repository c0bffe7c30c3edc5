/**
 * The app API's calls about safety numbers (sync/client/crypto/safety-number.ts): comparing one's
 * identity with a person's, marking them verified, and what the composer asks before sending to
 * someone whose safety number changed after it was verified. Declared here and spread into
 * contract.ts, as account-keys-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import type { User } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import { KEY_LIMITS } from '../protocol/key-frames.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);

/** A safety number has 60 digits, read in twelve groups of five. */
export const SAFETY_NUMBER_DIGITS = 60;
const GROUP_DIGITS = 5;

export const safetyNumberApiArgs = {
  /** The safety number of this account and `userId`'s (their key from this mirror, else from the server). */
  getSafetyNumber: z.object({ userId: id }).strict(),
  /**
   * Marks `userId` verified with the identity key the safety number was shown for (base64, as
   * getSafetyNumber gave it), or clears it. 'conflict' when their key is no longer that one.
   */
  setIdentityVerified: z
    .object({ userId: id, identityKey: z.string().min(1).max(KEY_LIMITS.maxEcPublicKeyChars), verified: z.boolean() })
    .strict(),
  /** The members of the conversation whose safety number changed after it was verified: ask before the next send. */
  getIdentityChanges: z.object({ conversationId: id }).strict(),
  /** "Send anyway": stop asking about these members' changes until their next one. */
  confirmIdentityChanges: z.object({ conversationId: id }).strict(),
} as const;

/**
 * A safety number: `digits` (60) to read, `scannable` (base64) for a QR code, for the identity key
 * `identityKey` (base64); or why there is none: the person published no keys (`no_keys`), or this
 * device has no keys of the account's (`no_own_keys`: signed in to an account made elsewhere).
 */
export type SafetyNumberView =
  | { kind: 'number'; userId: string; digits: string; scannable: string; identityKey: string; verified: boolean }
  | { kind: 'no_keys'; userId: string }
  | { kind: 'no_own_keys'; userId: string };

export interface SafetyNumberApiResults {
  getSafetyNumber: SafetyNumberView;
  setIdentityVerified: null;
  getIdentityChanges: User[];
  confirmIdentityChanges: null;
}

/** The digits in twelve groups of five, to read aloud or side by side. */
export function safetyNumberGroups(digits: string): string[] {
  const groups: string[] = [];
  for (let start = 0; start < digits.length; start += GROUP_DIGITS) groups.push(digits.slice(start, start + GROUP_DIGITS));
  return groups;
}
