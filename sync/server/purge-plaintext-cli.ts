/**
 * npm run server -- purge-plaintext (--data <dir> | --store postgres://user:password@host:5432/db)
 * Deletes what a server upgraded from before end-to-end encryption holds in the clear (plaintext.ts):
 * the messages, edits, deletes, reactions, pins and renames of conversations' logs, group names and
 * personal settings, which it no longer serves and while which it will not start; all of it in one
 * transaction. Run with every node stopped. One summary line to stdout; exits 0 once it is deleted
 * (or there was none), 1 with one clear message.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describePlaintextHeld } from './plaintext.js';
import type { ServerStore } from './store/server-store.js';
import { openPostgresServerStore } from './store/pg-server-store.js';
import { describePostgresUrl } from './store/postgres-url.js';
import { openSqliteServerStore, SERVER_DATABASE_FILE } from './store/sqlite-server-store.js';

const USAGE = 'Usage: npm run server -- purge-plaintext (--data <dir> | --store postgres://user:password@host:5432/db)';

/** Runs the command with the arguments after `purge-plaintext`; resolves with the exit code. */
export async function runPurgePlaintext(args: string[]): Promise<number> {
  let target: { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };
  try {
    target = readOptions(args);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 1;
  }
  let store: ServerStore | null = null;
  try {
    store = target.kind === 'sqlite' ? openSqliteServerStore(target.dataDir) : await openPostgresServerStore(target.url);
    const purged = await store.purgePlaintext();
    const where = target.kind === 'sqlite' ? target.dataDir : describePostgresUrl(target.url);
    console.log(`Deleted ${describePlaintextHeld(purged)} kept in the clear from ${where}.`);
    return 0;
  } catch (error) {
    console.error(`Nothing was deleted: ${(error as Error).message}`);
    return 1;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

function readOptions(args: string[]): { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string } {
  const { values } = parseArgs({
    args,
    options: { data: { type: 'string' }, store: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.store && values.store !== 'sqlite') {
    let url: URL;
    try {
      url = new URL(values.store);
    } catch {
      throw new Error('--store must be "sqlite" or a postgres:// URL, got something else');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
      throw new Error(`--store must be "sqlite" or a postgres:// URL, got a ${url.protocol} URL`);
    return { kind: 'postgres', url: values.store };
  }
  if (!values.data) throw new Error("Missing --data <dir>: the server's data folder (the one holding server.sqlite).");
  const dataDir = resolve(values.data);
  // Opening would make an empty database there: a mistyped folder is an error, not a new server.
  if (!existsSync(join(dataDir, SERVER_DATABASE_FILE))) throw new Error(`No server database in ${dataDir}.`);
  return { kind: 'sqlite', dataDir };
}
