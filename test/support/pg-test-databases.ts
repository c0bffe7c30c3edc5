/**
 * Migrated PostgreSQL databases for the postgres store backend, reused within a test process.
 * Making one (CREATE DATABASE, then the migrations) takes about half a second, and a test file
 * runs dozens of tests that each want a fresh store; emptying one takes a few milliseconds. So a
 * database a test is done with is emptied and handed to the next test, and they are all dropped
 * when the file ends (dropTestDatabases, registered by describeEachStore). A CREATE DATABASE ...
 * TEMPLATE of a migrated database is no faster: the copy costs what the migrations save.
 */
import pg from 'pg';
import { openPostgresServerStore } from '../../sync/server/store/pg-server-store.js';
import { freshDatabase } from './postgres.js';

interface MadeDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface ReusableDatabase {
  url: string;
  /** Empties the database for the next test; every connection to it must be closed first. */
  release(): Promise<void>;
}

const made: MadeDatabase[] = [];
const idle: MadeDatabase[] = [];

/** An empty database at the latest schema. */
export async function takeDatabase(): Promise<ReusableDatabase> {
  const database = idle.pop() ?? (await makeDatabase());
  return {
    url: database.url,
    async release() {
      await empty(database.url);
      idle.push(database);
    },
  };
}

/** Drops every database this process made (one still taken too: its test is over). */
export async function dropTestDatabases(): Promise<void> {
  idle.length = 0;
  await Promise.all(made.splice(0).map((database) => database.drop()));
}

async function makeDatabase(): Promise<MadeDatabase> {
  const database = await freshDatabase();
  made.push(database);
  const store = await openPostgresServerStore(database.url);
  await store.close();
  return database;
}

/**
 * Deletes every row but the schema's version (schema_migrations); there are no sequences to reset,
 * the counters live in rows. DELETE rather than TRUNCATE: on tables this small it takes a few
 * milliseconds where TRUNCATE takes a hundred or more (new files for every table). The
 * replica role skips the foreign-key triggers (the test user is a superuser), so the order of the
 * deletes does not matter: every table ends empty anyway.
 */
async function empty(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`,
    );
    const deletes = rows.map(({ name }) => `DELETE FROM ${client.escapeIdentifier(name)};`).join(' ');
    await client.query(`BEGIN; SET LOCAL session_replication_role = replica; ${deletes} COMMIT;`);
  } finally {
    await client.end();
  }
}
