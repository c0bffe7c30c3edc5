/**
 * A suite of the store contract itself (no server, no socket), run once per backend: each test has
 * a store of its own on an empty database, closed after it with the database, and makes the people
 * and sessions its cases need.
 *
 *   describeStoreContract('the key backup store', (suite) => {
 *     it('...', async () => { const ann = await suite.person(); await suite.store.keyBackup.fetch(ann); });
 *   });
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ServerStore } from '../../sync/server/store/server-store.js';
import { describeEachStore, type TestDatabase } from './store-backends.js';

/** The time the suites tell the store it is, unless a case says otherwise. */
export const NOW = 1_000_000_000;
/** A cut older than every session: none has expired. */
export const LONG_AGO = 0;

export interface StoreSuite {
  /** This test's store (another one after reopen). */
  readonly store: ServerStore;
  /** The database beneath it, for the rows a case checks that the store does not hand out. */
  readonly database: TestDatabase;
  /** Closes the store and opens another on the same database, as a restarted server would. */
  reopen(): Promise<void>;
  /** A new user, created at NOW: their id, `name` and a number. */
  person(name?: string): Promise<string>;
  /** A new session of `userId` (a device signed in), last used at `lastUsedAt`: its id; its token hash is `hash-` and the id. */
  session(userId: string, lastUsedAt?: number): Promise<string>;
}

/** describeEachStore for a suite of the store contract: `body` registers its cases, which use `suite`. */
export function describeStoreContract(title: string, body: (suite: StoreSuite) => void): void {
  describeEachStore(title, (backend) => {
    let dir: string;
    let database: TestDatabase;
    let store: ServerStore;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'store-contract-'));
      database = await backend.createDatabase(dir);
      store = await database.open();
    });
    afterEach(async () => {
      await store.close();
      await database.dispose();
      await rm(dir, { recursive: true, force: true });
    });

    let people = 0;
    let sessions = 0;
    body({
      get store() {
        return store;
      },
      get database() {
        return database;
      },
      async reopen() {
        await store.close();
        store = await database.open();
      },
      async person(name = 'user') {
        const id = `${name}-${++people}`;
        await store.createUser({ id, username: id, displayName: name, passwordHash: 'x', createdAt: NOW });
        return id;
      },
      async session(userId, lastUsedAt = NOW) {
        const id = `session-${++sessions}`;
        const outcome = await store.createSession({
          id,
          tokenHash: `hash-${id}`,
          userId,
          deviceName: null,
          createdAt: lastUsedAt,
          maxDevices: 20,
          expiredBefore: LONG_AGO,
        });
        expect(outcome).toBe('created');
        return id;
      },
    });
  });
}
