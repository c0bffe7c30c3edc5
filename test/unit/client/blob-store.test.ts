import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore, BlobStoreError } from '../../../sync/client/attachments/blob-store.js';
import { memoryFileKeys } from '../../support/file-keys.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(): BlobStore {
  const dir = mkdtempSync(join(tmpdir(), 'blob-store-'));
  dirs.push(dir);
  return new BlobStore(dir, memoryFileKeys());
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** Files the store holds, its staging and incoming folders included. */
const everything = (blobs: BlobStore) => readdirSync(blobs.dir, { recursive: true, encoding: 'utf8' }).sort();

async function contents(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BlobStoreError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('BlobStore', () => {
  it('stores bytes sealed under the SHA-256 of the sealed file, with a new key each time they are put', async () => {
    const blobs = store();
    const bytes = Buffer.from('some bytes, '.repeat(1000));
    const chunks = [bytes.subarray(0, 5000), bytes.subarray(5000)];
    const first = await blobs.put(Readable.from(chunks), 1_000_000);
    const again = await blobs.put(Readable.from([bytes]), 1_000_000);
    expect(first).toEqual({
      sha256: sha256(readFileSync(blobs.pathOf(first.sha256))),
      size: bytes.length,
      mime: 'application/octet-stream',
    });
    expect(again.sha256).not.toBe(first.sha256);
    expect(again.sha256).toBe(sha256(readFileSync(blobs.pathOf(again.sha256))));
    expect(await contents(blobs.read(first.sha256))).toEqual(bytes);
    expect(await contents(blobs.read(again.sha256))).toEqual(bytes);
    expect(everything(blobs)).toEqual(['incoming', first.sha256, again.sha256, 'tmp'].sort());
  });

  it('refuses an empty file, one over the limit, and a failing source (a full disk), leaving nothing behind', async () => {
    const blobs = store();
    expect(await refusal(blobs.put(Readable.from([]), 100))).toBe('empty_file');
    expect(await refusal(blobs.put(Readable.from([Buffer.alloc(60), Buffer.alloc(60)]), 100))).toBe('file_too_large');
    const full = new Readable({
      read() {
        this.push(Buffer.alloc(10));
        this.destroy(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      },
    });
    expect(await refusal(blobs.put(full, 100))).toBe('disk_full');
    expect(everything(blobs)).toEqual(['incoming', 'tmp']);
  });

  it('leaves no staging file when the source fails before the file is even open, however often', async () => {
    const blobs = store();
    // The file stream opens its file asynchronously: a failure that comes first must not leave the
    // file to be created after the clean-up.
    for (let i = 0; i < 200; i += 1) {
      const failing = new Readable({
        read() {
          this.destroy(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
        },
      });
      expect(await refusal(blobs.put(failing, 100))).toBe('disk_full');
    }
    expect(everything(blobs)).toEqual(['incoming', 'tmp']);
  });

  it('names nothing outside the store: only a SHA-256 or an attachment id makes a path', () => {
    const blobs = store();
    for (const name of ['../secret', 'a'.repeat(63), 'A'.repeat(64), `${'a'.repeat(64)}/x`]) {
      expect(() => blobs.pathOf(name)).toThrow();
    }
    expect(() => blobs.incomingPath('../../etc/passwd')).toThrow();
  });

  it('turns a download into a stored file only when its bytes are the declared ones and open with the declared key', async () => {
    const sender = store();
    const bytes = Buffer.from('the real file');
    const sent = await sender.put(Readable.from([bytes]), 1_000);
    const key = (await sender.sealedBlob(sent.sha256))!.key;
    const sealedSize = readFileSync(sender.pathOf(sent.sha256)).length;

    const blobs = store();
    const id = 'f'.repeat(32);
    copyFileSync(sender.pathOf(sent.sha256), blobs.incomingPath(id));
    await blobs.commitIncoming(id, { sha256: sent.sha256, size: sealedSize, key });
    expect(await contents(blobs.read(sent.sha256))).toEqual(bytes);
    expect(existsSync(blobs.incomingPath(id))).toBe(false);

    const other = 'e'.repeat(32);
    const notTheFile = await sender.put(Readable.from([Buffer.from('not the file')]), 1_000);
    copyFileSync(sender.pathOf(notTheFile.sha256), blobs.incomingPath(other));
    const declared = { sha256: sha256(Buffer.from('the file')), size: sealedSize, key };
    expect(await refusal(blobs.commitIncoming(other, declared))).toBe('checksum_mismatch');
    expect(existsSync(blobs.incomingPath(other))).toBe(false);
    expect(existsSync(blobs.pathOf(declared.sha256))).toBe(false);
  });
});
