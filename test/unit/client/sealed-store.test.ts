/** Attachment files encrypted at rest: the sealed format, the store over it, and the keys in the mirror. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore, BlobStoreError } from '../../../sync/client/attachments/blob-store.js';
import {
  HEADER_BYTES,
  PLAIN_CHUNK_BYTES,
  SEALED_CHUNK_BYTES,
  sealChunk,
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
    const onDisk = readFileSync(blobs.pathOf(stored.sha256));
    // Named by the sealed bytes: the name tells nothing of the plaintext, and is what an upload declares.
    expect(stored.sha256).toBe(sha256Of(onDisk));
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

  it('a file of exactly whole chunks, and the same bytes put twice, read back right (each put its own file and key)', async () => {
    const { blobs, keys } = storeWithKeys();
    const bytes = randomBytes(2 * PLAIN_CHUNK_BYTES);
    const first = await blobs.put(Readable.from([bytes]), 10_000_000);
    const second = await blobs.put(Readable.from([bytes]), 10_000_000);
    expect(keys.keys.size).toBe(2);
    expect(statSync(blobs.pathOf(first.sha256)).size).toBe(sealedSizeOf(bytes.length));
    expect(await contents(blobs.read(first.sha256))).toEqual(bytes);
    expect(await contents(blobs.read(second.sha256))).toEqual(bytes);
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
    // Nothing to declare for it in a message: it has no key.
    expect(await blobs.sealedBlob(sha256Of(bytes))).toBeNull();
  });

  it('a download keeps the sealed bytes as they come, resumes from any byte, and takes the key from the message', async () => {
    const sender = storeWithKeys();
    const bytes = contentWithMarkers();
    const sent = await sender.blobs.put(Readable.from([bytes]), 10_000_000);
    const { key, size } = (await sender.blobs.sealedBlob(sent.sha256))!;
    const sealed = readFileSync(sender.blobs.pathOf(sent.sha256));

    const { blobs, keys } = storeWithKeys();
    const id = 'a'.repeat(32);
    // The first attempt was cut inside a chunk: every byte that came is kept.
    writeFileSync(blobs.incomingPath(id), sealed.subarray(0, HEADER_BYTES + SEALED_CHUNK_BYTES + 999));
    expect(await blobs.incomingSize(id, size)).toBe(HEADER_BYTES + SEALED_CHUNK_BYTES + 999);
    expect(keys.keys.size).toBe(0);
    writeFileSync(blobs.incomingPath(id), sealed.subarray(HEADER_BYTES + SEALED_CHUNK_BYTES + 999), { flag: 'a' });
    await blobs.commitIncoming(id, { sha256: sent.sha256, size, key });
    expect(readFileSync(blobs.pathOf(sent.sha256)).equals(sealed)).toBe(true);
    expect(await contents(blobs.read(sent.sha256))).toEqual(bytes);
    expect(await contents(blobs.read(sent.sha256, { start: PLAIN_CHUNK_BYTES - 3, end: PLAIN_CHUNK_BYTES + 3 }))).toEqual(
      bytes.subarray(PLAIN_CHUNK_BYTES - 3, PLAIN_CHUNK_BYTES + 4),
    );
    expect([...keys.keys.values()]).toEqual([key]);

    // More than the file is not the file: it starts over.
    writeFileSync(blobs.incomingPath(id), Buffer.concat([sealed, Buffer.from('more')]));
    expect(await blobs.incomingSize(id, size)).toBe(0);
  });

  it('refuses, keeping nothing, a download that hashes right but does not open: the wrong key, chunks cut or swapped, another file’s key id', async () => {
    const sender = storeWithKeys();
    const bytes = contentWithMarkers();
    const sent = await sender.blobs.put(Readable.from([bytes]), 10_000_000);
    const { key } = (await sender.blobs.sealedBlob(sent.sha256))!;
    const sealed = readFileSync(sender.blobs.pathOf(sent.sha256));
    const { blobs, keys } = storeWithKeys();
    const id = 'c'.repeat(32);
    /** What a hostile sender can do: any bytes, declared with their own SHA-256 and size. */
    const refused = async (file: Buffer, withKey: Buffer) => {
      writeFileSync(blobs.incomingPath(id), file);
      const error = await refusal(blobs.commitIncoming(id, { sha256: sha256Of(file), size: file.length, key: withKey }));
      expect(readdirSync(join(blobs.dir, 'incoming'))).toEqual([]);
      expect(existsSync(blobs.pathOf(sha256Of(file)))).toBe(false);
      return error;
    };
    const keysBefore = keys.keys.size;
    expect((await refused(sealed, randomBytes(32))).code).toBe('checksum_mismatch');
    expect((await refused(sealed, key.subarray(0, 16))).message).toMatch(/has 16 bytes, not 32/);
    expect((await refused(sealed.subarray(0, HEADER_BYTES + 2 * SEALED_CHUNK_BYTES), key)).message).toMatch(/does not open/);
    const swapped = Buffer.from(sealed);
    sealed.copy(swapped, HEADER_BYTES, HEADER_BYTES + SEALED_CHUNK_BYTES, HEADER_BYTES + 2 * SEALED_CHUNK_BYTES);
    sealed.copy(swapped, HEADER_BYTES + SEALED_CHUNK_BYTES, HEADER_BYTES, HEADER_BYTES + SEALED_CHUNK_BYTES);
    expect((await refused(swapped, key)).message).toMatch(/does not open/);
    expect((await refused(sealed.subarray(0, sealed.length - 5), key)).message).toMatch(/not a sealed file|does not open/);
    expect((await refused(Buffer.from('no header at all'), key)).message).toMatch(/not a sealed file/);
    expect(keys.keys.size).toBe(keysBefore);

    // A file of this profile, and one made to name its key id under another key.
    const own = await blobs.put(Readable.from([Buffer.from('mine')]), 100);
    const ownSealed = readFileSync(blobs.pathOf(own.sha256));
    const impostor = storeWithKeys();
    const made = await impostor.blobs.put(Readable.from([Buffer.from('theirs')]), 100);
    const madeSealed = readFileSync(impostor.blobs.pathOf(made.sha256));
    const seal = {
      keyId: '',
      key: (await impostor.blobs.sealedBlob(made.sha256))!.key,
      header: ownSealed.subarray(0, HEADER_BYTES),
    };
    const forged = Buffer.concat([seal.header, ...sealChunk(seal, 0, Buffer.from('theirs'), true)]);
    expect(madeSealed.length).toBe(forged.length);
    expect((await refused(forged, seal.key)).message).toMatch(/key of another file/);
    expect(await contents(blobs.read(own.sha256))).toEqual(Buffer.from('mine'));
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
