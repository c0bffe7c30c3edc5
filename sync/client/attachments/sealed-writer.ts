/**
 * Writes plaintext into a sealed file (sealed-file.ts) as it arrives, for a download: each full
 * chunk is sealed in the thread pool while the next bytes come in, a few chunks at a time, and
 * the sealed chunks are appended in order, several per write, while the caller goes on receiving.
 * The caller waits only when too many chunks are still being sealed or written, so memory stays
 * bounded whatever the file's size.
 *
 * As with SealingStream, a chunk is sealed only once more bytes follow it and only end() seals the
 * last one: a writer cut short leaves only whole, non-last chunks behind (resumable, never taken
 * for a complete file).
 */
import { promises as fs } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../../node/private-files.js';
import { ChunkCipher, PLAIN_CHUNK_BYTES, type FileSeal } from './sealed-file.js';

/** Chunks being sealed at most; half of them are written together once they are done. */
const SEALING_AT_MOST = 16;

export class SealedFileWriter {
  private readonly chunk = Buffer.allocUnsafe(PLAIN_CHUNK_BYTES);
  private filled = 0;
  /** Sealed chunks not yet handed to a write, in file order (a new file's header first). */
  private readonly sealing: Array<Promise<Buffer>> = [];
  /** The write under way: the next one starts after it, so the file grows in order. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly cipher: ChunkCipher,
    private index: number,
  ) {}

  /**
   * A new sealed file at `path` (from chunk 0: header first, the file created afresh), or the
   * continuation of one whose chunks before `firstChunk` are on disk (appended to).
   */
  static async open(path: string, seal: FileSeal, firstChunk = 0): Promise<SealedFileWriter> {
    const cipher = await ChunkCipher.of(seal);
    const handle = await fs.open(path, firstChunk === 0 ? 'w' : 'a', PRIVATE_FILE_MODE);
    const writer = new SealedFileWriter(handle, cipher, firstChunk);
    if (firstChunk === 0) writer.sealing.push(Promise.resolve(seal.header));
    return writer;
  }

  /** Takes the next plaintext bytes (copied: the caller may reuse its buffer). */
  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      // A full chunk with more bytes after it is not the last one.
      if (this.filled === PLAIN_CHUNK_BYTES) this.sealChunk(false);
      const count = Math.min(PLAIN_CHUNK_BYTES - this.filled, bytes.length - at);
      this.chunk.set(bytes.subarray(at, at + count), this.filled);
      this.filled += count;
      at += count;
    }
    if (this.sealing.length >= SEALING_AT_MOST) await this.writeSealed(SEALING_AT_MOST / 2);
  }

  /** Seals the last chunk, writes everything and closes the file (not flushed to disk: the caller does that once it is verified). */
  async end(): Promise<void> {
    try {
      this.sealChunk(true);
      await this.writeSealed(this.sealing.length);
      await this.writing;
    } finally {
      await this.handle.close();
    }
  }

  /** Gives up: what is being sealed is dropped, a write under way finishes, the file is closed. */
  async close(): Promise<void> {
    this.sealing.length = 0;
    await this.writing.catch(() => undefined);
    await this.handle.close();
  }

  private sealChunk(last: boolean): void {
    const sealed = this.cipher.seal(this.index++, this.chunk.subarray(0, this.filled), last);
    // Awaited in order by writeSealed; until then a failure must not count as unhandled.
    sealed.catch(() => undefined);
    this.sealing.push(sealed);
    // WebCrypto copies its input before encrypt() returns, so the same buffer takes the next chunk.
    this.filled = 0;
  }

  /** Waits for the oldest `count` sealed chunks and appends them in one write once the previous write is done. */
  private async writeSealed(count: number): Promise<void> {
    const buffers = await Promise.all(this.sealing.splice(0, count));
    await this.writing;
    this.writing = appendAll(this.handle, buffers);
    // Awaited by the next write or by end()/close(); until then a failure must not count as unhandled.
    this.writing.catch(() => undefined);
  }
}

/** Appends every byte of `buffers`, going on after a short write. */
async function appendAll(handle: fs.FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    rest = after(rest, bytesWritten);
  }
}

/** What is left of `buffers` once their first `bytes` bytes are gone. */
function after(buffers: Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = bytes;
  for (const buffer of buffers) {
    if (skip >= buffer.length) skip -= buffer.length;
    else {
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
  }
  return rest;
}
