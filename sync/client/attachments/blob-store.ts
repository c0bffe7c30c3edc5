/**
 * This profile's attachment store: every file it holds, named by the SHA-256 of its bytes, under
 * `<profile>/attachments/`. The host writes into it when a person attaches a file (so moving or
 * deleting the original changes nothing), the core reads from it to upload and writes into it when
 * a download has been verified. Content addressing makes every write idempotent: the same bytes
 * attached twice are stored once, and a half-written file never has a final name (it is written
 * under `tmp/` and renamed only once complete and hashed).
 *
 * Files are encrypted at rest, each with its own key kept in the mirror (sealed-file.ts): the key
 * is in the mirror before the first byte it seals is written. Plain files from before encryption
 * (no sealed header) are read as they are.
 *
 * Streaming throughout: a 1 GiB file passes through in chunks, never whole in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { sha256Hex } from '../../protocol/attachments.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../node/private-files.js';
import type { FileKeyring } from './file-keys.js';
import {
  chunkCount,
  HEADER_BYTES,
  isSealedHeader,
  keyIdOf,
  newSeal,
  openChunk,
  PLAIN_CHUNK_BYTES,
  plainSizeOf,
  SEALED_CHUNK_BYTES,
  SealedFileError,
  sealedSizeOf,
  SealingStream,
  type FileSeal,
} from './sealed-file.js';

export const ATTACHMENTS_DIR = 'attachments';
const STAGING_DIR = 'tmp';
const PARTIAL_DIR = 'partial';
/** file-type decides from at most this many leading bytes. */
const SNIFF_BYTES = 4100;

export type BlobErrorCode = 'file_too_large' | 'empty_file' | 'disk_full' | 'file_unreadable' | 'checksum_mismatch';

export class BlobStoreError extends Error {
  constructor(
    readonly code: BlobErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BlobStoreError';
  }
}

export interface StoredBlob {
  sha256: string;
  size: number;
  /** Found in the content; application/octet-stream when file-type does not know it. */
  mime: string;
}

/** A stored file opened for reading: sealed (with its key) or plain from before. */
type OpenedFile = { handle: fs.FileHandle; size: number } & ({ seal: FileSeal; fileSize: number } | { seal: null });

/** A partial download that can go on: its key, and how many of its bytes are kept (whole chunks only). */
export interface ResumablePartial {
  seal: FileSeal;
  offset: number;
}

export class BlobStore {
  readonly dir: string;

  constructor(
    profileDir: string,
    private readonly keys: FileKeyring,
  ) {
    this.dir = join(profileDir, ATTACHMENTS_DIR);
    for (const dir of [profileDir, this.dir, join(this.dir, STAGING_DIR), join(this.dir, PARTIAL_DIR)]) ensurePrivateDir(dir);
  }

  /** Where a stored file lives. Throws on anything but a SHA-256, so no name can reach outside the store. */
  pathOf(sha256: string): string {
    if (!sha256Hex.safeParse(sha256).success) throw new Error(`Not a SHA-256: ${sha256.slice(0, 80)}`);
    return join(this.dir, sha256);
  }

  /** The size of a stored file (its plaintext), or null when it is not here. */
  async sizeOf(sha256: string): Promise<number | null> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(sha256), 'r');
    } catch {
      return null;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return null;
      const head = await readHead(handle);
      return isSealedHeader(head) ? plainSizeOf(stat.size) : stat.size;
    } catch (error) {
      throw asBlobError(error);
    } finally {
      await handle.close();
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.sizeOf(sha256)) !== null;
  }

  /**
   * The type of a stored file, from its first bytes. Decrypting them also proves the file's key is
   * here and its start unaltered, so a damaged file is refused before anything is served.
   */
  async sniff(sha256: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.read(sha256, { start: 0, end: SNIFF_BYTES - 1 }) as AsyncIterable<Buffer>) chunks.push(chunk);
    return mimeOf(Buffer.concat(chunks));
  }

  /**
   * Copies a stream into the store: hashed while it is written, flushed to disk, then renamed to
   * its hash. Refuses (and leaves nothing behind) an empty stream or one longer than `maxBytes`.
   */
  async put(source: Readable | AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredBlob> {
    const staging = join(this.dir, STAGING_DIR, `${randomBytes(12).toString('hex')}.part`);
    const seal = newSeal();
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxBytes) {
          callback(new BlobStoreError('file_too_large', `The file is larger than ${maxBytes} bytes`));
          return;
        }
        hash.update(chunk);
        if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
        callback(null, chunk);
      },
    });
    let keyKept = false;
    let out: WriteStream | undefined;
    try {
      await keep(this.keys, seal);
      keyKept = true;
      out = createWriteStream(staging, { flags: 'wx', mode: PRIVATE_FILE_MODE });
      await pipeline(source, meter, new SealingStream(seal), out);
      if (size === 0) throw new BlobStoreError('empty_file', 'The file is empty');
      await syncFile(staging);
      const stored = { sha256: hash.digest('hex'), size, mime: await mimeOf(head) };
      const target = this.pathOf(stored.sha256);
      if (await isSealedFile(target)) {
        // The same bytes are here already, sealed: kept as they are (their key is another row).
        await fs.rm(staging, { force: true });
        // A key left behind (this failing) is harmless; the bytes are stored all the same.
        await this.keys.forget(seal.keyId).catch(() => undefined);
        return stored;
      }
      // New, or a plain file from before: replaced by the sealed one. From here on the key is its.
      await fs.rename(staging, target);
      return stored;
    } catch (error) {
      // A pipeline that failed early destroys the file stream while it may still be opening the file:
      // it is created after a removal made now. Removed once the stream has closed, it stays removed.
      if (out && !out.closed) await once(out, 'close').catch(() => undefined);
      await fs.rm(staging, { force: true });
      if (keyKept) await this.keys.forget(seal.keyId).catch(() => undefined);
      throw asBlobError(error);
    }
  }

  /**
   * Reads a stored file's plaintext (from `start`, inclusive, to `end`, inclusive): a sealed file
   * is decrypted chunk by chunk, only the chunks the range touches. An altered file, or one whose
   * key the mirror lacks, fails the stream with `file_unreadable`, never yields made-up bytes.
   */
  read(sha256: string, range?: { start: number; end: number }): Readable {
    return this.readPath(this.pathOf(sha256), range);
  }

  private readPath(path: string, range?: { start: number; end: number }): Readable {
    const keys = this.keys;
    async function* contents(): AsyncGenerator<Buffer> {
      const file = await openFile(path, keys);
      try {
        const start = range?.start ?? 0;
        const end = Math.min(range?.end ?? file.size - 1, file.size - 1);
        if (file.seal === null) {
          if (end < start) return;
          for await (const chunk of file.handle.createReadStream({ start, end, autoClose: false }) as AsyncIterable<Buffer>) {
            yield chunk;
          }
          return;
        }
        yield* readSealed(file.handle, file.seal, file.fileSize, file.size, start, end);
      } finally {
        await file.handle.close();
      }
    }
    async function* plaintext(): AsyncGenerator<Buffer> {
      try {
        yield* contents();
      } catch (error) {
        throw asBlobError(error);
      }
    }
    return Readable.from(plaintext(), { objectMode: false });
  }

  /**
   * Where a download of `attachmentId` collects its bytes until they are verified: resumable,
   * since what is there is kept across restarts and the next request asks for the rest.
   */
  partialPath(attachmentId: string): string {
    if (!/^[0-9a-f]{32}$/.test(attachmentId)) throw new Error(`Not an attachment id: ${attachmentId.slice(0, 80)}`);
    return join(this.dir, PARTIAL_DIR, attachmentId);
  }

  /** How many bytes of a download are already here (whole chunks, what a resumed download keeps). */
  async partialSize(attachmentId: string): Promise<number> {
    try {
      const { size } = await fs.stat(this.partialPath(attachmentId));
      return Math.max(0, Math.floor((size - HEADER_BYTES) / SEALED_CHUNK_BYTES)) * PLAIN_CHUNK_BYTES;
    } catch {
      return 0;
    }
  }

  /**
   * Starts a download's partial file afresh: a new key, in the mirror before the file exists.
   * Returns the seal to write it with (a SealingStream from chunk 0, the file opened with 'w').
   */
  async startPartial(attachmentId: string): Promise<FileSeal> {
    await this.discardPartial(attachmentId);
    const seal = newSeal();
    await keep(this.keys, seal);
    return seal;
  }

  /**
   * What is kept of a download of `size` bytes, cut back to whole chunks (a chunk torn by a crash
   * is written again): null when nothing usable is here (no file, its key lost, or not sealed).
   * All of it when the whole file (last chunk included) was written before the commit was missed.
   */
  async resumePartial(attachmentId: string, size: number): Promise<ResumablePartial | null> {
    const path = this.partialPath(attachmentId);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r+');
    } catch {
      return null;
    }
    try {
      const head = await readHead(handle);
      const key = isSealedHeader(head) ? await keyOf(this.keys, keyIdOf(head)) : null;
      if (key === null) return null;
      const seal: FileSeal = { keyId: keyIdOf(head), key, header: head };
      const fileSize = (await handle.stat()).size;
      if (fileSize === sealedSizeOf(size)) return { seal, offset: size };
      const whole = Math.min(Math.floor((fileSize - HEADER_BYTES) / SEALED_CHUNK_BYTES), chunkCount(size) - 1);
      await handle.truncate(HEADER_BYTES + whole * SEALED_CHUNK_BYTES);
      return { seal, offset: whole * PLAIN_CHUNK_BYTES };
    } finally {
      await handle.close();
    }
  }

  /** Removes a download's partial file and forgets its key. */
  async discardPartial(attachmentId: string): Promise<void> {
    await this.remove(this.partialPath(attachmentId));
  }

  /**
   * A finished download becomes a stored file only if its bytes hash to what the sender declared
   * (hashed from disk unless the caller hashed them on their way there);
   * otherwise it is thrown away (the next attempt starts from zero) and `checksum_mismatch` raised.
   */
  async commitPartial(
    attachmentId: string,
    expected: { sha256: string; size: number },
    /** What the bytes hashed to as they were written, when all of them were written in one go. */
    hashedWhileWriting?: { sha256: string; size: number },
  ): Promise<void> {
    const partial = this.partialPath(attachmentId);
    let actual: { sha256: string; size: number };
    try {
      actual = hashedWhileWriting ?? (await hashStream(this.readPath(partial)));
    } catch (error) {
      const failure = asBlobError(error);
      // Bytes that do not decrypt are as wrong as bytes that hash wrong: the next attempt starts over.
      if (failure instanceof BlobStoreError && failure.code === 'file_unreadable' && !isMissing(error)) {
        await this.discardPartial(attachmentId);
        throw new BlobStoreError('checksum_mismatch', failure.message);
      }
      throw failure;
    }
    if (actual.sha256 !== expected.sha256 || actual.size !== expected.size) {
      await this.discardPartial(attachmentId);
      throw new BlobStoreError('checksum_mismatch', `Downloaded ${actual.size} bytes hashing to ${actual.sha256}`);
    }
    try {
      await syncFile(partial);
      const target = this.pathOf(expected.sha256);
      // Stored meanwhile (attached here, or another message's copy): the sealed one there is kept.
      if (await isSealedFile(target)) await this.discardPartial(attachmentId);
      else await fs.rename(partial, target);
    } catch (error) {
      throw asBlobError(error);
    }
  }

  /** Removes a file and then forgets its key (a key without its file is harmless; the reverse is not). */
  private async remove(path: string): Promise<void> {
    const keyId = await sealedKeyIdOf(path);
    await fs.rm(path, { force: true });
    if (keyId !== null) await this.keys.forget(keyId);
  }

  /**
   * Removes stored files nothing refers to any more, and staging or partial files left behind,
   * once they are older than `minAgeMs` (a file just attached is not referenced until it is sent).
   */
  async collectGarbage(isReferenced: (sha256: string) => boolean, isPartialWanted: (id: string) => boolean, olderThan: number) {
    const removed: string[] = [];
    const sweep = async (dir: string, keep: (name: string) => boolean) => {
      for (const name of await fs.readdir(dir)) {
        const path = join(dir, name);
        const stat = await fs.stat(path).catch(() => null);
        if (!stat?.isFile() || stat.mtimeMs >= olderThan || keep(name)) continue;
        await this.remove(path);
        removed.push(path);
      }
    };
    await sweep(this.dir, (name) => !sha256Hex.safeParse(name).success || isReferenced(name));
    await sweep(join(this.dir, STAGING_DIR), () => false);
    await sweep(join(this.dir, PARTIAL_DIR), (name) => isPartialWanted(name));
    return removed;
  }
}

/** SHA-256 and size of a stream's bytes. */
async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** A file's first HEADER_BYTES (fewer when it is shorter). */
async function readHead(handle: fs.FileHandle): Promise<Buffer> {
  const head = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await handle.read(head, 0, HEADER_BYTES, 0);
  return head.subarray(0, bytesRead);
}

/** The key id in a file's sealed header; null for a plain file or none at all. */
async function sealedKeyIdOf(path: string): Promise<string | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch {
    return null;
  }
  try {
    const head = await readHead(handle);
    return isSealedHeader(head) ? keyIdOf(head) : null;
  } finally {
    await handle.close();
  }
}

async function isSealedFile(path: string): Promise<boolean> {
  return (await sealedKeyIdOf(path)) !== null;
}

/** A file's key; a keyring that cannot answer (the mirror closed, the core gone) makes the file unreadable for now. */
async function keyOf(keys: FileKeyring, keyId: string): Promise<Buffer | null> {
  try {
    return await keys.get(keyId);
  } catch (error) {
    throw new BlobStoreError('file_unreadable', `The key of this stored file cannot be read: ${(error as Error).message}`);
  }
}

/** Keeps a new file's key, or refuses to write the file at all. */
async function keep(keys: FileKeyring, seal: FileSeal): Promise<void> {
  try {
    await keys.add(seal.keyId, seal.key);
  } catch (error) {
    throw new BlobStoreError('file_unreadable', `The key of a new file cannot be kept: ${(error as Error).message}`);
  }
}

async function openFile(path: string, keys: FileKeyring): Promise<OpenedFile> {
  const handle = await fs.open(path, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const head = await readHead(handle);
    if (!isSealedHeader(head)) return { handle, size: fileSize, seal: null };
    const key = await keyOf(keys, keyIdOf(head));
    if (key === null) throw new BlobStoreError('file_unreadable', 'The key of this stored file is not in the mirror');
    return { handle, size: plainSizeOf(fileSize), fileSize, seal: { keyId: keyIdOf(head), key, header: head } };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Sealed chunks read together: one read for several chunks, the next read under way while these are opened. */
const CHUNKS_PER_READ = 16;

/**
 * Read buffers kept for the next read of a sealed file: touching fresh memory costs more than
 * decrypting it, and uploads read a file in many ranges one after the other.
 */
const spareReadBuffers: Buffer[] = [];
const SPARE_READ_BUFFERS = 6;

/**
 * Decrypts the chunks holding plaintext bytes `start`..`end` (inclusive) and yields just those
 * bytes. Chunks are read several at a time into two buffers in turn: one is read into while the
 * chunks of the other are opened (each opened chunk is new memory, so a buffer is free again once
 * its chunks are opened).
 */
async function* readSealed(
  handle: fs.FileHandle,
  seal: FileSeal,
  fileSize: number,
  plainSize: number,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const lastIndex = chunkCount(plainSize) - 1;
  // An empty file still has its one (empty) last chunk checked.
  const first = plainSize === 0 ? 0 : Math.floor(start / PLAIN_CHUNK_BYTES);
  const last = plainSize === 0 ? 0 : Math.floor(end / PLAIN_CHUNK_BYTES);
  const buffers = [0, 1].map(() => spareReadBuffers.pop() ?? Buffer.allocUnsafe(CHUNKS_PER_READ * SEALED_CHUNK_BYTES));
  let turn = 0;
  const readFrom = (index: number) => {
    const position = HEADER_BYTES + index * SEALED_CHUNK_BYTES;
    const wanted = Math.min(CHUNKS_PER_READ, last - index + 1) * SEALED_CHUNK_BYTES;
    const buffer = buffers[turn++ % 2]!.subarray(0, Math.max(0, Math.min(wanted, fileSize - position)));
    const read = readFully(handle, buffer, position).then((bytesRead) => buffer.subarray(0, bytesRead));
    // Awaited on the next turn of the loop, or before the buffers are given back.
    read.catch(() => undefined);
    return read;
  };
  let next = readFrom(first);
  try {
    for (let index = first; index <= last; index += CHUNKS_PER_READ) {
      const sealed = await next;
      if (index + CHUNKS_PER_READ <= last) next = readFrom(index + CHUNKS_PER_READ);
      const count = Math.min(CHUNKS_PER_READ, last - index + 1);
      for (let k = 0; k < count; k++) {
        const chunkIndex = index + k;
        const plain = openChunk(
          seal,
          chunkIndex,
          sealed.subarray(k * SEALED_CHUNK_BYTES, (k + 1) * SEALED_CHUNK_BYTES),
          chunkIndex === lastIndex,
        );
        const chunkStart = chunkIndex * PLAIN_CHUNK_BYTES;
        const from = Math.max(start - chunkStart, 0);
        const to = Math.min(end - chunkStart + 1, plain.length);
        if (to > from) yield plain.subarray(from, to);
      }
    }
  } finally {
    // A read still under way writes into one of the buffers: they are given back once it is over.
    await next.catch(() => undefined);
    for (const buffer of buffers) if (spareReadBuffers.length < SPARE_READ_BUFFERS) spareReadBuffers.push(buffer);
  }
}

/** Reads into all of `buffer` from `position` unless the file ends first; how many bytes were read. */
async function readFully(handle: fs.FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

async function mimeOf(head: Buffer): Promise<string> {
  return (await fileTypeFromBuffer(head))?.mime ?? 'application/octet-stream';
}

/** Flushes a file about to get its final name, and makes it the owner's alone whatever the umask. */
async function syncFile(path: string): Promise<void> {
  const handle = await fs.open(path, 'r+');
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function asBlobError(error: unknown): Error {
  if (error instanceof BlobStoreError) return error;
  if (error instanceof SealedFileError) {
    return new BlobStoreError('file_unreadable', `The stored file is damaged or was altered: ${error.message}`);
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new BlobStoreError('disk_full', 'The disk is full');
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EIO') {
    return new BlobStoreError('file_unreadable', (error as Error).message);
  }
  return error instanceof Error ? error : new Error(String(error));
}
