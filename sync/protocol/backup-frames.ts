/**
 * The key backup's frames (end-to-end encryption, docs/e2ee-design.md, docs/protocol.md §22): one
 * backup per account of what its devices need to read their history (the identity key pair now,
 * sender-key states later), sealed on a device with a key only the recovery key gives. The server
 * is blind to it: it keeps the ciphertext as it came, for that account's signed-in devices only,
 * and hands out a version with each write.
 *
 * Writes are compare-and-set: each names the version it replaces (null: there is none yet), so two
 * devices never overwrite each other without knowing it. A write that names another version is
 * refused (backup_version_mismatch); the device fetches the backup, merges it with its own and
 * writes again, naming the version it fetched.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { base64, rid } from './wire-types.js';

export const BACKUP_LIMITS = {
  /**
   * The sealed backup as base64. A backup travels in one frame, so it is bounded by
   * LIMITS.maxFrameBytes (64 KiB) less room for the frame's other fields: 60 KiB of base64 is 45 KiB
   * of ciphertext, hundreds of times an identity key pair, and room for many sender-key states.
   */
  maxCiphertextChars: 60 * 1024,
  /** Versions count the account's writes from 1; this bound keeps them exact JavaScript integers. */
  maxVersion: Number.MAX_SAFE_INTEGER,
} as const;

/** The frame's fields besides the ciphertext take far less than this (a rid is at most LIMITS.maxIdChars). */
const FRAME_OVERHEAD_CHARS = 256;
if (BACKUP_LIMITS.maxCiphertextChars + FRAME_OVERHEAD_CHARS > LIMITS.maxFrameBytes) {
  throw new Error('A key backup must fit in one frame: BACKUP_LIMITS.maxCiphertextChars is too large');
}

const version = z.number().int().min(1).max(BACKUP_LIMITS.maxVersion);
const ciphertext = base64(BACKUP_LIMITS.maxCiphertextChars);

// ---------------------------------------------------------------------------------------------
// Client → server

/**
 * Stores the account's backup in place of version `replaces` (null: when it has none). Answered by
 * `key_backup_stored` with the new version, or refused with backup_version_mismatch (conflict) when
 * the stored version is another, storing nothing. Rate-limited per account (rate_limited).
 */
export const putKeyBackupFrame = z.object({
  type: z.literal('put_key_backup'),
  rid,
  replaces: version.nullable(),
  ciphertext,
});
export type PutKeyBackupFrame = z.infer<typeof putKeyBackupFrame>;

/** The account's backup (`key_backup`), null when it has none. Rate-limited per account (rate_limited). */
export const fetchKeyBackupFrame = z.object({ type: z.literal('fetch_key_backup'), rid });

export const backupClientFrames = [putKeyBackupFrame, fetchKeyBackupFrame] as const;

// ---------------------------------------------------------------------------------------------
// Server → client

export const storedKeyBackupSchema = z.object({ version, ciphertext });
export type StoredKeyBackup = z.infer<typeof storedKeyBackupSchema>;

export const keyBackupStoredReply = z.object({ type: z.literal('key_backup_stored'), rid, version });
export const keyBackupReply = z.object({ type: z.literal('key_backup'), rid, backup: storedKeyBackupSchema.nullable() });

export const backupServerFrames = [keyBackupStoredReply, keyBackupReply] as const;
