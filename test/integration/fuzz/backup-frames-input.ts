/**
 * Valid key backup frames (backup-frames.ts) for the hostile-input fuzzers: one arbitrary per frame
 * type, keyed by the type as the schema declares it, so a new backup frame cannot be left out
 * (backupFrameTypes() reads the types from the schema at run time).
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { BACKUP_LIMITS, backupClientFrames, type PutKeyBackupFrame } from '../../../sync/protocol/backup-frames.js';
import { validRid } from './hostile-input.js';

export type BackupFrameType = (typeof backupClientFrames)[number]['shape']['type']['value'];
export type BackupFrame = z.infer<(typeof backupClientFrames)[number]>;

/** The backup frames' types, read from the schema. */
export function backupFrameTypes(): string[] {
  return backupClientFrames.map((frame) => frame.shape.type.value);
}

const base64Of = (bytes: fc.Arbitrary<Uint8Array>) => bytes.map((each) => Buffer.from(each).toString('base64'));
const LARGEST_BYTES = (BACKUP_LIMITS.maxCiphertextChars / 4) * 3;

/** A few sealed bytes as base64, as far as the server can tell: mutants of frames with these stay under the frame limit. */
export const smallBackupCiphertext = base64Of(fc.uint8Array({ minLength: 1, maxLength: 300 }));

/** Short ones mostly, and now and then the largest a frame takes. */
export const backupCiphertext: fc.Arbitrary<string> = fc.oneof(
  { weight: 9, arbitrary: smallBackupCiphertext },
  base64Of(fc.uint8Array({ minLength: LARGEST_BYTES, maxLength: LARGEST_BYTES })),
);

const version = fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: BACKUP_LIMITS.maxVersion }));

/** A put_key_backup frame; `replaces` null (a first backup) or a version. */
export function putKeyBackupArbitrary(
  replaces: fc.Arbitrary<number | null>,
  ciphertext = backupCiphertext,
): fc.Arbitrary<PutKeyBackupFrame> {
  return fc.record({ type: fc.constant('put_key_backup' as const), rid: validRid, replaces, ciphertext });
}

/**
 * One valid frame per backup frame type. Writes name a version, so on an account with no backup
 * they store nothing (backup_version_mismatch).
 */
export function validBackupFrames(ciphertext = backupCiphertext): Record<BackupFrameType, fc.Arbitrary<BackupFrame>> {
  return {
    put_key_backup: putKeyBackupArbitrary(version, ciphertext),
    fetch_key_backup: fc.record({ type: fc.constant('fetch_key_backup' as const), rid: validRid }),
  };
}
