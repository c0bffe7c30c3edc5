/**
 * The log's files: `messenger.log` is written, and when the next line would take it past
 * `maxBytes` it becomes `messenger.log.1`, the previous `.1` becomes `.2`, and so on; the oldest
 * beyond `maxFiles` files in all is deleted. Writes are synchronous and whole lines, so a crash
 * loses nothing already logged and a line never straddles two files.
 *
 * Why not pino-roll (or any pino transport): transports run in a worker thread that loads its
 * module by file name at run time, which breaks once esbuild has bundled the hosts into single
 * files (dist/main/*.cjs). A small synchronous destination of our own has no such dependency.
 */
import { closeSync, existsSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../sync/node/private-files.js';

export const LOG_FILE_NAME = 'messenger.log';
export const DEFAULT_MAX_LOG_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_LOG_FILES = 5;

export interface RotatingLogOptions {
  dir: string;
  /** A file is rotated before a line would take it past this (a single longer line gets a file to itself). */
  maxBytes?: number;
  /** The current file and the rotated ones together; older ones are deleted. */
  maxFiles?: number;
}

/** What pino writes to: one call per line. */
export interface LogDestination {
  write(line: string): void;
}

export interface RotatingLogFile extends LogDestination {
  close(): void;
}

function rotatedName(index: number): string {
  return index === 0 ? LOG_FILE_NAME : `${LOG_FILE_NAME}.${index}`;
}

/** The log files in `dir`, oldest first (the highest number first, the current file last). */
export function logFilesOldestFirst(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const numbered = names.flatMap((name) => {
    if (name === LOG_FILE_NAME) return [{ name, index: 0 }];
    const match = /^messenger\.log\.(\d+)$/.exec(name);
    return match ? [{ name, index: Number(match[1]) }] : [];
  });
  return numbered.sort((a, b) => b.index - a.index).map(({ name }) => path.join(dir, name));
}

export function openRotatingLogFile(options: RotatingLogOptions): RotatingLogFile {
  const { dir, maxBytes = DEFAULT_MAX_LOG_BYTES, maxFiles = DEFAULT_MAX_LOG_FILES } = options;
  if (maxFiles < 1 || maxBytes < 1) throw new Error('A rotating log needs at least one file of at least one byte');
  ensurePrivateDir(dir);
  const current = path.join(dir, LOG_FILE_NAME);
  let fd: number | null = null;
  let size = 0;
  /** Closed for good: later lines (a straggler on the way out) are dropped, not a file reopened. */
  let closed = false;

  const open = () => {
    fd = openSync(current, 'a', PRIVATE_FILE_MODE);
    size = statSync(current).size;
  };

  const rotate = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
    rmSync(path.join(dir, rotatedName(maxFiles - 1)), { force: true });
    for (let index = maxFiles - 2; index >= 0; index--) {
      const from = path.join(dir, rotatedName(index));
      if (existsSync(from)) renameSync(from, path.join(dir, rotatedName(index + 1)));
    }
    open();
  };

  const closeQuietly = () => {
    try {
      if (fd !== null) closeSync(fd);
    } catch {
      // Already unusable: nothing more to release.
    }
    fd = null;
  };

  open();
  return {
    write(line) {
      if (closed) return;
      try {
        const bytes = Buffer.byteLength(line);
        if (size > 0 && size + bytes > maxBytes) rotate();
        if (fd === null) open();
        size += writeSync(fd!, line);
      } catch {
        // A log that cannot be written (full disk, folder removed) must not take the app down with it:
        // the line is lost; the next one opens the file again.
        closeQuietly();
      }
    },
    close() {
      closed = true;
      closeQuietly();
    },
  };
}
