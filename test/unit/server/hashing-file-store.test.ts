import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { HashingFileStore } from '../../../sync/server/attachments/hashing-file-store.js';

const dirs: string[] = [];
// tus's FileStore creates its folder asynchronously after construction (a callback that throws on
// failure): the folders are removed only once every test is done and those calls have returned.
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store over a fresh folder with an empty file for upload `id`, as tus's creation leaves it. */
function storeWithFile(id: string): HashingFileStore {
  const directory = mkdtempSync(join(tmpdir(), 'hashing-store-'));
  dirs.push(directory);
  writeFileSync(join(directory, id), '');
  return new HashingFileStore({ directory });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ID = 'a'.repeat(32);
const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));

describe('HashingFileStore', () => {
  it('knows the SHA-256 of bytes written in one unbroken run of writes, without reading the file', async () => {
    const store = storeWithFile(ID);
    expect(await store.write(Readable.from([bytes.subarray(0, 1000)]), ID, 0)).toBe(1000);
    expect(await store.write(Readable.from([bytes.subarray(1000, 2000), bytes.subarray(2000)]), ID, 1000)).toBe(3000);
    expect(store.takeDigest(ID, 3000)).toBe(sha256(bytes));
    // Taken once: asking again means reading the file.
    expect(store.takeDigest(ID, 3000)).toBeNull();
  });

  it('stores a file several disk writes long, sent in socket-sized pieces over requests that end inside a write', async () => {
    const store = storeWithFile(ID);
    const MiB = 1024 * 1024;
    const large = Buffer.from(Array.from({ length: 2.5 * MiB + 123 }, (_, i) => (i * 7) % 253));
    const piecesOf = (part: Buffer) =>
      Array.from({ length: Math.ceil(part.length / 65536) }, (_, i) => part.subarray(i * 65536, (i + 1) * 65536));
    const cutAt = MiB + 300_000;
    expect(await store.write(Readable.from(piecesOf(large.subarray(0, cutAt))), ID, 0)).toBe(cutAt);
    expect(await store.write(Readable.from(piecesOf(large.subarray(cutAt))), ID, cutAt)).toBe(large.length);
    expect(readFileSync(join(store.directory, ID)).equals(large)).toBe(true);
    expect(store.takeDigest(ID, large.length)).toBe(sha256(large));
  });

  it('gives up the running hash when a write does not continue where it stopped, or the size differs', async () => {
    const gap = storeWithFile(ID);
    await gap.write(Readable.from([bytes.subarray(0, 1000)]), ID, 0);
    await gap.write(Readable.from([bytes.subarray(1500)]), ID, 1500);
    expect(gap.takeDigest(ID, 3000)).toBeNull();

    const short = storeWithFile(ID);
    await short.write(Readable.from([bytes.subarray(0, 1000)]), ID, 0);
    expect(short.takeDigest(ID, 3000)).toBeNull();
  });

  it('knows nothing of writes made before it started (a restarted server reads the file)', async () => {
    const before = storeWithFile(ID);
    await before.write(Readable.from([bytes.subarray(0, 1000)]), ID, 0);
    const after = new HashingFileStore({ directory: before.directory });
    await after.write(Readable.from([bytes.subarray(1000)]), ID, 1000);
    expect(after.takeDigest(ID, 3000)).toBeNull();
  });

  it('drops the running hash when the incoming stream fails mid-write', async () => {
    const store = storeWithFile(ID);
    const failing = new Readable({
      read() {
        this.push(bytes.subarray(0, 500));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store.write(failing, ID, 0)).rejects.toBeTruthy();
    expect(store.takeDigest(ID, 500)).toBeNull();
  });
});
