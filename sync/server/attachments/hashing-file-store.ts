import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { ERRORS } from '@tus/server';
import { restrictFiles } from '../../node/private-files.js';

/**
 * Bytes gathered from a request before they go to disk in one write: far fewer writes (and far
 * less stream bookkeeping per byte) than the socket's 64 KiB pieces, for a buffer or two of this
 * size held per upload under way.
 */
const WRITE_CHUNK_BYTES = 1024 * 1024;

/** Running hashes kept at most (oldest dropped first): abandoned uploads must not pile up in memory. */
const MAX_RUNNING = 10_000;

interface RunningHash {
  hash: Hash;
  /** Bytes hashed so far: the file's length when every write continued where the last one ended. */
  length: number;
}

/**
 * tus's file store, hashing the bytes as they are written: when every byte of an upload arrived in
 * one unbroken run of writes from offset 0 (the usual case, cut connections included), its SHA-256
 * is known the moment the last byte lands, without reading the file again. A write that does not
 * continue exactly where the running hash stopped (after a server restart, or after a write that
 * failed) drops the running hash, and the check reads the file from disk instead.
 */
export class HashingFileStore extends FileStore {
  private readonly running = new Map<string, RunningHash>();

  /** tus creates the file and its `.json` sidecar with the umask's mode; they are the owner's alone. */
  override async create(file: Parameters<FileStore['create']>[0]): ReturnType<FileStore['create']> {
    const created = await super.create(file);
    const path = join(this.directory, file.id);
    restrictFiles(path, `${path}.json`);
    return created;
  }

  /**
   * Writes the request's bytes from `offset` on, gathered into large writes, one on its way to
   * disk while the next is gathered. Returns the offset after the last byte written; when tus ends
   * the stream early (the client went away) what arrived is written all the same.
   */
  override async write(readable: IncomingMessage | Readable, id: string, offset: number): Promise<number> {
    let entry = offset === 0 ? { hash: createHash('sha256'), length: 0 } : this.running.get(id);
    this.running.delete(id);
    if (entry && entry.length !== offset) entry = undefined;

    const file = await open(join(this.directory, id), 'r+');
    let position = offset;
    let gathered: Buffer[] = [];
    let gatheredBytes = 0;
    let writing: Promise<void> = Promise.resolve();
    const writeGathered = async (): Promise<void> => {
      await writing;
      if (gatheredBytes === 0) return;
      const buffers = gathered;
      const length = gatheredBytes;
      const at = position;
      position += length;
      gathered = [];
      gatheredBytes = 0;
      // Caught here and rethrown when awaited, so a failed write is never an unhandled rejection.
      const written = file.writev(buffers, at).then(({ bytesWritten }) => {
        if (bytesWritten !== length) throw new Error(`Wrote ${bytesWritten} of ${length} bytes`);
      });
      writing = written;
      written.catch(() => undefined);
    };
    try {
      for await (const chunk of readable as AsyncIterable<Buffer>) {
        entry?.hash.update(chunk);
        gathered.push(chunk);
        gatheredBytes += chunk.length;
        if (gatheredBytes >= WRITE_CHUNK_BYTES) await writeGathered();
      }
      await writeGathered();
      await writing;
    } catch (error) {
      await writing.catch(() => undefined);
      // tus answers with the status and body it would give for its own store's failed write.
      throw Object.assign(new Error('Writing the upload failed', { cause: error }), ERRORS.FILE_WRITE_ERROR);
    } finally {
      await file.close();
    }
    if (entry) {
      entry.length = position;
      this.keep(id, entry);
    }
    return position;
  }

  /**
   * The SHA-256 of an upload whose `size` bytes all went through one unbroken run of writes, or
   * null (read the file instead). Forgets the running hash either way.
   */
  takeDigest(id: string, size: number): string | null {
    const entry = this.running.get(id);
    this.running.delete(id);
    return entry && entry.length === size ? entry.hash.digest('hex') : null;
  }

  private keep(id: string, entry: RunningHash): void {
    this.running.set(id, entry);
    if (this.running.size > MAX_RUNNING) this.running.delete(this.running.keys().next().value!);
  }
}
