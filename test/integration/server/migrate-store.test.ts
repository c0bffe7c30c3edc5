import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../../sync/node/sqlite.js';
import { runMigrateStore } from '../../../sync/server/migrate-store-cli.js';
import { COPIED_TABLES } from '../../../sync/server/store/migrate-store-tables.js';
import { migrateSqliteToPostgres, type MigrateStoreOptions } from '../../../sync/server/store/migrate-store.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { fromRow } from '../../../sync/server/store/pg-text.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { openSqliteServerStore, SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { openPostgresSnapshotReader } from '../../support/pg-snapshot.js';
import { freshDatabase } from '../../support/postgres.js';
import { createServerHarness, logIn, type TestServer } from '../../support/server-harness.js';
import { sealedSetting } from '../../support/sealed-setting.js';
import { NAMES, playScene, viewOf, type PersonView } from './migrate-store-scene.js';

// SQLite to PostgreSQL by definition: the source is a SQLite server's files, the target a PostgreSQL database.
const h = createServerHarness();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h.cleanup();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function emptyDatabase(): Promise<string> {
  const database = await freshDatabase();
  cleanups.push(() => database.drop());
  return database.url;
}

async function openStore(url: string): Promise<PostgresServerStore> {
  const store = await openPostgresServerStore(url);
  cleanups.push(() => store.close());
  return store;
}

function migrate(fromDataDir: string, toUrl: string, log: MigrateStoreOptions['log'] = () => undefined) {
  return migrateSqliteToPostgres({ fromDataDir, toUrl, log });
}

/** A SQLite server with two people who exchanged an envelope, stopped. */
async function smallSqliteServer(): Promise<TestServer> {
  const server = await h.startServer();
  const { aliceSocket, conversation } = await h.pair(server);
  await aliceSocket.send(conversation.id, 'm1', 'hello');
  await server.close();
  return server;
}

async function pgRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** Every constraint and index by name, with its definition. */
async function schemaOf(url: string): Promise<Record<string, unknown>[]> {
  return pgRows(
    url,
    `SELECT conrelid::regclass::text AS table, conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
     WHERE connamespace = current_schema()::regnamespace
     UNION ALL SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
     ORDER BY 1, 2, 3`,
  );
}

/** Rows whose order, and whose objects' key order, do not matter. */
function canonical(rows: unknown[]): string[] {
  const sortKeys = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sortKeys)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => [k, sortKeys(v)]),
          )
        : value;
  return rows.map((row) => JSON.stringify(sortKeys(row))).sort();
}

/** The columns SQLite keeps as 0/1 and as JSON text, where PostgreSQL has BOOLEAN and JSONB. */
const BOOLEANS: Record<string, string[]> = { events: ['deleted', 'reaction_on'] };
const JSONS: Record<string, string[]> = { events: ['payload'], settings: ['setting'] };

/** Every row of `table` in SQLite, with its booleans and JSON as PostgreSQL holds them. */
function sqliteRows(file: string, table: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]).map((row) => {
      for (const column of BOOLEANS[table] ?? []) if (row[column] !== null) row[column] = row[column] === 1;
      for (const column of JSONS[table] ?? []) if (row[column] !== null) row[column] = JSON.parse(row[column] as string);
      return row;
    });
  } finally {
    db.close();
  }
}

describe('migrate-store: SQLite to PostgreSQL', () => {
  it('copies a server row for row; a server on the copy serves every client the same conversations, logs, settings and downloads, to the old passwords and tokens', async () => {
    const sqlite = await h.startServer();
    const scene = await playScene(h, sqlite);
    const people = NAMES.map((name) => scene.who[name]);
    const before = new Map<string, PersonView>();
    for (const person of people) before.set(person.user.id, await viewOf(h, sqlite, person.account.token, scene.uploadIds));
    await sqlite.close();

    const url = await emptyDatabase();
    await (await openPostgresServerStore(url)).close();
    const schema = await schemaOf(url);
    const lines: string[] = [];
    const summary = await migrate(sqlite.dataDir, url, (line) => lines.push(line));
    // The indexes and foreign keys it set aside while copying are back as they were.
    expect(await schemaOf(url)).toEqual(schema);
    const file = join(sqlite.dataDir, SERVER_DATABASE_FILE);
    let rows = 0;
    for (const table of COPIED_TABLES) {
      const copied = (await pgRows(url, `SELECT row_to_json(t) AS row FROM ${table} t`)).map((r) => fromRow(r.row));
      expect(copied.length, `the scene leaves rows in ${table}`).toBeGreaterThan(0);
      expect(canonical(copied), table).toEqual(canonical(sqliteRows(file, table)));
      rows += copied.length;
    }
    const some = (table: string, test: (row: Record<string, unknown>) => boolean) =>
      expect((sqliteRows(file, table) as Record<string, unknown>[]).some(test), table).toBe(true);
    some('events', (row) => row.hidden_from !== null);
    some('events', (row) => row.expires_in_ms !== null && row.all_read_at !== null);
    some('conversations', (row) => row.hidden_from !== null);
    some('member_periods', (row) => row.to_seq !== null);
    some('users', (row) => row.last_seen_at !== null);
    some('users', (row) => (row.sealed_settings as number) > 0 && (row.sealed_settings_bytes as number) > 0);
    expect(summary).toMatchObject({ tables: COPIED_TABLES.length, rows });
    for (const table of COPIED_TABLES) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${table}: \\d+ rows in`)));
    expect(lines.at(-1)).toMatch(/^Verified/);

    const store = await openStore(url);
    const postgres = await h.startServer({ dataDir: sqlite.dataDir, store });
    for (const person of people) {
      expect(await viewOf(h, postgres, person.account.token, scene.uploadIds), person.user.username).toEqual(
        before.get(person.user.id),
      );
      expect((await logIn(postgres.httpUrl, person.user.username, person.account.password)).status).toBe(200);
      expect((await logIn(postgres.httpUrl, person.user.username, 'not the password')).status).toBe(401);
    }
    // Every download was authorised as before: the sent file for its conversations' members, the
    // unsent one for its uploader's account alone (as a history export is fetched), nothing else.
    const [reportId, unsentId] = scene.uploadIds as [string, string];
    const status = (name: (typeof NAMES)[number], id: string) => before.get(scene.who[name].user.id)!.downloads[id]!.status;
    expect(NAMES.map((name) => status(name, reportId))).toEqual([200, 200, 404, 404, 404]);
    expect(NAMES.map((name) => status(name, unsentId))).toEqual([404, 200, 404, 404, 404]);
    // The counters go on from the copied ones.
    const alice = await h.connect(postgres, scene.who.alice.account.token);
    const lastSeq = before.get(scene.who.alice.user.id)!.conversations.find((c) => c.id === scene.aliceBob.id)!.lastSeq;
    expect(await alice.send(scene.aliceBob.id, 'after-move', 'on PostgreSQL now')).toMatchObject({ seq: lastSeq + 1 });
    // So do the device inbox's ids, past every one SQLite handed out, the acknowledged ones too.
    const [next] = await pgRows(url, `SELECT nextval(pg_get_serial_sequence('device_inbox', 'id')) AS id`);
    expect(Number(next!.id)).toBe(Number(scene.acknowledgedEnvelopeId) + 1);
  });

  it('refuses a database that already holds data, and changes nothing in it', async () => {
    const sqlite = await smallSqliteServer();
    const url = await emptyDatabase();
    const store = await openStore(url);
    await store.createUser({ id: 'u-zed', username: 'zed', displayName: 'Zed', passwordHash: 'x', createdAt: 1 });
    const reader = await openPostgresSnapshotReader(url);
    cleanups.push(() => reader.close());
    const before = await reader.snapshot();

    await expect(migrate(sqlite.dataDir, url)).rejects.toThrow(
      /127\.0\.0\.1:\d+\/test_\w+ already holds data .* Nothing was changed/,
    );
    expect(await reader.snapshot()).toEqual(before);
  });

  it('refuses a SQLite database at an older schema version, telling to start the SQLite server on it once', async () => {
    const dataDir = await h.tempDir();
    openDatabase(join(dataDir, SERVER_DATABASE_FILE), serverMigrations.slice(0, 3)).close();
    const url = await emptyDatabase();

    await expect(migrate(dataDir, url)).rejects.toThrow(
      `has schema version 3; migrate-store copies only the latest (${serverMigrations.length}). Start the SQLite server on it once (npm run server -- --data ${dataDir})`,
    );
    const reader = await openPostgresSnapshotReader(url);
    cleanups.push(() => reader.close());
    expect(await reader.snapshot()).toEqual({});
  });

  it('rolls everything back when a row cannot be copied: the database stays empty', async () => {
    const sqlite = await smallSqliteServer();
    const db = new Database(join(sqlite.dataDir, SERVER_DATABASE_FILE));
    db.prepare(
      `INSERT INTO settings (user_id, key, setting, at, by, version) SELECT id, 'broken', '[1,', 1, 'x', 1 FROM users`,
    ).run();
    db.close();
    const url = await emptyDatabase();

    await expect(migrate(sqlite.dataDir, url)).rejects.toThrow(
      /Copying settings failed, nothing was kept .*settings\.setting holds "\[1,"/,
    );
    expect(await (await openStore(url)).isEmpty()).toBe(true);
    for (const table of COPIED_TABLES) expect(await pgRows(url, `SELECT * FROM ${table}`), table).toEqual([]);
  });

  it('rolls back when a copied row points at nothing (a SQLite file written without its foreign keys)', async () => {
    const sqlite = await smallSqliteServer();
    const db = new Database(join(sqlite.dataDir, SERVER_DATABASE_FILE));
    db.pragma('foreign_keys = OFF');
    db.prepare(
      `INSERT INTO sessions (token_hash, id, user_id, device_number, created_at, last_used_at) VALUES ('h', 's-1', 'u-nobody', 1, 1, 1)`,
    ).run();
    db.close();
    const url = await emptyDatabase();

    await expect(migrate(sqlite.dataDir, url)).rejects.toThrow(
      /Building the indexes and foreign keys failed, nothing was kept \(rolled back\): .*"sessions_user_id_fkey" \(Key \(user_id\)=\(u-nobody\) is not present in table "users"\.\)/,
    );
    expect(await (await openStore(url)).isEmpty()).toBe(true);
  });

  it("rolls back and names the conversation when its copy's sequence numbers do not add up", async () => {
    const sqlite = await smallSqliteServer();
    const db = new Database(join(sqlite.dataDir, SERVER_DATABASE_FILE));
    // Behind its log: the next event would take a number one has. (Ahead is purge-plaintext's gaps.)
    const { id } = db.prepare(`UPDATE conversations SET last_seq = 0 RETURNING id`).get() as { id: string };
    db.close();
    const url = await emptyDatabase();

    await expect(migrate(sqlite.dataDir, url)).rejects.toThrow(
      `The copy does not match, nothing was kept (rolled back): conversation "${id}" has last_seq 0 but an event with seq 1`,
    );
    expect(await (await openStore(url)).isEmpty()).toBe(true);
  });

  it('refuses a database holding history kept in the clear, and copies it once purged, the gaps left as they are', async () => {
    const sqlite = await smallSqliteServer();
    const file = join(sqlite.dataDir, SERVER_DATABASE_FILE);
    const db = new Database(file);
    const { id } = db.prepare(`SELECT id FROM conversations`).get() as { id: string };
    db.prepare(
      `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at)
       SELECT id, 2, 'message', created_by, 'old', 'old', 'from before', 1 FROM conversations`,
    ).run();
    db.prepare(`UPDATE conversations SET last_seq = 3`).run();
    db.close();
    const url = await emptyDatabase();

    await expect(migrate(sqlite.dataDir, url)).rejects.toThrow(
      /holds 1 messages, edits, deletes, reactions, pins or renames kept in the clear .*purge-plaintext --data/,
    );
    const store = openSqliteServerStore(sqlite.dataDir);
    expect(await store.purgePlaintext()).toMatchObject({ events: 1 });
    await store.close();
    await migrate(sqlite.dataDir, url);
    expect(await pgRows(url, 'SELECT id, last_seq::int AS last_seq FROM conversations')).toEqual([{ id, last_seq: 3 }]);
    expect(await pgRows(url, 'SELECT seq::int AS seq, kind FROM events')).toEqual([{ seq: 1, kind: 'envelope' }]);
  });

  it("counts each account's sealed settings from the copied registers, whatever SQLite's totals said", async () => {
    const sqlite = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(sqlite);
    const draft = sealedSetting(`draft ${conversation.id}`, 'half a thought');
    const muted = sealedSetting(`muted ${conversation.id}`, 'true');
    await aliceSocket.call(
      { type: 'set_settings', settings: [draft, muted].map((setting) => ({ setting, at: 1, by: 'd' })) },
      'settings',
    );
    await bobSocket.call(
      { type: 'set_settings', settings: [{ setting: { kind: 'show_online', value: 'nobody' }, at: 1, by: 'd' }] },
      'settings',
    );
    await sqlite.close();
    const db = new Database(join(sqlite.dataDir, SERVER_DATABASE_FILE));
    // Totals that drifted from the registers (by hand, or a bug): the copy counts the registers.
    db.prepare(`UPDATE users SET sealed_settings = 7, sealed_settings_bytes = 12345`).run();
    db.close();
    const url = await emptyDatabase();

    await migrate(sqlite.dataDir, url);
    const size = (setting: typeof draft) => setting.key.length + setting.value.length;
    const totals = await pgRows(url, 'SELECT id, sealed_settings::int AS count, sealed_settings_bytes::int AS bytes FROM users');
    expect(canonical(totals)).toEqual(
      canonical([
        { id: alice.user.id, count: 2, bytes: size(draft) + size(muted) },
        { id: bob.user.id, count: 0, bytes: 0 },
      ]),
    );
  });

  it("leaves the copy with the query planner's statistics, as autovacuum would only later", async () => {
    const sqlite = await smallSqliteServer();
    const url = await emptyDatabase();
    await (await openPostgresServerStore(url)).close();
    const analysed = (tables: readonly string[]) =>
      pgRows(
        url,
        `SELECT c.relname AS table, c.reltuples::int AS estimated,
                (SELECT COUNT(*)::int FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = c.relname) AS columns
         FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN (${tables.map((t) => `'${t}'`).join(', ')})
         ORDER BY c.relname`,
      );
    // Never analysed: PostgreSQL does not know how many rows there are (-1) nor anything of their columns.
    expect(await analysed(['events', 'members', 'users'])).toEqual([
      { table: 'events', estimated: -1, columns: 0 },
      { table: 'members', estimated: -1, columns: 0 },
      { table: 'users', estimated: -1, columns: 0 },
    ]);

    const lines: string[] = [];
    await migrate(sqlite.dataDir, url, (line) => lines.push(line));
    const file = join(sqlite.dataDir, SERVER_DATABASE_FILE);
    const copied = COPIED_TABLES.filter((table) => sqliteRows(file, table).length > 0);
    expect(copied).toEqual(expect.arrayContaining(['events', 'members', 'users']));
    for (const row of await analysed(copied)) {
      expect(row.estimated, String(row.table)).toBe(sqliteRows(file, String(row.table)).length);
      expect(row.columns, String(row.table)).toBeGreaterThan(0);
    }
    expect(lines).toContainEqual(expect.stringMatching(/^Collected the query planner's statistics of \d+ tables in/));
  });

  it('moves a copied column that takes its values from a sequence past the copied values', async () => {
    const sqlite = await smallSqliteServer();
    const db = new Database(join(sqlite.dataDir, SERVER_DATABASE_FILE));
    db.exec(`ALTER TABLE users ADD COLUMN number INTEGER; UPDATE users SET number = rowid * 10`);
    const numbers = (db.prepare('SELECT number FROM users ORDER BY number').all() as { number: number }[]).map((r) => r.number);
    db.close();
    const url = await emptyDatabase();
    await (await openPostgresServerStore(url)).close();
    await pgRows(url, 'ALTER TABLE users ADD COLUMN number BIGINT GENERATED ALWAYS AS IDENTITY');

    await migrate(sqlite.dataDir, url);
    const copied = await pgRows(url, 'SELECT number::int AS number FROM users ORDER BY number');
    expect(copied.map((row) => row.number)).toEqual(numbers);
    const [next] = await pgRows(url, `SELECT nextval(pg_get_serial_sequence('users', 'number'))::int AS n`);
    expect(next!.n).toBe(Math.max(...numbers) + 1);
  });
});

describe('npm run server -- migrate-store', () => {
  it('copies and prints one summary line, exit 0', async () => {
    const sqlite = await smallSqliteServer();
    const url = await emptyDatabase();
    const child = spawn(
      join('node_modules', '.bin', 'tsx'),
      [join('sync', 'server', 'cli.ts'), 'migrate-store', '--from', sqlite.dataDir, '--to', url],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise((resolve) => child.on('close', resolve));

    expect(code, stderr).toBe(0);
    expect(stderr).toContain('events: 1 rows in');
    const where = `127.0.0.1:${new URL(url).port}${new URL(url).pathname}`;
    expect(stdout).toMatch(
      new RegExp(`^Copied ${COPIED_TABLES.length} tables, \\d+ rows from ${sqlite.dataDir} to ${where} in \\d+\\.\\d s\\n$`),
    );
    expect(await pgRows(url, 'SELECT COUNT(*)::int AS n FROM users')).toEqual([{ n: 2 }]);
  });

  it('exits 1 with one clear message for bad flags, a missing SQLite file, an unreachable or non-empty database, never showing the password', async () => {
    const sqlite = await smallSqliteServer();
    const url = await emptyDatabase();
    await migrate(sqlite.dataDir, url);
    const where = `127.0.0.1:${new URL(url).port}${new URL(url).pathname}`;
    const noSqlite = await h.tempDir();
    const unreachable = 'postgres://messenger:s3cret-Pa55@127.0.0.1:1/messenger';
    const cases: Array<[string[], RegExp]> = [
      [['--from', sqlite.dataDir, '--to', url], new RegExp(`^The PostgreSQL database ${where} already holds data`)],
      [['--to', url], /^Missing --from <dir>/],
      [['--from', sqlite.dataDir], /^Missing --to postgres:\/\//],
      [['--from', sqlite.dataDir, '--to', 'mysql://x@y/z'], /^--to must be a postgres:\/\/ URL, got a mysql: URL/],
      [['--from', sqlite.dataDir, '--to', url, 'extra'], /Unexpected argument 'extra'/],
      [['--from', noSqlite, '--to', url], new RegExp(`^No SQLite server database at ${join(noSqlite, SERVER_DATABASE_FILE)}`)],
      [
        ['--from', sqlite.dataDir, '--to', unreachable],
        /^Cannot open the PostgreSQL database 127\.0\.0\.1:1\/messenger: .*ECONNREFUSED/,
      ],
    ];
    const printed: string[] = [];
    const spies = [vi.spyOn(console, 'error'), vi.spyOn(console, 'log')];
    for (const spy of spies) spy.mockImplementation((line: string) => void printed.push(line));
    try {
      for (const [args, message] of cases) {
        printed.length = 0;
        expect(await runMigrateStore(args), args.join(' ')).toBe(1);
        expect(printed, args.join(' ')).toEqual([expect.stringMatching(message)]);
        expect(printed[0]).not.toContain('s3cret-Pa55');
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
