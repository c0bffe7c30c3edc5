import type { StoredKeyBackup } from '../../protocol/backup-frames.js';
import type { PostgresConnections } from './pg-connections.js';
import {
  keyBackupSql,
  putResult,
  toStoredKeyBackup,
  type KeyBackupStore,
  type PutKeyBackup,
  type PutKeyBackupResult,
} from './key-backup.js';

/**
 * The key backup in the PostgreSQL store: each write is one statement (key-backup.ts). Two writes
 * naming the same version on any nodes: the UPDATE's row lock makes the second wait, and READ
 * COMMITTED then sees the version the first wrote, which is no longer the one it names.
 */
export class PostgresKeyBackup implements KeyBackupStore {
  constructor(private readonly db: PostgresConnections) {}

  async fetch(userId: string): Promise<StoredKeyBackup | null> {
    const rows = await this.db.query<{ version: string; ciphertext: string }>(keyBackupSql.fetch('$1'), [userId]);
    return toStoredKeyBackup(rows[0]);
  }

  async put(input: PutKeyBackup): Promise<PutKeyBackupResult> {
    const rows =
      input.replaces === null
        ? await this.db.query<{ version: string }>(keyBackupSql.insertFirst('$1', '$2', '$3'), [
            input.userId,
            input.ciphertext,
            input.now,
          ])
        : await this.db.query<{ version: string }>(keyBackupSql.replace('$1', '$2', '$3', '$4'), [
            input.ciphertext,
            input.now,
            input.userId,
            input.replaces,
          ]);
    return putResult(rows);
  }
}
