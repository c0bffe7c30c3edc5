/**
 * The pieces a transfer seals and opens files with: the format's sealChunk/openChunk, the
 * download's SealedFileWriter, and the ranges an upload reads (BlobStore.read, several chunks per
 * read). Files either side writes must read the same through the other.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
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
  SealingStream,
} from '../../../sync/client/attachments/sealed-file.js';
import { SealedFileWriter } from '../../../sync/client/attachments/sealed-writer.js';
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

/** Feeds `bytes` to the writer in pieces of the given sizes, in turn, as a network hands them over. */
async function feed(writer: SealedFileWriter, bytes: Buffer, pieces: number[]): Promise<void> {
  for (let at = 0, turn = 0; at < bytes.length; turn++) {
    const piece = bytes.subarray(at, at + pieces[turn % pieces.length]!);
    await writer.write(piece);
    at += piece.length;
  }
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

describe('SealedFileWriter', () => {
  it('writes the file SealingStream writes, whatever pieces the bytes arrive in, and the store reads it back', async () => {
    const { blobs } = storeWithKeys();
    for (const size of [1, PLAIN_CHUNK_BYTES, 3 * PLAIN_CHUNK_BYTES, 40 * PLAIN_CHUNK_BYTES + 777]) {
      const bytes = randomBytes(size);
      const id = randomBytes(16).toString('hex');
      const seal = await blobs.startPartial(id);
      const writer = await SealedFileWriter.open(blobs.partialPath(id), seal);
      await feed(writer, bytes, [16_384, 70_000, 1, 200_000]);
      await writer.end();

      const expected = await contents(Readable.from([bytes]).pipe(new SealingStream(seal)));
      expectSameBytes(readFileSync(blobs.partialPath(id)), expected);
      await blobs.commitPartial(id, { sha256: sha256Of(bytes), size });
      expectSameBytes(await contents(blobs.read(sha256Of(bytes))), bytes);
    }
  });

  it('given up midway, leaves only whole non-last chunks; continued from there, the file completes and verifies', async () => {
    const { blobs } = storeWithKeys();
    const bytes = randomBytes(40 * PLAIN_CHUNK_BYTES + 5000);
    const id = 'c'.repeat(32);
    const seal = await blobs.startPartial(id);
    const first = await SealedFileWriter.open(blobs.partialPath(id), seal);
    await feed(first, bytes.subarray(0, 25 * PLAIN_CHUNK_BYTES + 100), [65_536]);
    await first.close();

    const onDisk = statSync(blobs.partialPath(id)).size;
    expect((onDisk - HEADER_BYTES) % SEALED_CHUNK_BYTES).toBe(0);
    expect(onDisk).toBeLessThan(HEADER_BYTES + 25 * SEALED_CHUNK_BYTES + 1);
    // What is there is not a complete file: it does not verify as one.
    const cutShort = await refusal(blobs.commitPartial(id, { sha256: sha256Of(bytes), size: bytes.length }));
    expect(cutShort.code).toBe('checksum_mismatch');

    // Written again up to the same point, then resumed as the downloader does.
    const again = await blobs.startPartial(id);
    const second = await SealedFileWriter.open(blobs.partialPath(id), again);
    await feed(second, bytes.subarray(0, 25 * PLAIN_CHUNK_BYTES + 100), [65_536]);
    await second.close();
    const kept = await blobs.resumePartial(id, bytes.length);
    expect(kept).not.toBeNull();
    const resumed = await SealedFileWriter.open(blobs.partialPath(id), kept!.seal, kept!.offset / PLAIN_CHUNK_BYTES);
    await feed(resumed, bytes.subarray(kept!.offset), [30_000]);
    await resumed.end();
    expect(statSync(blobs.partialPath(id)).size).toBe(sealedSizeOf(bytes.length));
    await blobs.commitPartial(id, { sha256: sha256Of(bytes), size: bytes.length });
    expectSameBytes(await contents(blobs.read(sha256Of(bytes))), bytes);
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
