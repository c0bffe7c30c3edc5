import { describe, expect, it } from 'vitest';
import { keyBackupSql, putResult, toStoredKeyBackup } from '../../../sync/server/store/key-backup.js';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

/**
 * The migration that adds the key backup (SQLite version 14, PostgreSQL version 11): accounts from
 * before have none; the statements both stores share write a first backup, replace it only in
 * place of the version stored, and the backup goes with its account.
 */

/** The same rows in both stores: SQL both understand. Ann and Ben, from before the backup. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ('ann', 'ann', 'Ann', 'x', 1), ('ben', 'ben', 'Ben', 'x', 1)`,
];
const COUNT = `SELECT count(*) AS n FROM key_backups`;
const DELETE_ANN = `DELETE FROM users WHERE id = 'ann'`;

describe('key backup migration', () => {
  it('SQLite version 14: no backups for accounts from before; the shared statements compare and set; a backup goes with its account', () => {
    const db = sqliteMigratedThrough(14, SEED);
    expect(db.prepare(COUNT).get()).toEqual({ n: 0 });
    const insert = db.prepare(keyBackupSql.insertFirst('?', '?', '?'));
    const replace = db.prepare(keyBackupSql.replace('?', '?', '?', '?'));
    expect(putResult(insert.all('ann', 'b25l', 5) as Array<{ version: number }>)).toEqual({ status: 'stored', version: 1 });
    expect(putResult(insert.all('ann', 'dHdv', 6) as Array<{ version: number }>)).toEqual({ status: 'version_mismatch' });
    expect(putResult(replace.all('dHdv', 6, 'ann', 2) as Array<{ version: number }>)).toEqual({ status: 'version_mismatch' });
    expect(putResult(replace.all('dHdv', 6, 'ann', 1) as Array<{ version: number }>)).toEqual({ status: 'stored', version: 2 });
    const read = db.prepare(keyBackupSql.fetch('?'));
    expect(toStoredKeyBackup(read.get('ann') as { version: number; ciphertext: string })).toEqual({
      version: 2,
      ciphertext: 'dHdv',
    });
    db.exec(DELETE_ANN);
    expect(db.prepare(COUNT).get()).toEqual({ n: 0 });
  });

  it('PostgreSQL version 11 does the same', async () => {
    const client = await postgresMigratedThrough(11, SEED);
    const count = async () => Number((await client.query<{ n: string }>(COUNT)).rows[0]!.n);
    expect(await count()).toBe(0);
    const put = async (sql: string, values: unknown[]) => putResult((await client.query<{ version: string }>(sql, values)).rows);
    const insert = keyBackupSql.insertFirst('$1', '$2', '$3');
    const replace = keyBackupSql.replace('$1', '$2', '$3', '$4');
    expect(await put(insert, ['ann', 'b25l', 5])).toEqual({ status: 'stored', version: 1 });
    expect(await put(insert, ['ann', 'dHdv', 6])).toEqual({ status: 'version_mismatch' });
    expect(await put(replace, ['dHdv', 6, 'ann', 2])).toEqual({ status: 'version_mismatch' });
    expect(await put(replace, ['dHdv', 6, 'ann', 1])).toEqual({ status: 'stored', version: 2 });
    const read = await client.query<{ version: string; ciphertext: string }>(keyBackupSql.fetch('$1'), ['ann']);
    expect(toStoredKeyBackup(read.rows[0])).toEqual({ version: 2, ciphertext: 'dHdv' });
    await client.query(DELETE_ANN);
    expect(await count()).toBe(0);
  });
});
