import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3-multiple-ciphers';
import type pg from 'pg';
import { DatabaseFromTheFutureError, schemaVersion, type Db } from '../../node/sqlite.js';
import { deferIndexesAndForeignKeys } from './migrate-store-indexes.js';
import { COPIED_TABLES, copyTable, planTables, type TablePlan } from './migrate-store-tables.js';
import { transactionOn } from './pg-connections.js';
import { openPostgresServerStore, type PostgresServerStore } from './pg-server-store.js';
import { escapeText } from './pg-text.js';
import { describePostgresUrl } from './postgres-url.js';
import { serverMigrations } from './sqlite-migrations.js';
import { describePlaintextHeld, holdsPlaintext } from '../plaintext.js';
import { plaintextHeldIn, SERVER_DATABASE_FILE } from './sqlite-server-store.js';

/**
 * migrate-store: copies a SQLite server's database into an empty PostgreSQL database, row for row,
 * in one PostgreSQL transaction, and checks the copy before it commits. Whatever goes wrong, the
 * transaction rolls back and the database is as empty as it was found.
 */

export interface MigrateStoreOptions {
  /** The SQLite server's data folder (its --data): holds server.sqlite. */
  fromDataDir: string;
  /** The PostgreSQL database to copy into: migrated to the latest schema here, and empty. */
  toUrl: string;
  /** Progress, one line at a time. */
  log: (line: string) => void;
}

export interface MigrateStoreSummary {
  tables: number;
  rows: number;
  seconds: number;
}

/** Why migrate-store would not (or could not) copy; nothing was kept in PostgreSQL. The message says what to do. */
export class MigrateStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrateStoreError';
  }
}

export async function migrateSqliteToPostgres(options: MigrateStoreOptions): Promise<MigrateStoreSummary> {
  const started = performance.now();
  const source = openSource(options.fromDataDir);
  try {
    const store = await openTarget(options.toUrl);
    try {
      const client = await store.pool.connect();
      try {
        const rows = await transactionOn(client, () => copyAndVerify(source, client, store, options));
        return { tables: COPIED_TABLES.length, rows, seconds: (performance.now() - started) / 1000 };
      } finally {
        client.release();
      }
    } finally {
      await store.close();
    }
  } finally {
    source.close();
  }
}

/**
 * The SQLite database, read-only, in one read transaction held until it is closed: every table is
 * read as of one moment even should a server still be writing. Only a database at the latest
 * schema: migrating it is the SQLite server's job, and its migrations need a writable file.
 */
function openSource(dataDir: string): Db {
  const file = join(dataDir, SERVER_DATABASE_FILE);
  if (!existsSync(file)) {
    throw new MigrateStoreError(
      `No SQLite server database at ${file}: --from must be a SQLite server's data folder (its --data)`,
    );
  }
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    let version: number;
    try {
      version = schemaVersion(db);
    } catch (error) {
      throw new MigrateStoreError(`${file} is not a SQLite database: ${(error as Error).message}`, { cause: error });
    }
    const latest = serverMigrations.length;
    if (version > latest) throw new MigrateStoreError(new DatabaseFromTheFutureError(file, version, latest).message);
    if (version < latest) {
      throw new MigrateStoreError(
        `${file} has schema version ${version}; migrate-store copies only the latest (${latest}). ` +
          `Start the SQLite server on it once (npm run server -- --data ${dataDir}) so it migrates the file, stop it, then run migrate-store again.`,
      );
    }
    const held = plaintextHeldIn(db);
    if (holdsPlaintext(held)) {
      throw new MigrateStoreError(
        `${file} holds ${describePlaintextHeld(held)} kept in the clear from before end-to-end encryption, which no ` +
          `server serves or copies: run "npm run server -- purge-plaintext --data ${dataDir}", then migrate-store again.`,
      );
    }
    db.exec('BEGIN');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

async function openTarget(url: string): Promise<PostgresServerStore> {
  try {
    return await openPostgresServerStore(url);
  } catch (error) {
    throw new MigrateStoreError(`Cannot open the PostgreSQL database ${describePostgresUrl(url)}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/**
 * What went wrong, in words: PostgreSQL's message with its detail (which row broke a key), and for
 * a refused connection, which comes as an AggregateError with no message of its own, each address's.
 */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(reasonOf).join('; ');
  const { message, code, detail } = error as { message?: string; code?: string; detail?: string };
  const reason = message || code || String(error);
  return detail ? `${reason} (${detail})` : reason;
}

async function copyAndVerify(
  source: Db,
  client: pg.ClientBase,
  store: PostgresServerStore,
  options: MigrateStoreOptions,
): Promise<number> {
  const target = describePostgresUrl(options.toUrl);
  // Holds off writers (a node started too early, a second migrate-store) until this commits, so
  // the database is still empty when it does. Readers are not blocked: isEmpty() reads on another connection.
  await client.query('LOCK TABLE users, conversations, uploads IN SHARE ROW EXCLUSIVE MODE');
  if (!(await store.isEmpty())) {
    throw new MigrateStoreError(
      `The PostgreSQL database ${target} already holds data (users, conversations or uploads); ` +
        'migrate-store copies only into an empty database. Nothing was changed.',
    );
  }
  const plan = await planTables(source, client);
  const sourceCounts = new Map(plan.map((table) => [table.name, countRows(source, table.name)]));
  const total = [...sourceCounts.values()].reduce((sum, count) => sum + count, 0);
  options.log(`Copying ${total} rows of ${plan.length} tables into ${target}`);
  const deferred = await deferIndexesAndForeignKeys(client, COPIED_TABLES);
  let copied = 0;
  for (const table of plan) {
    const tableStarted = performance.now();
    try {
      copied += await copyTable(source, client, table, sourceCounts.get(table.name)!, options.log);
    } catch (error) {
      throw new MigrateStoreError(`Copying ${table.name} failed, nothing was kept (rolled back): ${reasonOf(error)}`, {
        cause: error,
      });
    }
    options.log(`${table.name}: ${sourceCounts.get(table.name)} rows in ${seconds(tableStarted)} s`);
  }
  await recountMembers(client);
  await recountSealedSettings(client);
  await restoreDevicesVersions(source, client);
  const rebuildStarted = performance.now();
  try {
    const rebuilt = await deferred.restore();
    options.log(
      `Built ${rebuilt.indexes} indexes and checked ${rebuilt.foreignKeys} foreign keys in ${seconds(rebuildStarted)} s`,
    );
  } catch (error) {
    throw new MigrateStoreError(
      `Building the indexes and foreign keys failed, nothing was kept (rolled back): ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
  // A bulk copy leaves the planner without statistics until autovacuum's first ANALYZE, and without
  // them it guesses and scans whole tables: one person's contacts took 2.7 ms instead of 0.09 ms among
  // 3,000 people. Collected here, they commit with the rows.
  const analyseStarted = performance.now();
  await client.query(`ANALYZE ${plan.map((table) => client.escapeIdentifier(table.name)).join(', ')}`);
  options.log(`Collected the query planner's statistics of ${plan.length} tables in ${seconds(analyseStarted)} s`);
  const problems = [...(await compareCounts(client, plan, sourceCounts)), ...(await compareConversations(source, client))];
  if (problems.length > 0) {
    throw new MigrateStoreError(`The copy does not match, nothing was kept (rolled back): ${problems.slice(0, 10).join('; ')}`);
  }
  options.log(`Verified: row counts of ${plan.length} tables, last_seq and events of every conversation`);
  await moveSequencesPast(source, client);
  return copied;
}

/**
 * conversations.member_count as the copied members rows make it: the copy brings SQLite's counts,
 * and PostgreSQL's triggers on members (pg-migrations.ts, version 7) add each copied row again.
 */
async function recountMembers(client: pg.ClientBase): Promise<void> {
  await client.query(
    `UPDATE conversations c SET member_count = COALESCE(n.count, 0)
     FROM conversations x LEFT JOIN (SELECT conversation_id, COUNT(*) AS count FROM members GROUP BY conversation_id) n
       ON n.conversation_id = x.id
     WHERE c.id = x.id`,
  );
}

/**
 * users.sealed_settings and sealed_settings_bytes as the copied registers make them (what
 * settings-rules.ts: sealedSize counts), not as SQLite's running totals had them: the budget is
 * checked against these from the first write on PostgreSQL, so they start from the registers themselves.
 */
async function recountSealedSettings(client: pg.ClientBase): Promise<void> {
  await client.query(
    `UPDATE users u SET sealed_settings = COALESCE(t.count, 0), sealed_settings_bytes = COALESCE(t.bytes, 0)
     FROM users x LEFT JOIN (
       SELECT user_id, COUNT(*) AS count, SUM(length(setting->>'key') + length(setting->>'value')) AS bytes
       FROM settings WHERE setting->>'kind' = 'sealed' GROUP BY user_id) t ON t.user_id = x.id
     WHERE u.id = x.id`,
  );
}

/**
 * conversations.devices_version as in SQLite: the triggers on members and device_keys
 * (pg-migrations.ts, version 12) raised it for each copied row, and a version clients hold must
 * stay the current one when the devices did not change.
 */
async function restoreDevicesVersions(source: Db, client: pg.ClientBase): Promise<void> {
  const rows = source.prepare('SELECT id, devices_version FROM conversations').all() as Array<{
    id: string;
    devices_version: number;
  }>;
  await client.query(
    `UPDATE conversations c SET devices_version = v.version
     FROM unnest($1::text[], $2::bigint[]) AS v(id, version) WHERE c.id = v.id`,
    [rows.map((row) => row.id), rows.map((row) => row.devices_version)],
  );
}

function countRows(source: Db, table: string): number {
  return (source.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
}

async function compareCounts(client: pg.ClientBase, plan: TablePlan[], sourceCounts: Map<string, number>): Promise<string[]> {
  const problems: string[] = [];
  for (const table of plan) {
    const { rows } = await client.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${client.escapeIdentifier(table.name)}`);
    const copied = rows[0]!.n;
    const expected = sourceCounts.get(table.name)!;
    if (copied !== expected) problems.push(`${table.name} has ${expected} rows in SQLite but ${copied} in PostgreSQL`);
  }
  return problems;
}

interface ConversationLog {
  id: string;
  last_seq: number;
  events: number;
  max_seq: number;
}

/** Each conversation's counter, its number of events and its last event's seq: the same SQL in both databases. */
const CONVERSATION_LOGS = `
  SELECT c.id, c.last_seq,
         (SELECT COUNT(*) FROM events e WHERE e.conversation_id = c.id) AS events,
         (SELECT COALESCE(MAX(e.seq), 0) FROM events e WHERE e.conversation_id = c.id) AS max_seq
  FROM conversations c`;

/**
 * Per conversation: the same last_seq and number of events as in SQLite, and no event past
 * last_seq (a store hands the next number out of last_seq: were it behind the log, the next send
 * would collide). The last event may lie before it: purge-plaintext leaves gaps where it deleted,
 * the end of the log too, and clients skip them (cutPage).
 */
async function compareConversations(source: Db, client: pg.ClientBase): Promise<string[]> {
  const expected = new Map(
    (source.prepare(CONVERSATION_LOGS).all() as ConversationLog[]).map((log) => [escapeText(log.id), log]),
  );
  const { rows } = await client.query<ConversationLog>(CONVERSATION_LOGS);
  const problems: string[] = [];
  for (const copied of rows) {
    const original = expected.get(copied.id);
    const name = `conversation ${JSON.stringify(original?.id ?? copied.id)}`;
    if (!original) problems.push(`${name} is not in SQLite`);
    else if (copied.last_seq !== original.last_seq || copied.events !== original.events) {
      problems.push(
        `${name} has last_seq ${original.last_seq} and ${original.events} events in SQLite but ` +
          `last_seq ${copied.last_seq} and ${copied.events} events in PostgreSQL`,
      );
    } else if (copied.max_seq > copied.last_seq) {
      problems.push(`${name} has last_seq ${copied.last_seq} but an event with seq ${copied.max_seq}`);
    }
    expected.delete(copied.id);
  }
  for (const missing of expected.values()) problems.push(`conversation ${JSON.stringify(missing.id)} is missing in PostgreSQL`);
  return problems;
}

/**
 * A copied column that takes its default from a sequence (serial or identity) would otherwise
 * hand out values the copy already holds (device_inbox.id), or that SQLite handed out before and
 * remembers in sqlite_sequence (AUTOINCREMENT) though their rows went: a device may still know an
 * envelope's id it acknowledged.
 */
async function moveSequencesPast(source: Db, client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ table_name: string; column_name: string; sequence: string }>(
    `SELECT table_name, column_name, sequence FROM (
       SELECT table_name::text, column_name::text,
              pg_get_serial_sequence(quote_ident(table_name::text), column_name::text) AS sequence
       FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name::text = ANY($1::text[])) AS columns
     WHERE sequence IS NOT NULL`,
    [COPIED_TABLES],
  );
  for (const { table_name: table, column_name: column, sequence } of rows) {
    await client.query(
      `SELECT setval($1, GREATEST(COALESCE(MAX(${client.escapeIdentifier(column)}), 0), $2) + 1, false)
       FROM ${client.escapeIdentifier(table)}`,
      [sequence, highestHandedOut(source, table)],
    );
  }
}

/** The highest id SQLite's AUTOINCREMENT handed out in `table`; 0 when it keeps none. */
function highestHandedOut(source: Db, table: string): number {
  const kept = source.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'`).get();
  if (kept === undefined) return 0;
  return (source.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) as number | undefined) ?? 0;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
