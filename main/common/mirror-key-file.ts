/**
 * The mirror's key kept in a file of the profile (`mirror.key`, 0600): the browser host's keeper,
 * and Electron's where the OS offers no keychain (see main/electron/safe-storage-key.ts). It holds
 * 64 hex characters, nothing else. Created once, atomically and never over another (written aside,
 * then hard-linked into place, which fails if a key is already there); a malformed file is an
 * error, never replaced, since a new key would make the mirror unreadable.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DATABASE_KEY_BYTES } from '../../sync/node/database-key.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE, restrictFiles } from '../../sync/node/private-files.js';

export const MIRROR_KEY_FILE = 'mirror.key';
const KEY_TEXT = /^[0-9a-f]{64}$/;

export class MirrorKeyFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`The key file ${path} ${reason}; it was left as it is, since the local data cannot be read without its key.`);
    this.name = 'MirrorKeyFileError';
  }
}

/** The key in `path`, or null when there is no such file. Throws MirrorKeyFileError when it is malformed. */
export function readKeyFile(path: string): Buffer | null {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (!KEY_TEXT.test(text)) throw new MirrorKeyFileError(path, 'does not hold a key (64 hex characters)');
  restrictFiles(path);
  return Buffer.from(text, 'hex');
}

/**
 * Writes `content` to `path` only if nothing is there yet, atomically, 0600. Returns false (and
 * writes nothing) when a file was there already, e.g. made by another start at the same moment.
 */
export function writeNewPrivateFile(path: string, content: Buffer | string): boolean {
  ensurePrivateDir(dirname(path));
  const aside = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(aside, 'wx', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'latin1') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    restrictFiles(aside);
    linkSync(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** The profile's key from its key file, made (32 random bytes) when there is none yet. */
export function loadOrCreateKeyFile(profileDir: string, random: (size: number) => Buffer = randomBytes): Buffer {
  const path = join(profileDir, MIRROR_KEY_FILE);
  const existing = readKeyFile(path);
  if (existing) return existing;
  writeNewPrivateFile(path, random(DATABASE_KEY_BYTES).toString('hex'));
  // Read back whatever is there now: ours, or one another start wrote a moment before.
  const stored = readKeyFile(path);
  if (!stored) throw new MirrorKeyFileError(path, 'vanished right after it was written');
  return stored;
}
