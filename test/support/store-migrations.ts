/**
 * A server migration's test on both stores: a database made at the version before it, seeded with
 * rows (SQL both stores understand), then migrated to the newest, or left for a store (or a server)
 * to open and migrate. Each is closed and removed when the test finishes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect, onTestFinished } from 'vitest';
import { openDatabase, type Db } from '../../sync/node/sqlite.js';
import { migratePostgres, postgresMigrations } from '../../sync/server/store/pg-migrations.js';
import { serverMigrations } from '../../sync/server/store/sqlite-migrations.js';
import { SERVER_DATABASE_FILE } from '../../sync/server/store/sqlite-server-store.js';
import { freshDatabase } from './postgres.js';

/** A SQLite server's data folder whose database was seeded just before migration `version`, and not migrated further. */
export function sqliteSeededBefore(version: number, seed: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), `server-migration-${version}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const before = serverMigrations.findIndex((migration) => migration.version === version);
  expect(before).toBeGreaterThan(0);
  const old = openDatabase(join(dir, SERVER_DATABASE_FILE), serverMigrations.slice(0, before));
  try {
    for (const sql of seed) old.exec(sql);
  } finally {
    old.close();
  }
  return dir;
}

/** A SQLite server database seeded just before migration `version`, then migrated to the newest. */
export function sqliteMigratedThrough(version: number, seed: readonly string[]): Db {
  const db = openDatabase(join(sqliteSeededBefore(version, seed), SERVER_DATABASE_FILE), serverMigrations);
  onTestFinished(() => {
    db.close();
  });
  return db;
}

/** The URL of a PostgreSQL database seeded just before migration `version`, and not migrated further. */
export async function postgresSeededBefore(version: number, seed: readonly string[]): Promise<string> {
  const database = await freshDatabase();
  onTestFinished(() => database.drop());
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const before = postgresMigrations.findIndex((migration) => migration.version === version);
    expect(before).toBeGreaterThan(0);
    await migratePostgres(client, postgresMigrations.slice(0, before));
    for (const sql of seed) await client.query(sql);
  } finally {
    await client.end();
  }
  return database.url;
}

/** A PostgreSQL database seeded just before migration `version`, then migrated to the newest. */
export async function postgresMigratedThrough(version: number, seed: readonly string[]): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: await postgresSeededBefore(version, seed) });
  // Registered after the database's drop, so it runs first: the connection ends before the database goes.
  onTestFinished(() => client.end().catch(() => undefined));
  await client.connect();
  await migratePostgres(client);
  return client;
}
