import type { StoredKeyBackup } from '../../protocol/backup-frames.js';
import type { Db } from '../../node/sqlite.js';
import {
  keyBackupSql,
  putResult,
  toStoredKeyBackup,
  type KeyBackupStore,
  type PutKeyBackup,
  type PutKeyBackupResult,
} from './key-backup.js';

/** The key backup in the SQLite store: each write is one statement (key-backup.ts), atomic by itself. */
export class SqliteKeyBackup implements KeyBackupStore {
  private readonly fetchOf;
  private readonly insertFirst;
  private readonly replace;

  constructor(db: Db) {
    this.fetchOf = db.prepare(keyBackupSql.fetch('?'));
    this.insertFirst = db.prepare(keyBackupSql.insertFirst('?', '?', '?'));
    this.replace = db.prepare(keyBackupSql.replace('?', '?', '?', '?'));
  }

  async fetch(userId: string): Promise<StoredKeyBackup | null> {
    return toStoredKeyBackup(this.fetchOf.get(userId) as { version: number; ciphertext: string } | undefined);
  }

  async put(input: PutKeyBackup): Promise<PutKeyBackupResult> {
    const rows =
      input.replaces === null
        ? this.insertFirst.all(input.userId, input.ciphertext, input.now)
        : this.replace.all(input.ciphertext, input.now, input.userId, input.replaces);
    return putResult(rows as Array<{ version: number }>);
  }
}
