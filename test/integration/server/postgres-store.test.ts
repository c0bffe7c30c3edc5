/**
 * The PostgreSQL store's own concerns, beside the contract every store meets (the server suite runs
 * on it through describeEachStore): its migrations under a lock, refusing a newer schema, readiness,
 * pool waits, and text PostgreSQL cannot hold as it came.
 */
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { UNBUDGETED } from '../../../sync/server/store/settings-rules.js';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import {
  LATEST_POSTGRES_VERSION,
  migratePostgres,
  postgresMigrations,
  PostgresSchemaFromTheFutureError,
} from '../../../sync/server/store/pg-migrations.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { PostgresPoolOptions } from '../../../sync/server/store/pg-connections.js';
import { freshDatabase, type DatabaseOptions } from '../../support/postgres.js';
import { appendTestEnvelope, devicesVersionIn, envelopeFor } from '../../support/store-envelopes.js';

const stores: PostgresServerStore[] = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const drop of drops.splice(0)) await drop();
});

async function emptyDatabase(options?: DatabaseOptions): Promise<string> {
  const database = await freshDatabase(options);
  drops.push(database.drop);
  return database.url;
}

async function open(url: string, options?: PostgresPoolOptions): Promise<PostgresServerStore> {
  const store = await openPostgresServerStore(url, options);
  stores.push(store);
  return store;
}

/** Runs `sql` on its own connection, beside the stores. */
async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const allVersions = Array.from({ length: LATEST_POSTGRES_VERSION }, (_, index) => ({ version: index + 1 }));

/** A new user whose username is made from the id (ids here may hold any character). */
function user(id: string, displayName = id) {
  return { id, username: Buffer.from(id).toString('hex'), displayName, passwordHash: 'hash', createdAt: 1 };
}

describe('PostgreSQL store: schema and health', () => {
  it('migrates once when several nodes open an empty database at the same moment, and every one serves', async () => {
    const url = await emptyDatabase();
    const nodes = await Promise.all([open(url), open(url), open(url), open(url)]);

    expect(await query(url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual(allVersions);
    for (const node of nodes) expect(await node.ready()).toEqual({ ok: true });
    await nodes[0].createUser(user('alice'));
    expect(await nodes[3].findUserByUsername(user('alice').username)).toMatchObject({ id: 'alice', displayName: 'alice' });
    expect(await nodes[1].isEmpty()).toBe(false);
  });

  it('opens a database it migrated before without migrating again', async () => {
    const url = await emptyDatabase();
    const first = await open(url);
    expect(await first.isEmpty()).toBe(true);
    await first.createUser(user('alice'));
    await first.close();

    const again = await open(url);
    expect(await again.findUserByUsername(user('alice').username)).toMatchObject({ id: 'alice' });
    expect(await query(url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual(allVersions);
  });

  it('version 2 gives the sessions of a version 1 database ids and a last use (their person’s last seen); long-unused ones expire', async () => {
    const url = await emptyDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await migratePostgres(client, postgresMigrations.slice(0, 1));
      await client.query(
        `INSERT INTO users (id, username, display_name, password_hash, created_at, last_seen_at)
         VALUES ('u-a', 'alice', 'Alice', 'x', 1, 5000000), ('u-b', 'bob', 'Bob', 'x', 1, NULL)`,
      );
      await client.query(
        `INSERT INTO sessions (token_hash, user_id, created_at) VALUES ('hash-a', 'u-a', 1), ('hash-b', 'u-b', 1)`,
      );
    } finally {
      await client.end();
    }
    const store = await open(url);
    const times = { now: 5_000_001, expiredBefore: 4_000_000, touchBefore: 0 };
    const anId: unknown = expect.stringMatching(/^[0-9a-f]{32}$/);
    expect(await store.useSession({ ...times, tokenHash: 'hash-a' })).toEqual({
      user: { id: 'u-a', username: 'alice', displayName: 'Alice' },
      sessionId: anId,
      deviceNumber: 1,
    });
    expect(await store.listSessions('u-a', 0)).toEqual([
      { id: anId, userId: 'u-a', deviceNumber: 1, deviceName: null, createdAt: 1, lastUsedAt: 5_000_000 },
    ]);
    // Bob's was last used when it was opened, long before `expiredBefore`: gone.
    expect(await store.useSession({ ...times, tokenHash: 'hash-b' })).toBeNull();
    expect(await store.listSessions('u-b', 0)).toEqual([]);
  });

  it('refuses a database whose schema a newer build migrated, and leaves it as it was', async () => {
    const url = await emptyDatabase();
    const older = await open(url);
    await older.createUser(user('alice'));
    await older.close();
    const future = LATEST_POSTGRES_VERSION + 1;
    await query(url, `INSERT INTO schema_migrations (version, description) VALUES (${future}, 'from the future')`);

    const opening = openPostgresServerStore(url);
    await expect(opening).rejects.toBeInstanceOf(PostgresSchemaFromTheFutureError);
    await expect(opening).rejects.toThrow(`schema version ${future}, but this build only knows up to ${LATEST_POSTGRES_VERSION}`);
    expect(await query(url, 'SELECT max(version) AS version FROM schema_migrations')).toEqual([{ version: future }]);
    expect(await query(url, 'SELECT id FROM users')).toEqual([{ id: 'alice' }]);
  });

  it('is ready while it answers at the latest schema, and says why not otherwise without throwing', async () => {
    const url = await emptyDatabase();
    const store = await open(url);
    expect(await store.ready()).toEqual({ ok: true });

    await query(url, `DELETE FROM schema_migrations WHERE version = ${LATEST_POSTGRES_VERSION}`);
    expect(await store.ready()).toEqual({
      ok: false,
      reason: `The schema is at version ${LATEST_POSTGRES_VERSION - 1}, expected ${LATEST_POSTGRES_VERSION}`,
    });

    await store.close();
    expect(await store.ready()).toEqual({ ok: false, reason: 'The database is closed' });
    await store.close();
  });

  it('is not ready when its database is gone', async () => {
    const database = await freshDatabase();
    const store = await open(database.url);
    await database.drop();

    const readiness = await store.ready();
    expect(readiness.ok).toBe(false);
    expect(readiness).toMatchObject({ reason: expect.stringContaining('The database does not answer') as unknown });
  });

  it('reports how long each checkout of a connection waited', async () => {
    const url = await emptyDatabase();
    const waits: number[] = [];
    const store = await open(url, { poolSize: 1, onPoolWait: (ms) => waits.push(ms) });
    const before = waits.length;

    await Promise.all(['a', 'b', 'c', 'd'].map((name) => store.findUserByUsername(name)));
    expect(waits.length - before).toBe(4);
    expect(waits.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
  });

  it('plans each statement once per connection, not at every call, on every connection of the pool, beside the URL’s own options', async () => {
    const url = new URL(await emptyDatabase());
    url.searchParams.set('options', '-c statement_timeout=54321');
    const store = await open(url.toString(), { poolSize: 3 });
    const clients = await Promise.all([1, 2, 3].map(() => store.pool.connect()));
    try {
      const settings = await Promise.all(
        clients.map(
          async (client) =>
            (
              await client.query<{ plan_cache_mode: string; statement_timeout: string }>(
                "SELECT current_setting('plan_cache_mode') AS plan_cache_mode, current_setting('statement_timeout') AS statement_timeout",
              )
            ).rows,
        ),
      );
      expect(settings).toEqual([1, 2, 3].map(() => [{ plan_cache_mode: 'force_generic_plan', statement_timeout: '54321ms' }]));
    } finally {
      for (const client of clients) client.release();
    }
  });
});

describe('PostgreSQL store: text it cannot hold as it came', () => {
  // PostgreSQL's text refuses U+0000, which the protocol allows; U+0001 is the store's escape.
  const odd = 'a\u0000b\u0001c\u0001\u0001d\u0000';

  it('keeps U+0000 and U+0001 in ids, texts and names, and tells ids that differ only there apart', async () => {
    const store = await open(await emptyDatabase());
    await store.createUser(user('alice', `Alice ${odd}`));
    await store.createUser(user('bob'));
    const conversationId = directConversationId('alice', 'bob');
    await store.createConversation({
      conversationId,
      creatorId: 'alice',
      conversation: { kind: 'direct', userId: 'bob' },
      createdAt: 1,
      maxMembers: 10,
      caps: UNCAPPED,
    });
    const version = await devicesVersionIn(store, conversationId, 'alice');
    // The store keeps whatever text it is given (only the socket asks a ciphertext to be base64).
    const send = (clientId: string, ciphertext: string) =>
      store.appendEnvelope({ ...envelopeFor({ conversationId, senderId: 'alice', clientId, sentAt: 2 }, version), ciphertext });

    const first = await send(`m${odd}`, odd);
    const second = await send('m\u0001\u0001', 'second');
    const third = await send('m\u0000', 'third');
    expect([first.status, second.status, third.status]).toEqual(['stored', 'stored', 'stored']);
    expect(await send(`m${odd}`, odd)).toEqual({ status: 'duplicate', event: (first as { event: unknown }).event });

    const page = await store.readEvents({ conversationId, userId: 'bob', afterSeq: 0, limit: 10 });
    expect(page?.events.map((event) => (event.kind === 'envelope' ? [event.clientId, event.ciphertext] : null))).toEqual([
      [`m${odd}`, odd],
      ['m\u0001\u0001', 'second'],
      ['m\u0000', 'third'],
    ]);
    expect(page?.users).toContainEqual({ id: 'alice', username: user('alice').username, displayName: `Alice ${odd}` });

    const answer = { kind: 'request' as const, conversationId, value: { answer: 'accepted' as const, seq: 0 } };
    expect(await store.setSettings('alice', [{ setting: answer, at: 5, by: `device${odd}` }], UNBUDGETED)).toMatchObject({
      status: 'stored',
    });
    expect(await store.listSettings('alice', 0, 10)).toEqual({
      settings: [{ setting: answer, at: 5, by: `device${odd}`, version: 1 }],
      hasMore: false,
    });
  });

  it('orders ids by code point, as SQLite does, whatever the database locale', async () => {
    // English collation would sort these _, a, B, Z and ignore the control characters.
    const store = await open(await emptyDatabase({ icuLocale: 'en' }));
    const ids = ['B', 'a', 'a\u0000', 'a\u0001', 'a\u0002', '_', 'Z'];
    for (const id of ['me', ...ids]) await store.createUser(user(id));
    for (const id of ids) {
      await store.createConversation({
        conversationId: directConversationId('me', id),
        creatorId: 'me',
        conversation: { kind: 'direct', userId: id },
        createdAt: 1,
        maxMembers: 10,
        caps: UNCAPPED,
      });
      // Contacts are people both have written to (presence-rules.ts).
      for (const [senderId, clientId] of [
        ['me', `to ${id}`],
        [id, 'hello'],
      ] as const) {
        await appendTestEnvelope(store, { conversationId: directConversationId('me', id), senderId, clientId, sentAt: 2 });
      }
    }
    const contacts = await store.listContacts('me');
    expect(contacts.map((contact) => contact.userId)).toEqual([...ids].sort());
  });
});
