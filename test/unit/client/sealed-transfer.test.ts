/**
 * The pieces a transfer seals and opens files with: the format's sealChunk/openChunk, the ranges
 * an upload sends (BlobStore.readSealed: the stored file as it is), and the ranges a reader gets
 * (BlobStore.read, several chunks per read).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore, BlobStoreError } from '../../../sync/client/attachments/blob-store.js';
import {
  HEADER_BYTES,
  newSeal,
  openChunk,
  PLAIN_CHUNK_BYTES,
  SEALED_CHUNK_BYTES,
  sealChunk,
  SealedFileError,
  sealedSizeOf,
} from '../../../sync/client/attachments/sealed-file.js';
import { sha256Of } from '../../support/attachments-files.js';
import { memoryFileKeys } from '../../support/file-keys.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function storeWithKeys() {
  const dir = mkdtempSync(join(tmpdir(), 'sealed-transfer-'));
  dirs.push(dir);
  const keys = memoryFileKeys();
  return { blobs: new BlobStore(dir, keys), keys };
}

async function contents(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Compared as bytes: a deep comparison of megabytes is slow, and its diff unreadable. */
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
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

describe('sealChunk and openChunk', () => {
  it('open what they seal, and refuse a chunk moved, altered, cut, or taken for the last one', () => {
    const seal = newSeal();
    const plain = randomBytes(PLAIN_CHUNK_BYTES);
    const [ciphertext, tag] = sealChunk(seal, 3, plain, false);
    expect(ciphertext.length).toBe(PLAIN_CHUNK_BYTES);
    expect(ciphertext.equals(plain)).toBe(false);
    const sealed = Buffer.concat([ciphertext, tag]);
    expect(sealed.length).toBe(SEALED_CHUNK_BYTES);
    expectSameBytes(openChunk(seal, 3, sealed, false), plain);
    expectSameBytes(openChunk(seal, 0, Buffer.concat(sealChunk(seal, 0, Buffer.alloc(0), true)), true), Buffer.alloc(0));

    expect(() => openChunk(seal, 4, sealed, false)).toThrow(SealedFileError);
    expect(() => openChunk(seal, 3, sealed, true)).toThrow(SealedFileError);
    expect(() => openChunk(newSeal(), 3, sealed, false)).toThrow(SealedFileError);
    const altered = Buffer.from(sealed);
    altered[10]! ^= 1;
    expect(() => openChunk(seal, 3, altered, false)).toThrow(SealedFileError);
    expect(() => openChunk(seal, 3, sealed.subarray(0, 15), false)).toThrow(/cut short/);
  });
});

describe('BlobStore.readSealed', () => {
  it('gives an upload the stored sealed file as it is, in any ranges, and refuses a file that is gone', async () => {
    const { blobs } = storeWithKeys();
    const bytes = randomBytes(20 * PLAIN_CHUNK_BYTES + 99);
    const { sha256 } = await blobs.put(Readable.from([bytes]), bytes.length);
    const onDisk = readFileSync(blobs.pathOf(sha256));
    expect(onDisk.length).toBe(sealedSizeOf(bytes.length));
    expect(sha256Of(onDisk)).toBe(sha256);
    const cuts = [0, 1, SEALED_CHUNK_BYTES + 7, 9 * SEALED_CHUNK_BYTES, onDisk.length];
    const pieces = await Promise.all(
      cuts.slice(1).map((end, k) => contents(blobs.readSealed(sha256, { start: cuts[k]!, end: end - 1 }))),
    );
    expectSameBytes(Buffer.concat(pieces), onDisk);
    expect((await refusal(contents(blobs.readSealed('0'.repeat(64), { start: 0, end: 9 })))).code).toBe('file_unreadable');
  });
});

describe('BlobStore.read in ranges', () => {
  const range = (blobs: BlobStore, sha256: string, start: number, end: number) =>
    contents(blobs.read(sha256, { start, end: end - 1 }));

  it('reads any range of a sealed file, across chunks and read batches, and of a plain file from before', async () => {
    const { blobs } = storeWithKeys();
    const bytes = randomBytes(37 * PLAIN_CHUNK_BYTES + 1234);
    const { sha256 } = await blobs.put(Readable.from([bytes]), bytes.length);
    for (const [start, end] of [
      [0, bytes.length],
      [0, 1],
      [PLAIN_CHUNK_BYTES - 10, PLAIN_CHUNK_BYTES + 10],
      [5, 17 * PLAIN_CHUNK_BYTES + 3],
      [16 * PLAIN_CHUNK_BYTES, 33 * PLAIN_CHUNK_BYTES],
      [bytes.length - 3, bytes.length + 8 * 1024 * 1024],
      [bytes.length, bytes.length + 10],
    ] as const) {
      expectSameBytes(await range(blobs, sha256, start, end), bytes.subarray(start, end));
    }
    // Ranges read one after the other (an upload's requests) reuse read buffers: none sees another's bytes.
    const pieces = await Promise.all(
      [0, 1, 2, 3].map((k) => range(blobs, sha256, k * 9 * PLAIN_CHUNK_BYTES, (k + 1) * 9 * PLAIN_CHUNK_BYTES + 7)),
    );
    pieces.forEach((piece, k) =>
      expectSameBytes(piece, bytes.subarray(k * 9 * PLAIN_CHUNK_BYTES, (k + 1) * 9 * PLAIN_CHUNK_BYTES + 7)),
    );

    const old = Buffer.from('an attachment stored before files were encrypted');
    writeFileSync(blobs.pathOf(sha256Of(old)), old);
    expect(await range(blobs, sha256Of(old), 3, 1000)).toEqual(old.subarray(3));
  });

  it('refuses an altered or cut file, or one whose key is gone, as file_unreadable', async () => {
    const bytes = randomBytes(20 * PLAIN_CHUNK_BYTES + 99);
    const damaged = async (damage: (path: string, keys: ReturnType<typeof memoryFileKeys>) => void) => {
      const { blobs, keys } = storeWithKeys();
      const { sha256 } = await blobs.put(Readable.from([bytes]), bytes.length);
      damage(blobs.pathOf(sha256), keys);
      return refusal(range(blobs, sha256, 0, bytes.length));
    };
    const flipped = await damaged((path) => {
      const file = readFileSync(path);
      const at = HEADER_BYTES + 18 * SEALED_CHUNK_BYTES + 5;
      file[at]! ^= 1;
      writeFileSync(path, file);
    });
    expect(flipped.code).toBe('file_unreadable');
    const cut = await damaged((path) => truncateSync(path, HEADER_BYTES + 17 * SEALED_CHUNK_BYTES));
    expect(cut.code).toBe('file_unreadable');
    const keyless = await damaged((_path, keys) => keys.keys.clear());
    expect(keyless.code).toBe('file_unreadable');
  });
});
