import type { StoredKeyBackup } from '../../protocol/backup-frames.js';

/**
 * The key backup (docs/e2ee-design.md, protocol/backup-frames.ts): one sealed backup per account,
 * kept as the client sent it (base64 text) and never interpreted, with a version that counts the
 * account's writes from 1.
 *
 * Rules every implementation keeps:
 * - a write is compare-and-set: it stores only when `replaces` is the stored version (null: none
 *   stored), in one statement, so of two writes naming the same version exactly one stores;
 * - the backup goes with its account (a cascade from users), and with nothing else: devices come
 *   and go, and the backup is what a new one restores from.
 */
export interface KeyBackupStore {
  /** The account's backup, or null when it has none. */
  fetch(userId: string): Promise<StoredKeyBackup | null>;
  put(input: PutKeyBackup): Promise<PutKeyBackupResult>;
}

export interface PutKeyBackup {
  userId: string;
  replaces: number | null;
  ciphertext: string;
  now: number;
}

export type PutKeyBackupResult = { status: 'stored'; version: number } | { status: 'version_mismatch' };

/**
 * The statements both stores run word for word, with their parameters' placeholders (SQLite `?`,
 * PostgreSQL `$n`). Each write is one statement that stores nothing, and returns no row, when the
 * stored version is not the one it replaces: the check and the write cannot be split by another.
 */
export const keyBackupSql = {
  /** Parameters: user id. */
  fetch: (user: string) => `SELECT version, ciphertext FROM key_backups WHERE user_id = ${user}`,
  /** The first backup. Parameters: user id, ciphertext, now. */
  insertFirst: (user: string, ciphertext: string, now: string) =>
    `INSERT INTO key_backups (user_id, version, ciphertext, updated_at) VALUES (${user}, 1, ${ciphertext}, ${now})
     ON CONFLICT (user_id) DO NOTHING RETURNING version`,
  /** A backup in place of version `replaces`. Parameters: ciphertext, now, user id, replaces. */
  replace: (ciphertext: string, now: string, user: string, replaces: string) =>
    `UPDATE key_backups SET version = version + 1, ciphertext = ${ciphertext}, updated_at = ${now}
     WHERE user_id = ${user} AND version = ${replaces} RETURNING version`,
};

/** What a write's statement returned: its one row, or none when the version did not match. */
export function putResult(rows: ReadonlyArray<{ version: number | string }>): PutKeyBackupResult {
  const row = rows[0];
  // PostgreSQL's BIGINT comes as text.
  return row ? { status: 'stored', version: Number(row.version) } : { status: 'version_mismatch' };
}

/** A row as read back: PostgreSQL's BIGINT comes as text. */
export function toStoredKeyBackup(row: { version: number | string; ciphertext: string } | undefined): StoredKeyBackup | null {
  return row ? { version: Number(row.version), ciphertext: row.ciphertext } : null;
}
