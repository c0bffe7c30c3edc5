/**
 * This profile's attachment store: every file it holds, named by the SHA-256 of its bytes on disk,
 * under `<profile>/attachments/`. The host writes into it when a person attaches a file (so moving
 * or deleting the original changes nothing), the core reads from it to upload and writes into it
 * when a download has been verified. A half-written file never has a final name (it is written
 * under `tmp/` or `incoming/` and renamed only once complete and verified).
 *
 * Files are encrypted at rest, each with its own key kept in the mirror (sealed-file.ts): the key
 * of a file attached here is in the mirror before the first byte it seals is written. The sealed
 * file is also what travels: an upload sends its bytes as they are, a download keeps the bytes it
 * received as they are, once they hash to the message's SHA-256 and open with the message's key.
 * Files named by the SHA-256 of their plaintext are from before: sealed at rest under a key of
 * this profile, or plain (no sealed header), and read as they are.
 *
 * Streaming throughout: a 1 GiB file passes through in chunks, never whole in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { sha256Hex } from '../../protocol/attachments.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../node/private-files.js';
import type { FileKeyring } from './file-keys.js';
import { IncomingCheck } from './incoming-check.js';
import {
  chunkCount,
  HEADER_BYTES,
  isSealedHeader,
  KEY_BYTES,
  keyIdOf,
  newSeal,
  openChunk,
  PLAIN_CHUNK_BYTES,
  plainSizeOf,
  SEALED_CHUNK_BYTES,
  SealedFileError,
  SealingStream,
  type FileSeal,
} from './sealed-file.js';

export const ATTACHMENTS_DIR = 'attachments';
const STAGING_DIR = 'tmp';
/** Downloads under way: the bytes as received, kept across restarts so the next request asks for the rest. */
const INCOMING_DIR = 'incoming';
/** Partial downloads from before, sealed under a key of this profile: only ever swept away. */
const OLD_PARTIAL_DIR = 'partial';
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
  /** Of the sealed file, its name in the store. */
  sha256: string;
  /** Of the plaintext. */
  size: number;
  /** Found in the content; application/octet-stream when file-type does not know it. */
  mime: string;
}

/** A stored file opened for reading: sealed (with its key) or plain from before. */
type OpenedFile = { handle: fs.FileHandle; size: number } & ({ seal: FileSeal; fileSize: number } | { seal: null });

/** A file attached here, as its message declares it: its size on disk (what is uploaded) and its key. */
export interface SealedBlob {
  size: number;
  key: Buffer;
}

export class BlobStore {
  readonly dir: string;

  constructor(
    profileDir: string,
    private readonly keys: FileKeyring,
  ) {
    this.dir = join(profileDir, ATTACHMENTS_DIR);
    for (const dir of [profileDir, this.dir, join(this.dir, STAGING_DIR), join(this.dir, INCOMING_DIR)]) ensurePrivateDir(dir);
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
   * Copies a stream into the store: sealed under a new key, the sealed bytes hashed while they are
   * written, flushed to disk, then renamed to their hash. Refuses (and leaves nothing behind) an
   * empty stream or one longer than `maxBytes`.
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
        if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
        callback(null, chunk);
      },
    });
    const sealedHash = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    let keyKept = false;
    let out: WriteStream | undefined;
    try {
      await keep(this.keys, seal.keyId, seal.key);
      keyKept = true;
      out = createWriteStream(staging, { flags: 'wx', mode: PRIVATE_FILE_MODE });
      await pipeline(source, meter, new SealingStream(seal), sealedHash, out);
      if (size === 0) throw new BlobStoreError('empty_file', 'The file is empty');
      await syncFile(staging);
      const stored = { sha256: hash.digest('hex'), size, mime: await mimeOf(head) };
      // A new key makes new bytes: the name is this file's alone. From here on the key is its.
      await fs.rename(staging, this.pathOf(stored.sha256));
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
   * The size on disk and the key of a file attached here, which its message declares; null for a
   * plain file from before encryption (nothing to declare) or one that is not here.
   */
  async sealedBlob(sha256: string): Promise<SealedBlob | null> {
    let file: OpenedFile;
    try {
      file = await openFile(this.pathOf(sha256), this.keys);
    } catch (error) {
      if (isMissing(error)) return null;
      throw asBlobError(error);
    }
    await file.handle.close();
    return file.seal === null ? null : { size: file.fileSize, key: file.seal.key };
  }

  /** A stored file's bytes as they are on disk (`start` to `end`, inclusive): what an upload sends. */
  readSealed(sha256: string, range: { start: number; end: number }): Readable {
    const path = this.pathOf(sha256);
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        yield* createReadStream(path, range) as AsyncIterable<Buffer>;
      } catch (error) {
        throw asBlobError(error);
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  /** A stored file's size on disk, or null when it is not here. */
  async fileSize(sha256: string): Promise<number | null> {
    const stat = await fs.stat(this.pathOf(sha256)).catch(() => null);
    return stat?.isFile() ? stat.size : null;
  }

  /**
   * Where a download of `attachmentId` collects the sealed bytes as they arrive, until they are
   * verified: resumable from any byte, since what is there is kept across restarts.
   */
  incomingPath(attachmentId: string): string {
    if (!/^[0-9a-f]{32}$/.test(attachmentId)) throw new Error(`Not an attachment id: ${attachmentId.slice(0, 80)}`);
    return join(this.dir, INCOMING_DIR, attachmentId);
  }

  /** How many bytes of a download of `size` bytes are here (none when more than that: not this file). */
  async incomingSize(attachmentId: string, size: number): Promise<number> {
    const stat = await fs.stat(this.incomingPath(attachmentId)).catch(() => null);
    if (stat === null) return 0;
    if (stat.size > size) {
      await this.discardIncoming(attachmentId);
      return 0;
    }
    return stat.size;
  }

  /**
   * A check of a download's bytes (IncomingCheck) that has taken in the first `upTo` bytes already
   * on disk (a download resumed after them), for the download to go on with.
   */
  async checkIncoming(attachmentId: string, upTo: number, expected: { size: number; key: Buffer }): Promise<IncomingCheck> {
    const check = new IncomingCheck(expected.key, expected.size);
    if (upTo > 0) {
      const path = this.incomingPath(attachmentId);
      const stream = upTo === Infinity ? createReadStream(path) : createReadStream(path, { end: upTo - 1 });
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) check.update(chunk);
      } catch (error) {
        throw asBlobError(error);
      }
    }
    return check;
  }

  /** Removes what a download collected (its key was never kept: it is kept only with the verified file). */
  async discardIncoming(attachmentId: string): Promise<void> {
    await fs.rm(this.incomingPath(attachmentId), { force: true });
  }

  /**
   * A finished download becomes a stored file only if its bytes hash to the SHA-256 its message
   * declares and every chunk opens under the message's key; otherwise it is thrown away (the next
   * attempt starts from zero) and `checksum_mismatch` raised. Its key is kept in the mirror, under
   * the id its header names, before the file gets its name.
   */
  async commitIncoming(
    attachmentId: string,
    expected: { sha256: string; size: number; key: Buffer },
    /** The check the download made as the bytes came (checkIncoming, then update); else the file is read to check it. */
    check?: IncomingCheck,
  ): Promise<void> {
    const path = this.incomingPath(attachmentId);
    const refuse = async (why: string): Promise<never> => {
      await this.discardIncoming(attachmentId);
      throw new BlobStoreError('checksum_mismatch', why);
    };
    // The message's schema allows no other length; a row damaged since is refused, never tried as a key.
    if (expected.key.length !== KEY_BYTES) return refuse(`The message's key has ${expected.key.length} bytes, not ${KEY_BYTES}`);
    const actual = (check ?? (await this.checkIncoming(attachmentId, Infinity, expected))).finish();
    if (actual.sha256 !== expected.sha256 || actual.size !== expected.size) {
      return refuse(`Downloaded ${actual.size} bytes hashing to ${actual.sha256}`);
    }
    if ('problem' in actual.opened) return refuse(actual.opened.problem);
    const { keyId } = actual.opened;
    const known = await keyOf(this.keys, keyId);
    // Another file's key id with another key: taking this one would make that file unreadable.
    if (known !== null && !known.equals(expected.key)) return refuse('The file names the key of another file');
    try {
      if (known === null) await keep(this.keys, keyId, expected.key);
      await syncFile(path);
      const target = this.pathOf(expected.sha256);
      // Stored meanwhile (another message's copy): the bytes there are these, with this key.
      if ((await this.fileSize(expected.sha256)) === expected.size) await this.discardIncoming(attachmentId);
      else await fs.rename(path, target);
    } catch (error) {
      throw asBlobError(error);
    }
  }

  /** Removes the stored file of a message that disappeared, at once rather than at the next collection. */
  async discard(sha256: string): Promise<void> {
    await this.remove(this.pathOf(sha256));
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
    await sweep(join(this.dir, INCOMING_DIR), (name) => isPartialWanted(name));
    const oldPartials = join(this.dir, OLD_PARTIAL_DIR);
    if (await fs.stat(oldPartials).catch(() => null)) await sweep(oldPartials, () => false);
    return removed;
  }
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

/** A file's key; a keyring that cannot answer (the mirror closed, the core gone) makes the file unreadable for now. */
async function keyOf(keys: FileKeyring, keyId: string): Promise<Buffer | null> {
  try {
    return await keys.get(keyId);
  } catch (error) {
    throw new BlobStoreError('file_unreadable', `The key of this stored file cannot be read: ${(error as Error).message}`);
  }
}

/** Keeps a new file's key, or refuses to write the file at all. */
async function keep(keys: FileKeyring, keyId: string, key: Buffer): Promise<void> {
  try {
    await keys.add(keyId, key);
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
