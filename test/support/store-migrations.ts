/**
 * A server migration's test on both stores: a database made at the version before it, seeded with
 * rows (SQL both stores understand), then migrated to the newest. Each is closed and removed when
 * the test finishes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect, onTestFinished } from 'vitest';
import { openDatabase, type Db } from '../../sync/node/sqlite.js';
import { migratePostgres, postgresMigrations } from '../../sync/server/store/pg-migrations.js';
import { serverMigrations } from '../../sync/server/store/sqlite-migrations.js';
import { freshDatabase } from './postgres.js';

/** A SQLite server database seeded just before migration `version`, then migrated to the newest. */
export function sqliteMigratedThrough(version: number, seed: readonly string[]): Db {
  const dir = mkdtempSync(join(tmpdir(), `server-migration-${version}-`));
  let db: Db | null = null;
  onTestFinished(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'server.sqlite');
  const before = serverMigrations.findIndex((migration) => migration.version === version);
  expect(before).toBeGreaterThan(0);
  const old = openDatabase(path, serverMigrations.slice(0, before));
  for (const sql of seed) old.exec(sql);
  old.close();
  db = openDatabase(path, serverMigrations);
  return db;
}

/** A PostgreSQL database seeded just before migration `version`, then migrated to the newest. */
export async function postgresMigratedThrough(version: number, seed: readonly string[]): Promise<pg.Client> {
  const database = await freshDatabase();
  const client = new pg.Client({ connectionString: database.url });
  onTestFinished(async () => {
    await client.end().catch(() => undefined);
    await database.drop();
  });
  await client.connect();
  const before = postgresMigrations.findIndex((migration) => migration.version === version);
  expect(before).toBeGreaterThan(0);
  await migratePostgres(client, postgresMigrations.slice(0, before));
  for (const sql of seed) await client.query(sql);
  await migratePostgres(client);
  return client;
}
