/** Attachment files encrypted at rest: the sealed format, the store over it, and the keys in the mirror. */
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore, BlobStoreError } from '../../../sync/client/attachments/blob-store.js';
import {
  HEADER_BYTES,
  PLAIN_CHUNK_BYTES,
  SEALED_CHUNK_BYTES,
  SealingStream,
  sealedSizeOf,
} from '../../../sync/client/attachments/sealed-file.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import { sha256Of } from '../../support/attachments-files.js';
import { memoryFileKeys } from '../../support/file-keys.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-store-'));
  dirs.push(dir);
  return dir;
}

const MARKER = Buffer.from('KNOWN-PLAINTEXT-MARKER');

/** About 3.5 chunks of random bytes with the marker in every chunk, so any plaintext chunk on disk shows. */
function contentWithMarkers(size = 3 * PLAIN_CHUNK_BYTES + 5000): Buffer {
  const bytes = randomBytes(size);
  for (let at = 100; at + MARKER.length < size; at += PLAIN_CHUNK_BYTES) MARKER.copy(bytes, at);
  return bytes;
}

async function contents(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function refusal(promise: Promise<unknown>): Promise<BlobStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BlobStoreError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function storeWithKeys() {
  const keys = memoryFileKeys();
  return { blobs: new BlobStore(tempDir(), keys), keys };
}

describe('sealed attachment files', () => {
  it('keeps no plaintext on disk, and reads back whole and in ranges across chunk boundaries', async () => {
    const { blobs, keys } = storeWithKeys();
    const bytes = contentWithMarkers();
    const stored = await blobs.put(Readable.from([bytes.subarray(0, 70_000), bytes.subarray(70_000)]), 10_000_000);
    expect(stored.sha256).toBe(sha256Of(bytes));

    const onDisk = readFileSync(blobs.pathOf(stored.sha256));
    expect(onDisk.includes(MARKER)).toBe(false);
    expect(onDisk.length).toBe(sealedSizeOf(bytes.length));
    expect(keys.keys.size).toBe(1);
    for (const name of readdirSync(blobs.dir, { recursive: true, encoding: 'utf8' })) {
      const path = join(blobs.dir, name);
      if (statSync(path).isFile()) expect(readFileSync(path).includes(MARKER)).toBe(false);
    }

    expect(await blobs.sizeOf(stored.sha256)).toBe(bytes.length);
    expect(await contents(blobs.read(stored.sha256))).toEqual(bytes);
    for (const [start, end] of [
      [0, 0],
      [PLAIN_CHUNK_BYTES - 10, PLAIN_CHUNK_BYTES + 10],
      [PLAIN_CHUNK_BYTES, 2 * PLAIN_CHUNK_BYTES - 1],
      [5, bytes.length - 1],
      [bytes.length - 3, bytes.length - 1],
    ] as const) {
      expect(await contents(blobs.read(stored.sha256, { start, end }))).toEqual(bytes.subarray(start, end + 1));
    }
  });

  it('a file of exactly whole chunks, and the same bytes put twice, read back right (one file, one key)', async () => {
    const { blobs, keys } = storeWithKeys();
    const bytes = randomBytes(2 * PLAIN_CHUNK_BYTES);
    const first = await blobs.put(Readable.from([bytes]), 10_000_000);
    await blobs.put(Readable.from([bytes]), 10_000_000);
    expect(keys.keys.size).toBe(1);
    expect(await contents(blobs.read(first.sha256))).toEqual(bytes);
  });

  it('refuses an altered, cut, or keyless file with a clear error, never other bytes', async () => {
    const bytes = contentWithMarkers();
    const damaged = async (damage: (path: string, keys: ReturnType<typeof memoryFileKeys>) => void) => {
      const { blobs, keys } = storeWithKeys();
      const { sha256 } = await blobs.put(Readable.from([bytes]), 10_000_000);
      damage(blobs.pathOf(sha256), keys);
      return refusal(contents(blobs.read(sha256)));
    };
    const flipped = await damaged((path) => {
      const file = readFileSync(path);
      file.writeUInt8(file.readUInt8(HEADER_BYTES + SEALED_CHUNK_BYTES + 77) ^ 0x01, HEADER_BYTES + SEALED_CHUNK_BYTES + 77);
      writeFileSync(path, file);
    });
    expect(flipped.code).toBe('file_unreadable');
    expect(flipped.message).toMatch(/damaged or was altered/);
    // Cut after a whole chunk: the chunk now last was not sealed as the last one.
    const cut = await damaged((path) => truncateSync(path, HEADER_BYTES + 2 * SEALED_CHUNK_BYTES));
    expect(cut.code).toBe('file_unreadable');
    const swapped = await damaged((path) => {
      const file = readFileSync(path);
      const first = Buffer.from(file.subarray(HEADER_BYTES, HEADER_BYTES + SEALED_CHUNK_BYTES));
      file.copy(file, HEADER_BYTES, HEADER_BYTES + SEALED_CHUNK_BYTES, HEADER_BYTES + 2 * SEALED_CHUNK_BYTES);
      first.copy(file, HEADER_BYTES + SEALED_CHUNK_BYTES);
      writeFileSync(path, file);
    });
    expect(swapped.code).toBe('file_unreadable');
    const keyless = await damaged((_path, keys) => keys.keys.clear());
    expect(keyless.message).toMatch(/key of this stored file is not in the mirror/);
  });

  it('reads a plain file from before encryption as it is', async () => {
    const { blobs } = storeWithKeys();
    const bytes = Buffer.from('an old attachment, stored before files were encrypted');
    writeFileSync(blobs.pathOf(sha256Of(bytes)), bytes);
    expect(await blobs.sizeOf(sha256Of(bytes))).toBe(bytes.length);
    expect(await contents(blobs.read(sha256Of(bytes)))).toEqual(bytes);
    expect(await contents(blobs.read(sha256Of(bytes), { start: 4, end: 6 }))).toEqual(bytes.subarray(4, 7));
    // Attached again: replaced by a sealed copy.
    await blobs.put(Readable.from([bytes]), 1000);
    expect(readFileSync(blobs.pathOf(sha256Of(bytes))).includes(bytes)).toBe(false);
    expect(await contents(blobs.read(sha256Of(bytes)))).toEqual(bytes);
  });

  it('a partial download has its key before its first byte, and resumes after its last whole chunk', async () => {
    const { blobs, keys } = storeWithKeys();
    const bytes = contentWithMarkers();
    const id = 'a'.repeat(32);
    const seal = await blobs.startPartial(id);
    expect(keys.keys.get(seal.keyId)).toEqual(seal.key);

    // The first attempt dies with two whole chunks and a torn third one on disk.
    const full = await contents(Readable.from([bytes]).pipe(new SealingStream(seal)));
    writeFileSync(blobs.partialPath(id), full.subarray(0, HEADER_BYTES + 2 * SEALED_CHUNK_BYTES + 999));
    expect(await blobs.partialSize(id)).toBe(2 * PLAIN_CHUNK_BYTES);
    const kept = await blobs.resumePartial(id, bytes.length);
    expect(kept?.offset).toBe(2 * PLAIN_CHUNK_BYTES);
    expect(statSync(blobs.partialPath(id)).size).toBe(HEADER_BYTES + 2 * SEALED_CHUNK_BYTES);

    await pipeline(
      Readable.from([bytes.subarray(kept!.offset)]),
      new SealingStream(kept!.seal, kept!.offset / PLAIN_CHUNK_BYTES),
      createWriteStream(blobs.partialPath(id), { flags: 'a' }),
    );
    expect((await blobs.resumePartial(id, bytes.length))?.offset).toBe(bytes.length);
    await blobs.commitPartial(id, { sha256: sha256Of(bytes), size: bytes.length });
    expect(readFileSync(blobs.pathOf(sha256Of(bytes))).includes(MARKER)).toBe(false);
    expect(await contents(blobs.read(sha256Of(bytes)))).toEqual(bytes);

    // A partial whose key is gone is no use: the download starts over.
    const other = 'b'.repeat(32);
    const lost = await blobs.startPartial(other);
    writeFileSync(blobs.partialPath(other), lost.header);
    keys.keys.delete(lost.keyId);
    expect(await blobs.resumePartial(other, bytes.length)).toBeNull();
  });

  it('removing unreferenced files forgets their keys', async () => {
    const { blobs, keys } = storeWithKeys();
    const kept = await blobs.put(Readable.from([Buffer.from('kept')]), 100);
    await blobs.put(Readable.from([Buffer.from('dropped')]), 100);
    expect(keys.keys.size).toBe(2);
    await blobs.collectGarbage(
      (sha256) => sha256 === kept.sha256,
      () => false,
      Date.now() + 1000,
    );
    expect(keys.keys.size).toBe(1);
    expect(await contents(blobs.read(kept.sha256))).toEqual(Buffer.from('kept'));
  });
});

describe('file keys in the mirror (migration 12)', () => {
  it('a version-11 mirror keeps its data and gains the file_keys table', async () => {
    const path = join(tempDir(), 'mirror.sqlite');
    const v11 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 11));
    v11.exec(`INSERT INTO meta (key, value) VALUES ('kept', 'yes')`);
    v11.close();

    const mirror = Mirror.open(path);
    const key = randomBytes(32);
    await mirror.fileKeys.add('c'.repeat(32), key);
    expect(await mirror.fileKeys.get('c'.repeat(32))).toEqual(key);
    expect(await mirror.fileKeys.get('d'.repeat(32))).toBeNull();
    await expect(mirror.fileKeys.add('not a key id', key)).rejects.toThrow(/Not a file key/);
    await mirror.fileKeys.forget('c'.repeat(32));
    expect(await mirror.fileKeys.get('c'.repeat(32))).toBeNull();
    mirror.close();

    const db = openDatabase(path, MIRROR_MIGRATIONS);
    expect(db.prepare(`SELECT value FROM meta WHERE key = 'kept'`).get()).toEqual({ value: 'yes' });
    db.close();
  });
});
