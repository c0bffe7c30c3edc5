/**
 * Nodes on one PostgreSQL database count sign-in failures together (rate-limiter-flexible's
 * PostgreSQL store, in the table migration 4 makes), so spreading guesses over nodes gains nothing.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { RATE_LIMITS_TABLE } from '../../../sync/server/account-limits.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { freshDatabase } from '../../support/postgres.js';
import { createServerHarness, logIn, type TestServer } from '../../support/server-harness.js';

const h = createServerHarness();
const stores: PostgresServerStore[] = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h.cleanup();
  for (const store of stores.splice(0)) await store.close();
  for (const drop of drops.splice(0)) await drop();
});

/** Four free wrong passwords per username and address, counted across nodes. */
const FOUR_FAILURES = {
  signInFailuresPerUsernameAndAddress: { points: 4, seconds: 600 },
  signInFailuresPerUsername: { points: 1_000, seconds: 600 },
  signInsPerAddress: { points: 1_000, seconds: 600 },
  signUpsPerAddress: { points: 1_000, seconds: 600 },
};

async function database(): Promise<string> {
  const created = await freshDatabase();
  drops.push(created.drop);
  return created.url;
}

async function node(url: string): Promise<TestServer> {
  const store = await openPostgresServerStore(url);
  stores.push(store);
  return h.startServer({ store, accountLimits: FOUR_FAILURES });
}

/** Statuses of wrong-password sign-ins for `username`, one per server given, in turn. */
async function guesses(servers: TestServer[], username: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const server of servers) statuses.push((await logIn(server.httpUrl, username, 'wrong guess')).status);
  return statuses;
}

async function columns(url: string, table: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, unknown>>(
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    const { rows: keys } = await client.query<{ attname: string }>(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary`,
      [table],
    );
    return [...rows, { primaryKey: keys.map((k) => k.attname) }];
  } finally {
    await client.end();
  }
}

describe('sign-in limits on PostgreSQL', () => {
  it('two nodes make a guessing address wait after the same total of wrong passwords as one node', async () => {
    const url = await database();
    const one = await node(url);
    const two = await node(url);
    const victim = await h.createAccount(one, { username: 'victim', password: 'victim password' });
    // Four are free; the fifth is answered, and the address waits from then on, on every node.
    expect(await guesses([one, two, one, two, one], 'victim')).toEqual([401, 401, 401, 401, 401]);
    expect(await guesses([two, one], 'victim')).toEqual([429, 429]);
    expect((await logIn(two.httpUrl, 'victim', victim.password)).status).toBe(429);

    // The same total on one node alone.
    const single = await node(await database());
    await h.createAccount(single, { username: 'victim', password: 'victim password' });
    expect(await guesses([single, single, single, single, single, single], 'victim')).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('migration 4 makes the table in exactly the shape the library would make it', async () => {
    const migrated = await database();
    const store = await openPostgresServerStore(migrated);
    stores.push(store);

    const byLibrary = await database();
    const pool = new pg.Pool({ connectionString: byLibrary });
    try {
      await new Promise<void>((resolve, reject) => {
        new RateLimiterPostgres(
          {
            storeClient: pool,
            storeType: 'pool',
            tableName: RATE_LIMITS_TABLE,
            clearExpiredByTimeout: false,
            points: 1,
            duration: 1,
          },
          (error?: Error) => (error ? reject(error) : resolve()),
        );
      });
      expect(await columns(migrated, RATE_LIMITS_TABLE)).toEqual(await columns(byLibrary, RATE_LIMITS_TABLE));
    } finally {
      await pool.end();
    }
  });
});
