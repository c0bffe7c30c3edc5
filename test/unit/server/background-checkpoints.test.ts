import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from '../../../sync/node/background-checkpoints.js';
import { openDatabase, type Db } from '../../../sync/node/sqlite.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoints-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'data.sqlite');
}

function openBlobs(path: string): Db {
  const db = openDatabase(path, [
    { version: 1, description: 'blobs', up: (migrating) => migrating.exec('CREATE TABLE blobs (data BLOB NOT NULL)') },
  ]);
  cleanups.push(() => {
    if (db.open) db.close();
  });
  return db;
}

function started(db: Db, onError: (error: Error) => void = () => undefined): BackgroundCheckpoints {
  const checkpoints = startBackgroundCheckpoints(db, { intervalMs: 10, onError });
  cleanups.push(() => checkpoints.close());
  return checkpoints;
}

/** About `pages` pages of 4 KiB into the WAL, one transaction of 100 rows at a time. */
function write(db: Db, pages: number): void {
  const insert = db.prepare('INSERT INTO blobs (data) VALUES (?)');
  for (let done = 0; done < pages; done += 100) {
    db.transaction(() => {
      for (let i = 0; i < 100; i += 1) insert.run(Buffer.alloc(3_500, i));
    })();
  }
}

it('the writer stops checkpointing once the worker runs, and the worker copies the WAL into the file', async () => {
  const path = tempPath();
  const db = openBlobs(path);
  started(db);
  await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0));
  const fileBefore = statSync(path).size;

  write(db, 3_000);
  // The writer no longer checkpoints, so only the worker can have put those pages in the file.
  await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(fileBefore + 10 * 1024 * 1024), { timeout: 5_000 });
  await vi.waitFor(() => {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    expect(result!.checkpointed).toBe(result!.log);
  });
  expect(db.prepare('SELECT COUNT(*) FROM blobs').pluck().get()).toBe(3_000);
});

it('a worker that cannot work hands the checkpoints back to the writer and says why', async () => {
  const path = tempPath();
  const db = openBlobs(path);
  db.pragma('wal_autocheckpoint = 0');
  // The writer keeps its open file; the worker finds nothing under the name.
  renameSync(path, `${path}.moved`);
  const errors: Error[] = [];
  started(db, (error) => errors.push(error));
  await vi.waitFor(() => expect(errors).toHaveLength(1));
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
});

it("close() ends the worker's connection, so the writer's own close is the last and folds the WAL into the file", async () => {
  const path = tempPath();
  const db = openBlobs(path);
  const checkpoints = started(db);
  await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0));
  write(db, 100);
  await checkpoints.close();
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  db.close();
  // Only the last connection to close removes the WAL.
  expect(existsSync(`${path}-wal`)).toBe(false);
});

it('paused, the worker leaves the WAL to the writer at the page count given; resumed, it checkpoints again', async () => {
  const path = tempPath();
  const db = openBlobs(path);
  const checkpoints = started(db);
  await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0));
  const paused = checkpoints.pause(20_000);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(20_000);
  // A checkpoint the worker began before it read the message may still grow the file.
  await paused;
  const fileBefore = statSync(path).size;
  write(db, 3_000);
  // A hundred of the worker's intervals: it would have copied the WAL several times over.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(statSync(path).size).toBe(fileBefore);

  const resumed = checkpoints.pause(null);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  await resumed;
  await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(fileBefore + 10 * 1024 * 1024), { timeout: 5_000 });
});

it('checkpoints an encrypted database with its key', async () => {
  const path = tempPath();
  const key = randomBytes(32);
  const db = openDatabase(
    path,
    [{ version: 1, description: 'blobs', up: (migrating) => migrating.exec('CREATE TABLE blobs (data BLOB NOT NULL)') }],
    { key },
  );
  cleanups.push(() => {
    if (db.open) db.close();
  });
  const errors: Error[] = [];
  const checkpoints = startBackgroundCheckpoints(db, { intervalMs: 10, key, onError: (error) => errors.push(error) });
  cleanups.push(() => checkpoints.close());
  await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0));
  const fileBefore = statSync(path).size;
  write(db, 3_000);
  await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(fileBefore + 10 * 1024 * 1024), { timeout: 5_000 });
  expect(errors).toEqual([]);
});
