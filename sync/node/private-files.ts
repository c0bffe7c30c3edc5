/**
 * Profile data is for its owner alone: folders 0700, files 0600, set with chmod after creating
 * them, so the result does not depend on the process's umask (an `open` mode is masked by it).
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and its parents) if missing and makes it the owner's alone. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(path, PRIVATE_DIR_MODE);
}

/** Makes each of these files that exists the owner's alone; missing ones are skipped. */
export function restrictFiles(...paths: string[]): void {
  for (const path of paths) {
    if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
  }
}

/** Creates the file empty if missing (never truncating one that exists) and makes it the owner's alone. */
export function ensurePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/**
 * Writes `content` to a temporary file (the owner's alone), flushed to disk, then renamed over `path`:
 * a crash or power cut leaves the old file or the new one, never an empty one.
 */
export function writeFileAtomically(path: string, content: string | Uint8Array): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
