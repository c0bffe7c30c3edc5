/**
 * Encryption at rest for a SQLite file (better-sqlite3-multiple-ciphers in its SQLCipher mode):
 * applying a key, recognising a file that is not encrypted yet, and encrypting one in place.
 *
 * Keys are 32 random bytes, given to SQLCipher as a raw key (`x'<64 hex>'`), so opening costs no
 * key derivation: the key is already random, a password-stretching KDF would add nothing.
 */
import { closeSync, existsSync, fsyncSync, openSync, readSync, renameSync, rmSync, copyFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { PRIVATE_FILE_MODE, restrictFiles } from './private-files.js';

export const DATABASE_KEY_BYTES = 32;
const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Where the encrypted copy is made before it replaces the plain file. */
const ENCRYPTING_SUFFIX = '.encrypting';

export function assertDatabaseKey(key: Uint8Array): void {
  if (key.length !== DATABASE_KEY_BYTES) throw new Error(`A database key is ${DATABASE_KEY_BYTES} bytes, not ${key.length}`);
}

/** Must run before any other statement on the connection. */
export function applyDatabaseKey(db: Database.Database, key: Uint8Array): void {
  assertDatabaseKey(key);
  db.pragma("cipher = 'sqlcipher'");
  db.pragma(`key = "x'${Buffer.from(key).toString('hex')}'"`);
}

/** Whether the file starts with SQLite's plain header (an encrypted file's first bytes are random). */
export function isPlainDatabaseFile(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(PLAIN_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(PLAIN_HEADER);
  } finally {
    closeSync(fd);
  }
}

interface NativeOptions {
  nativeBinding?: string;
}

/**
 * Encrypts a plain database file with `key`, keeping everything in it. Crash-safe: the plain file
 * is checkpointed (its WAL folded in) and left untouched while an encrypted copy is made beside it,
 * checked, flushed, and renamed over it in one step, so at every moment one complete file holds
 * the data. A copy left by an interrupted attempt is thrown away and made again.
 */
export function encryptPlainDatabase(path: string, key: Uint8Array, options: NativeOptions = {}): void {
  assertDatabaseKey(key);
  const native = options.nativeBinding ? { nativeBinding: options.nativeBinding } : {};
  const copy = `${path}${ENCRYPTING_SUFFIX}`;
  removeDatabaseFiles(copy);

  // Everything in one file: the WAL folded in, and rollback journalling, so no -wal is needed beside it.
  const plain = new Database(path, native);
  let version: number;
  try {
    plain.pragma('wal_checkpoint(TRUNCATE)');
    plain.pragma('journal_mode = DELETE');
    version = plain.pragma('user_version', { simple: true }) as number;
  } finally {
    plain.close();
  }

  copyFileSync(path, copy);
  restrictFiles(copy);
  // SQLCipher rewrites every page under a rollback journal (rekey cannot run in WAL mode).
  const encrypting = new Database(copy, native);
  try {
    encrypting.pragma("cipher = 'sqlcipher'");
    encrypting.pragma(`rekey = "x'${Buffer.from(key).toString('hex')}'"`);
  } finally {
    encrypting.close();
  }

  const check = new Database(copy, native);
  try {
    applyDatabaseKey(check, key);
    const readBack = check.pragma('user_version', { simple: true }) as number;
    const integrity = check.pragma('quick_check', { simple: true }) as string;
    if (readBack !== version || integrity !== 'ok') {
      throw new Error(`The encrypted copy of ${path} does not match it (version ${readBack}, check ${integrity})`);
    }
  } finally {
    check.close();
  }
  if (isPlainDatabaseFile(copy)) throw new Error(`Encrypting ${path} left it readable without the key`);

  syncPath(copy, 'r+');
  // Rollback journalling removed the plain file's -wal and -shm on close; none may meet the new file.
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  renameSync(copy, path);
  syncPath(dirname(path), 'r');
  restrictFiles(path);
}

function removeDatabaseFiles(path: string): void {
  for (const file of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
}

function syncPath(path: string, flags: 'r' | 'r+'): void {
  const fd = openSync(path, flags, PRIVATE_FILE_MODE);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
