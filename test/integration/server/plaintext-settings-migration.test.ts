import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../../sync/node/sqlite.js';
import { PlaintextHeldError } from '../../../sync/server/plaintext.js';
import { runMigrateStore } from '../../../sync/server/migrate-store-cli.js';
import { runPurgePlaintext } from '../../../sync/server/purge-plaintext-cli.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { openSqliteServerStore, SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { startSyncServer } from '../../../sync/server/sync-server.js';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';
import { CHEAP_PASSWORD_COST } from '../../support/server-harness.js';

/**
 * The migration that sets aside the archive, mute and drafts kept in the clear (SQLite version 16,
 * PostgreSQL version 13): they leave the served settings for plaintext_settings; the settings the
 * server acts on stay; the server does not start until purge-plaintext deletes them.
 */

/** The same rows in both stores: Ann muted and drafted in the clear, and blocked Ben. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ('ann', 'ann', 'Ann', 'x', 1), ('ben', 'ben', 'Ben', 'x', 1)`,
  `INSERT INTO settings (user_id, key, setting, at, by, version) VALUES
     ('ann', 'muted:c1', '{"kind":"muted","conversationId":"c1","value":true}', 10, 'laptop', 1),
     ('ann', 'draft:c1', '{"kind":"draft","conversationId":"c1","value":{"text":"secret plan","replyTo":null}}', 11, 'laptop', 2),
     ('ann', 'blocked:ben', '{"kind":"blocked","userId":"ben","value":true}', 12, 'laptop', 3)`,
];
const SERVED = `SELECT key FROM settings ORDER BY key`;
const SET_ASIDE = `SELECT user_id, key, at, by, version FROM plaintext_settings ORDER BY key`;
const WANT_SET_ASIDE = [
  { user_id: 'ann', key: 'draft:c1', at: 11, by: 'laptop', version: 2 },
  { user_id: 'ann', key: 'muted:c1', at: 10, by: 'laptop', version: 1 },
];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** A SQLite server's data folder whose database was last opened before migration 16, seeded. */
function dataDirBeforeMigration16(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'plaintext-settings-'));
  dirs.push(dataDir);
  const db = openDatabase(join(dataDir, SERVER_DATABASE_FILE), serverMigrations.slice(0, 15));
  for (const sql of SEED) db.exec(sql);
  db.close();
  return dataDir;
}

describe('plaintext settings migration', () => {
  it('SQLite version 16: archive, mute and drafts leave the served settings for plaintext_settings; a block stays', () => {
    const db = sqliteMigratedThrough(16, SEED);
    expect(db.prepare(SERVED).all()).toEqual([{ key: 'blocked:ben' }]);
    expect(db.prepare(SET_ASIDE).all()).toEqual(WANT_SET_ASIDE);
  });

  it('PostgreSQL version 13 does the same', async () => {
    const client = await postgresMigratedThrough(13, SEED);
    expect((await client.query(SERVED)).rows).toEqual([{ key: 'blocked:ben' }]);
    const setAside = (await client.query(SET_ASIDE)).rows.map((row: Record<string, unknown>) => ({
      ...row,
      at: Number(row.at),
      version: Number(row.version),
    }));
    expect(setAside).toEqual(WANT_SET_ASIDE);
  });

  it('the store serves only what it acts on, and the server refuses to start until purge-plaintext ran', async () => {
    const dataDir = dataDirBeforeMigration16();
    const store = openSqliteServerStore(dataDir);
    expect((await store.listSettings('ann', 0, 10)).settings.map((stored) => stored.setting.kind)).toEqual(['blocked']);
    expect(await store.plaintextHeld()).toEqual({ settings: 2, events: 0, groupNames: 0 });
    await store.close();

    const refused = startSyncServer({ port: 0, dataDir, passwordCost: CHEAP_PASSWORD_COST });
    await expect(refused).rejects.toBeInstanceOf(PlaintextHeldError);
    await expect(refused).rejects.toThrow(/holds 2 personal settings .*"npm run server -- purge-plaintext"/);

    // Nor is it copied to PostgreSQL: migrate-store refuses before it opens the target.
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await runMigrateStore(['--from', dataDir, '--to', 'postgres://nobody@127.0.0.1:1/none'])).toBe(1);
    expect(errors).toHaveBeenCalledWith(
      expect.stringMatching(/holds 2 personal settings \(archive, mute, drafts\) kept in the clear .*purge-plaintext/),
    );

    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runPurgePlaintext(['--data', dataDir])).toBe(0);
    expect(printed).toHaveBeenCalledWith(
      `Deleted 2 personal settings (archive, mute, drafts) kept in the clear from ${dataDir}.`,
    );
    const server = await startSyncServer({ port: 0, dataDir, passwordCost: CHEAP_PASSWORD_COST });
    await server.close();
    // Nothing of the draft is left in the database's file.
    const db = openDatabase(join(dataDir, SERVER_DATABASE_FILE), serverMigrations);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(readFileSync(join(dataDir, SERVER_DATABASE_FILE)).includes('secret plan')).toBe(false);
  });

  it('purge-plaintext refuses a folder with no server database, and unknown flags, deleting nothing', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const empty = mkdtempSync(join(tmpdir(), 'plaintext-none-'));
    dirs.push(empty);
    expect(await runPurgePlaintext(['--data', empty])).toBe(1);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining(`No server database in ${empty}.`));
    expect(await runPurgePlaintext([])).toBe(1);
    expect(await runPurgePlaintext(['--store', 'mysql://x'])).toBe(1);
    expect(await runPurgePlaintext(['--everything'])).toBe(1);
  });
});
