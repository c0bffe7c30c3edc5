/**
 * What happens to a mirror file that cannot be opened: which problem it is (damaged, or cannot be
 * decrypted), moving it aside with its -wal and -shm (kept, renamed with the date, never deleted),
 * and the small note beside it that says a recovery is waiting for "Start fresh" (so closing the
 * app on the recovery screen shows the screen again next time instead of silently starting empty).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { MirrorProblem } from '../../app-api/contract.js';
import { isUnreadableDatabaseError, MirrorUnreadableError } from './mirror-unreadable.js';

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Written beside the mirror while a recovery waits; removed once the new mirror holds the salvage. */
export const RECOVERY_NOTE = 'mirror.recovery.json';

const recoveryNote = z.object({
  problem: z.enum(['damaged', 'undecryptable']),
  /** File names inside the profile folder; the main file first. */
  movedTo: z.array(z.string().min(1)).min(1),
});
export type RecoveryNote = z.infer<typeof recoveryNote>;

/**
 * Which problem an open failure is, or null when it is not about the file's contents (a locked
 * file, no permission, a file from a newer version: those are not "damaged" and are left alone).
 * SQLCipher reports a wrong or missing key exactly as it reports garbage (SQLITE_NOTADB), so the
 * file itself decides: an encrypted file is whole pages of bytes that look random from the first
 * one on; a torn plain file, or text written over it, does not.
 */
export function classifyOpenFailure(error: unknown, path: string): MirrorProblem | null {
  const cause = error instanceof MirrorUnreadableError ? error.cause : error;
  if (!isUnreadableDatabaseError(cause)) return null;
  if ((cause as { code?: unknown }).code !== 'SQLITE_NOTADB') return 'damaged';
  return looksEncrypted(path) ? 'undecryptable' : 'damaged';
}

/** Bytes looked at, and how many different values among them make them look random (≈255 for random data). */
const SAMPLE_BYTES = 4096;
const RANDOM_LOOKING_VALUES = 224;

function looksEncrypted(path: string): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  // SQLCipher writes whole pages of at least 512 bytes.
  if (size < SAMPLE_BYTES || size % 512 !== 0) return false;
  const sample = Buffer.alloc(SAMPLE_BYTES);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, sample, 0, SAMPLE_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  // A plain page 1 (even with its header torn) is mostly zeros, small integers and schema text.
  return !sample.subarray(0, PLAIN_HEADER.length).equals(PLAIN_HEADER) && new Set(sample).size >= RANDOM_LOOKING_VALUES;
}

/** `2026-11-23T01-22-33Z`: the moment, safe in a file name on every system. */
export function fileStamp(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
}

/**
 * Where `mirror.sqlite` (and its -wal and -shm) go: `mirror.damaged-<date>.sqlite` (…-wal, …-shm)
 * in the same folder, kept whole, for the salvage and for whoever wants to look at it later.
 * Returns [from, to] file names, the main file first.
 */
export function damagedNames(profileDir: string, mirrorFile: string, now: number): [string, string][] {
  const stem = mirrorFile.replace(/\.sqlite$/, '');
  let target = `${stem}.damaged-${fileStamp(now)}`;
  // Two failures within a second (a restart loop) must not overwrite the first one's files.
  for (let n = 2; existsSync(join(profileDir, `${target}.sqlite`)); n++) target = `${stem}.damaged-${fileStamp(now)}-${n}`;
  return ['', '-wal', '-shm']
    .filter((suffix) => existsSync(join(profileDir, `${mirrorFile}${suffix}`)))
    .map((suffix) => [`${mirrorFile}${suffix}`, `${target}.sqlite${suffix}`]);
}

export function moveAside(profileDir: string, names: readonly [string, string][]): void {
  for (const [from, to] of names) renameSync(join(profileDir, from), join(profileDir, to));
}

export function writeRecoveryNote(profileDir: string, note: RecoveryNote): void {
  const path = join(profileDir, RECOVERY_NOTE);
  writeFileSync(`${path}.tmp`, JSON.stringify(note));
  renameSync(`${path}.tmp`, path);
}

/** The waiting recovery, or null; a note that cannot be read names no file we could trust, so none. */
export function readRecoveryNote(profileDir: string): RecoveryNote | null {
  const path = join(profileDir, RECOVERY_NOTE);
  if (!existsSync(path)) return null;
  try {
    const parsed = recoveryNote.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    // Names only: a note must not point the salvage outside the profile.
    if (parsed.success && parsed.data.movedTo.every((name) => basename(name) === name)) return parsed.data;
  } catch {
    // Unreadable JSON: treated like no note.
  }
  return null;
}

export function removeRecoveryNote(profileDir: string): void {
  rmSync(join(profileDir, RECOVERY_NOTE), { force: true });
}
