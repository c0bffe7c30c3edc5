/**
 * This profile's attachment store: every file it holds, named by the SHA-256 of its bytes, under
 * `<profile>/attachments/`. The host writes into it when a person attaches a file (so moving or
 * deleting the original changes nothing), the core reads from it to upload and writes into it when
 * a download has been verified. Content addressing makes every write idempotent: the same bytes
 * attached twice are stored once, and a half-written file never has a final name (it is written
 * under `tmp/` and renamed only once complete and hashed).
 *
 * Streaming throughout: a 1 GiB file passes through in chunks, never whole in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { sha256Hex } from '../../protocol/attachments.js';

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

export class BlobStore {
  readonly dir: string;

  constructor(profileDir: string) {
    this.dir = join(profileDir, ATTACHMENTS_DIR);
    mkdirSync(join(this.dir, STAGING_DIR), { recursive: true });
    mkdirSync(join(this.dir, PARTIAL_DIR), { recursive: true });
  }

  /** Where a stored file lives. Throws on anything but a SHA-256, so no name can reach outside the store. */
  pathOf(sha256: string): string {
    if (!sha256Hex.safeParse(sha256).success) throw new Error(`Not a SHA-256: ${sha256.slice(0, 80)}`);
    return join(this.dir, sha256);
  }

  /** The size of a stored file, or null when it is not here. */
  async sizeOf(sha256: string): Promise<number | null> {
    try {
      const stat = await fs.stat(this.pathOf(sha256));
      return stat.isFile() ? stat.size : null;
    } catch {
      return null;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.sizeOf(sha256)) !== null;
  }

  /** The type of a stored file, from its first bytes. */
  async sniff(sha256: string): Promise<string> {
    const handle = await fs.open(this.pathOf(sha256), 'r');
    try {
      const head = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      return await mimeOf(head.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  }

  /**
   * Copies a stream into the store: hashed while it is written, flushed to disk, then renamed to
   * its hash. Refuses (and leaves nothing behind) an empty stream or one longer than `maxBytes`.
   */
  async put(source: Readable | AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredBlob> {
    const staging = join(this.dir, STAGING_DIR, `${randomBytes(12).toString('hex')}.part`);
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
    try {
      const out = createWriteStream(staging, { flags: 'wx' });
      await pipeline(source, meter, out);
      if (size === 0) throw new BlobStoreError('empty_file', 'The file is empty');
      await syncFile(staging);
      const sha256 = hash.digest('hex');
      await fs.rename(staging, this.pathOf(sha256));
      return { sha256, size, mime: await mimeOf(head) };
    } catch (error) {
      await fs.rm(staging, { force: true });
      throw asBlobError(error);
    }
  }

  /** Opens a stored file for reading (from `start`, inclusive, to `end`, inclusive). */
  read(sha256: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(sha256), range ?? {});
  }

  /**
   * Where a download of `attachmentId` collects its bytes until they are verified: resumable,
   * since what is there is kept across restarts and the next request asks for the rest.
   */
  partialPath(attachmentId: string): string {
    if (!/^[0-9a-f]{32}$/.test(attachmentId)) throw new Error(`Not an attachment id: ${attachmentId.slice(0, 80)}`);
    return join(this.dir, PARTIAL_DIR, attachmentId);
  }

  /** How many bytes of a download are already here. */
  async partialSize(attachmentId: string): Promise<number> {
    try {
      return (await fs.stat(this.partialPath(attachmentId))).size;
    } catch {
      return 0;
    }
  }

  async discardPartial(attachmentId: string): Promise<void> {
    await fs.rm(this.partialPath(attachmentId), { force: true });
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
      actual = hashedWhileWriting ?? (await hashFile(partial));
    } catch (error) {
      throw asBlobError(error);
    }
    if (actual.sha256 !== expected.sha256 || actual.size !== expected.size) {
      await fs.rm(partial, { force: true });
      throw new BlobStoreError('checksum_mismatch', `Downloaded ${actual.size} bytes hashing to ${actual.sha256}`);
    }
    try {
      await syncFile(partial);
      await fs.rename(partial, this.pathOf(expected.sha256));
    } catch (error) {
      throw asBlobError(error);
    }
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
        await fs.rm(path, { force: true });
        removed.push(path);
      }
    };
    await sweep(this.dir, (name) => !sha256Hex.safeParse(name).success || isReferenced(name));
    await sweep(join(this.dir, STAGING_DIR), () => false);
    await sweep(join(this.dir, PARTIAL_DIR), (name) => isPartialWanted(name));
    return removed;
  }
}

/** SHA-256 and size of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function mimeOf(head: Buffer): Promise<string> {
  return (await fileTypeFromBuffer(head))?.mime ?? 'application/octet-stream';
}

async function syncFile(path: string): Promise<void> {
  const handle = await fs.open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function asBlobError(error: unknown): Error {
  if (error instanceof BlobStoreError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new BlobStoreError('disk_full', 'The disk is full');
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EIO') {
    return new BlobStoreError('file_unreadable', (error as Error).message);
  }
  return error instanceof Error ? error : new Error(String(error));
}
