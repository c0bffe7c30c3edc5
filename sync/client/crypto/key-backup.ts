/**
 * The key backup's content and its seal (docs/e2ee-design.md, protocol/backup-frames.ts): what a
 * device that has only the password and the recovery key needs to take up the account's identity
 * and read its history. Sealed with libsignal's HPKE to a key derived from the recovery key (its
 * AccountEntropyPool → backup key → an EC key for this account, as Signal derives its backup key),
 * the account's id bound in as associated data. The password opens nothing here, so the server,
 * which knows the password's hash and keeps the ciphertext, reads nothing.
 */
import type { PrivateKey } from '@signalapp/libsignal-client';
import { z } from 'zod';
import { accountKeysSchema, type AccountKeys } from './account-keys.js';
import type { SignalLibrary } from './signal-library.js';

/** HPKE's `info`: names what is sealed, so a ciphertext of another use of the same key never opens as a backup. */
const SEAL_INFO = 'messenger key backup';

/**
 * Version 1: the identity key pair. Later versions add what else the devices share (sender-key
 * states) beside it: each is a member of the union, and an older backup is read by its own schema.
 */
const backupV1 = z
  .object({
    version: z.literal(1),
    /** IdentityKeyPair.serialize(), base64, as in the account keys file. */
    identityKeyPair: accountKeysSchema.shape.identityKeyPair,
  })
  .strict();

export const keyBackupContentSchema = z.discriminatedUnion('version', [backupV1]);
export type KeyBackupContent = z.infer<typeof keyBackupContentSchema>;

/** What this device's account keys put in the backup. */
export function backupContentOf(keys: AccountKeys): KeyBackupContent {
  return { version: 1, identityKeyPair: keys.identityKeyPair };
}

export function sameBackupContent(a: KeyBackupContent, b: KeyBackupContent): boolean {
  return JSON.stringify(keyBackupContentSchema.parse(a)) === JSON.stringify(keyBackupContentSchema.parse(b));
}

/** The content sealed for the account's recovery key, as base64 for put_key_backup. */
export function sealKeyBackup(signal: SignalLibrary, keys: AccountKeys, content: KeyBackupContent): string {
  const plain = Buffer.from(JSON.stringify(keyBackupContentSchema.parse(content)), 'utf8');
  const sealed = backupKey(signal, keys.recoveryKey, keys.userId)
    .getPublicKey()
    .seal(new Uint8Array(plain), SEAL_INFO, associatedData(keys.userId));
  return Buffer.from(sealed).toString('base64');
}

/** Why a backup did not open with a recovery key. */
export type UnopenedBackup = 'wrong_recovery_key' | 'unreadable_backup';

/**
 * The content of `userId`'s backup, opened with `recoveryKey`: wrong_recovery_key when that key does
 * not open it (or is no recovery key at all); unreadable_backup when it opens but holds nothing this
 * version can read (damaged, or written by a newer version).
 */
export function openKeyBackup(
  signal: SignalLibrary,
  userId: string,
  recoveryKey: string,
  ciphertext: string,
): KeyBackupContent | UnopenedBackup {
  if (!signal.AccountEntropyPool.isValid(recoveryKey)) return 'wrong_recovery_key';
  let plain: Uint8Array;
  try {
    plain = backupKey(signal, recoveryKey, userId).open(
      new Uint8Array(Buffer.from(ciphertext, 'base64')),
      SEAL_INFO,
      associatedData(userId),
    );
  } catch {
    return 'wrong_recovery_key';
  }
  try {
    const content = keyBackupContentSchema.safeParse(JSON.parse(Buffer.from(plain).toString('utf8')));
    return content.success ? content.data : 'unreadable_backup';
  } catch {
    return 'unreadable_backup';
  }
}

/** The recovery key as typed: spaces between its groups and capitals are the person's, not the key's. */
export function normaliseRecoveryKey(typed: string): string {
  return typed.replace(/\s+/g, '').toLowerCase();
}

/** The account ids the server makes are UUIDs (http-accounts.ts), so the backup key is Signal's, for this account as its ACI. */
function backupKey(signal: SignalLibrary, recoveryKey: string, userId: string): PrivateKey {
  return signal.AccountEntropyPool.deriveBackupKey(recoveryKey).deriveEcKey(signal.Aci.fromUuid(userId));
}

function associatedData(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(`messenger key backup\0${userId}`, 'utf8'));
}
