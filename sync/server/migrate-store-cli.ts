/**
 * npm run server -- migrate-store --from <sqlite data dir> --to postgres://user:password@host:5432/db
 * Copies a stopped SQLite server into an empty PostgreSQL database and verifies the copy
 * (store/migrate-store.ts). Progress goes to stderr; one summary line to stdout. Exits 0 once the
 * copy is committed, 1 with one clear message otherwise (the database then holds nothing of it).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { migrateSqliteToPostgres } from './store/migrate-store.js';
import { describePostgresUrl } from './store/postgres-url.js';

const USAGE = 'Usage: npm run server -- migrate-store --from <sqlite data dir> --to postgres://user:password@host:5432/db';

/** Runs the command with the arguments after `migrate-store`; resolves with the exit code. */
export async function runMigrateStore(args: string[]): Promise<number> {
  let options: { fromDataDir: string; toUrl: string };
  try {
    options = readOptions(args);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 1;
  }
  try {
    const summary = await migrateSqliteToPostgres({ ...options, log: (line) => console.error(line) });
    console.log(
      `Copied ${summary.tables} tables, ${summary.rows} rows from ${options.fromDataDir} to ` +
        `${describePostgresUrl(options.toUrl)} in ${summary.seconds.toFixed(1)} s`,
    );
    return 0;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
}

function readOptions(args: string[]): { fromDataDir: string; toUrl: string } {
  const { values } = parseArgs({
    args,
    options: { from: { type: 'string' }, to: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (!values.from) throw new Error("Missing --from <dir>: the SQLite server's data folder (the one holding server.sqlite).");
  if (!values.to) throw new Error('Missing --to postgres://…: the empty PostgreSQL database to copy into.');
  let url: URL;
  try {
    url = new URL(values.to);
  } catch {
    throw new Error('--to must be a postgres:// URL, got something else');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new Error(`--to must be a postgres:// URL, got a ${url.protocol} URL`);
  return { fromDataDir: resolve(values.from), toUrl: values.to };
}
