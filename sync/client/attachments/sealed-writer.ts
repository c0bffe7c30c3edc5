/**
 * Writes plaintext into a sealed file (sealed-file.ts) as it arrives, for a download: each full
 * chunk is sealed as soon as more bytes follow it, and the sealed chunks are appended in order,
 * several per write, while the caller goes on receiving. The caller waits only when a batch is
 * ready while the previous one is still being written, so memory stays bounded whatever the
 * file's size.
 *
 * As with SealingStream, a chunk is sealed only once more bytes follow it and only end() seals the
 * last one: a writer cut short leaves only whole, non-last chunks behind (resumable, never taken
 * for a complete file).
 */
import { promises as fs } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../../node/private-files.js';
import { PLAIN_CHUNK_BYTES, sealChunk, type FileSeal } from './sealed-file.js';

/** Sealed chunks appended together in one write. */
const CHUNKS_PER_WRITE = 16;

export class SealedFileWriter {
  /** The chunk being filled: sealing copies nothing out of it, so it takes the next chunk at once. */
  private readonly chunk = Buffer.allocUnsafe(PLAIN_CHUNK_BYTES);
  private filled = 0;
  /** Sealed parts not yet handed to a write, in file order (a new file's header first). */
  private batch: Buffer[] = [];
  private chunksInBatch = 0;
  /** The write under way: the next one starts after it, so the file grows in order. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly seal: FileSeal,
    private index: number,
  ) {}

  /**
   * A new sealed file at `path` (from chunk 0: header first, the file created afresh), or the
   * continuation of one whose chunks before `firstChunk` are on disk (appended to).
   */
  static async open(path: string, seal: FileSeal, firstChunk = 0): Promise<SealedFileWriter> {
    const handle = await fs.open(path, firstChunk === 0 ? 'w' : 'a', PRIVATE_FILE_MODE);
    const writer = new SealedFileWriter(handle, seal, firstChunk);
    if (firstChunk === 0) writer.batch.push(seal.header);
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
    if (this.chunksInBatch >= CHUNKS_PER_WRITE) await this.writeBatch();
  }

  /** Seals the last chunk, writes everything and closes the file (not flushed to disk: the caller does that once it is verified). */
  async end(): Promise<void> {
    try {
      this.sealChunk(true);
      await this.writeBatch();
      await this.writing;
    } finally {
      await this.handle.close();
    }
  }

  /** Gives up: what is not yet written is dropped, a write under way finishes, the file is closed. */
  async close(): Promise<void> {
    this.batch = [];
    await this.writing.catch(() => undefined);
    await this.handle.close();
  }

  private sealChunk(last: boolean): void {
    this.batch.push(...sealChunk(this.seal, this.index++, this.chunk.subarray(0, this.filled), last));
    this.chunksInBatch++;
    this.filled = 0;
  }

  /** Appends the batch once the previous write is done; the next batch fills meanwhile. */
  private async writeBatch(): Promise<void> {
    const buffers = this.batch;
    this.batch = [];
    this.chunksInBatch = 0;
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
