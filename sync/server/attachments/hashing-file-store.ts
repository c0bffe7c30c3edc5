import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { restrictFiles } from '../../node/private-files.js';

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
 * continue exactly where the running hash stopped (after a server restart, or one that wrote fewer
 * bytes than it read) drops the running hash, and the check reads the file from disk instead.
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

  override async write(readable: IncomingMessage | Readable, id: string, offset: number): Promise<number> {
    let entry = offset === 0 ? { hash: createHash('sha256'), length: 0 } : this.running.get(id);
    this.running.delete(id);
    if (entry && entry.length !== offset) entry = undefined;
    if (!entry) return super.write(readable, id, offset);

    const running = entry;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        running.hash.update(chunk);
        running.length += chunk.length;
        callback(null, chunk);
      },
    });
    // Errors on either side reach the store's own pipeline through `hashing`.
    const source = pipeline(readable, hashing, () => undefined);
    const written = await super.write(source, id, offset);
    if (written === running.length) this.keep(id, running);
    return written;
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
