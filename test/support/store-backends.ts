/**
 * The server stores the store contract runs on, and Replicache's runAll for them: one suite, run
 * once per backend.
 *
 *   describeEachStore('sending messages', (backend) => {
 *     const h = createServerHarness({ backend });
 *     afterEach(() => h.cleanup());
 *     it('...', async () => { const server = await h.startServer(); ... });
 *   });
 *
 * registers `sending messages [sqlite]` and `sending messages [postgres]`. TEST_STORES=sqlite (or
 * postgres, or both comma-separated) narrows a run; every backend runs when it is unset.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { openPostgresServerStore } from '../../sync/server/store/pg-server-store.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';
import { openSqliteServerStore, SERVER_DATABASE_FILE } from '../../sync/server/store/sqlite-server-store.js';
import { openSnapshotReader, type DbSnapshot } from './db-snapshot.js';
import { openPostgresSnapshotReader } from './pg-snapshot.js';
import { dropTestDatabases, takeDatabase } from './pg-test-databases.js';

export type StoreBackendName = 'sqlite' | 'postgres';

export interface StoreBackend {
  readonly name: StoreBackendName;
  /** An empty database for a server whose data dir is `dataDir` (SQLite keeps its file there). */
  createDatabase(dataDir: string): Promise<TestDatabase>;
  /** After the last test of a file: lets go of what the backend keeps between tests (PostgreSQL: its databases). */
  releaseAll(): Promise<void>;
}

/** One database of a backend, outliving the stores opened on it (so a server can restart on it). */
export interface TestDatabase {
  /** A store on this database, migrated to the latest schema; the caller closes it. */
  open(): Promise<ServerStore>;
  /** Rows of `sql` (no parameters; written so both databases understand it), read beside the server. */
  query<T>(sql: string): Promise<T[]>;
  /** Every row of every table, through a separate connection that never blocks the server. */
  openSnapshotReader(): Promise<AsyncSnapshotReader>;
  /**
   * The test is done with the database; close every store on it first. Its data goes: SQLite's with
   * the data dir, PostgreSQL's when it is emptied for the next test (pg-test-databases.ts).
   */
  dispose(): Promise<void>;
}

export interface AsyncSnapshotReader {
  snapshot(): Promise<DbSnapshot>;
  close(): Promise<void>;
}

const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  async createDatabase(dataDir) {
    const file = join(dataDir, SERVER_DATABASE_FILE);
    return {
      open: async () => openSqliteServerStore(dataDir),
      async query<T>(sql: string) {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        try {
          return db.prepare(sql).all() as T[];
        } finally {
          db.close();
        }
      },
      async openSnapshotReader() {
        const reader = openSnapshotReader(file);
        return { snapshot: async () => reader.snapshot(), close: async () => reader.close() };
      },
      // The file lives in the data dir, which its owner (the harness's temp dirs) deletes.
      dispose: async () => {},
    };
  },
  releaseAll: async () => {},
};

const postgresBackend: StoreBackend = {
  name: 'postgres',
  async createDatabase() {
    const database = await takeDatabase();
    return {
      open: () => openPostgresServerStore(database.url),
      async query<T>(sql: string) {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          return (await client.query(sql)).rows as T[];
        } finally {
          await client.end();
        }
      },
      openSnapshotReader: () => openPostgresSnapshotReader(database.url),
      dispose: () => database.release(),
    };
  },
  releaseAll: dropTestDatabases,
};

const ALL_BACKENDS: readonly StoreBackend[] = [sqliteBackend, postgresBackend];

export const STORE_BACKENDS: readonly StoreBackend[] = chosenBackends(process.env.TEST_STORES);

function chosenBackends(setting: string | undefined): readonly StoreBackend[] {
  if (setting === undefined || setting.trim() === '') return ALL_BACKENDS;
  const names = setting.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !ALL_BACKENDS.some((backend) => backend.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `TEST_STORES names unknown stores (${unknown.join(', ')}); known: ${ALL_BACKENDS.map((b) => b.name).join(', ')}`,
    );
  }
  return ALL_BACKENDS.filter((backend) => names.includes(backend.name));
}

/** `describe(title [name], ...)` once per backend in STORE_BACKENDS; call it at the top level of a test file. */
export function describeEachStore(title: string, body: (backend: StoreBackend) => void): void {
  // Registered where describeEachStore is called (the file): after every test of it. Again for
  // each call, which does no harm: there is nothing left to release the second time.
  afterAll(async () => {
    for (const backend of STORE_BACKENDS) await backend.releaseAll();
  });
  for (const backend of STORE_BACKENDS) describe(`${title} [${backend.name}]`, () => body(backend));
}
