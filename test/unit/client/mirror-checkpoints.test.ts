/**
 * The mirror's WAL checkpoints off the thread that sends and receives: a worker folds the WAL
 * into the (encrypted) file by itself, holds off while a catch-up runs, and takes over again after
 * it, with no commit needed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { addMeAndAnn } from '../../support/test-mirror.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-checkpoints-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'mirror.sqlite');
}

/** A message of about 3 KB: a hundred of them fill about a hundred pages. */
const long = (seq: number) => ({
  kind: 'message' as const,
  conversationId: 'c1',
  seq,
  senderId: 'ann',
  clientMessageId: `m${seq}`,
  text: `${seq} ${'x'.repeat(3_000)}`,
  sentAt: 2000 + seq,
  replyTo: null,
  deleted: false,
  attachments: [],
});

it('a catch-up leaves the WAL to grow; after it the worker folds the WAL into the encrypted file with no commit, and live commits leave it to the worker', async () => {
  const path = tempFile();
  const key = randomBytes(32);
  const mirror = Mirror.open(path, { key });
  const errors: Error[] = [];
  mirror.checkpointInBackground((error) => errors.push(error));
  cleanups.push(async () => {
    await mirror.stopBackgroundCheckpoints();
    mirror.close();
  });
  addMeAndAnn(mirror);

  mirror.deferCheckpoints(true);
  // About 6 MiB in pages of 100 messages: well past the 1,000 pages (4 MiB) a commit checkpoints at by default.
  for (let page = 0; page < 20; page += 1) {
    mirror.applyEvents(
      'c1',
      Array.from({ length: 100 }, (_, i) => long(page * 100 + i + 1)),
      'me',
    );
  }
  expect(statSync(path).size).toBeLessThan(1024 * 1024);

  // Nothing is written after the catch-up, yet the file takes the WAL in: the worker did it.
  mirror.deferCheckpoints(false);
  await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(6 * 1024 * 1024), { timeout: 5_000 });

  // Live messages, one commit each, past another 1,000 pages: the worker keeps folding them in.
  const before = statSync(path).size;
  for (let seq = 2_001; seq <= 3_200; seq += 1) mirror.applyEvents('c1', [long(seq)], 'me');
  await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 3 * 1024 * 1024), { timeout: 5_000 });
  expect(errors).toEqual([]);

  await mirror.stopBackgroundCheckpoints();
  mirror.close();
  // Everything is there, read back with the key.
  const reopened = Mirror.open(path, { key });
  expect(reopened.cursor('c1')?.appliedSeq).toBe(3_200);
  reopened.close();
});
