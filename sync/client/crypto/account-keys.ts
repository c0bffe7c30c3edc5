/**
 * A person's account keys as this device holds them: the identity key pair their devices share (a
 * safety number belongs to a person, not a device) and the recovery key's entropy (libsignal's
 * AccountEntropyPool), from which the key backup's key is derived. They live outside the mirror
 * (account-keys-file.ts), so a damaged mirror ("Start fresh") does not take the identity with it.
 */
import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import { z } from 'zod';
import { passwordVerifierSchema, type PasswordVerifier } from './password-verifier.js';
import type { SignalLibrary } from './signal-library.js';

/** An identity key pair as libsignal serialises it: public (33 bytes) and private (32) with framing. */
const MAX_IDENTITY_PAIR_BYTES = 128;

export const accountKeysSchema = z.object({
  userId: z.string().min(1),
  /** IdentityKeyPair.serialize(), base64. */
  identityKeyPair: z
    .string()
    .base64()
    .refine((text) => Buffer.from(text, 'base64').length <= MAX_IDENTITY_PAIR_BYTES),
  /** The recovery key as the person writes it down: 64 characters a–z, 0–9 (libsignal's AccountEntropyPool). */
  recoveryKey: z.string().regex(/^[a-z0-9]{64}$/, 'not a recovery key'),
  /** Whether the person said "I have saved it"; until then the app shows the recovery key again. */
  recoveryKeySaved: z.boolean(),
  /** Checks the password before the recovery key is shown again (password-verifier.ts). */
  passwordVerifier: passwordVerifierSchema,
  createdAt: z.number().int().nonnegative(),
  /**
   * Made on this device in place of an identity the person could not get back (no other device,
   * no recovery key): its publishing replaces the account's identity, and everyone they talk with
   * is told their safety number changed.
   */
  replacesIdentity: z.boolean().optional(),
});

export type AccountKeys = z.infer<typeof accountKeysSchema>;

/** A new identity and recovery key for `userId`, made on this device (at sign-up). */
export function newAccountKeys(
  signal: SignalLibrary,
  userId: string,
  passwordVerifier: PasswordVerifier,
  now: number,
): AccountKeys {
  return {
    userId,
    identityKeyPair: Buffer.from(signal.IdentityKeyPair.generate().serialize()).toString('base64'),
    recoveryKey: signal.AccountEntropyPool.generate(),
    recoveryKeySaved: false,
    passwordVerifier,
    createdAt: now,
  };
}

/** The identity key pair the keys hold, for libsignal's stores. */
export function identityKeyPairOf(signal: SignalLibrary, keys: AccountKeys): IdentityKeyPair {
  return signal.IdentityKeyPair.deserialize(Buffer.from(keys.identityKeyPair, 'base64'));
}
