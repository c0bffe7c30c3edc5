/**
 * What a download checks as its bytes come (BlobStore.commitIncoming's rule), so that the file is
 * never read back: their SHA-256 and size, and that every chunk opens under the message's key
 * (sealed-file.ts). Reading a 100 MiB file twice more after writing it took longer than the
 * download itself.
 */
import { createHash } from 'node:crypto';
import { chunkCount, plainSizeOfSealed, SEALED_CHUNK_BYTES } from '../../protocol/sealed-format.js';
import { HEADER_BYTES, isSealedHeader, keyIdOf, openChunk, SealedFileError, type FileSeal } from './sealed-file.js';

/** The bytes as they came: their digest and size, and the key id their header names or why they do not open. */
export interface CheckedIncoming {
  sha256: string;
  size: number;
  opened: { keyId: string } | { problem: string };
}

export class IncomingCheck {
  private readonly hash = createHash('sha256');
  private size = 0;
  private seal: FileSeal | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  private readonly chunks: number | null;
  private problem: string | null = null;

  constructor(
    private readonly key: Buffer,
    /** The sealed size the message declares. */
    private readonly expectedSize: number,
  ) {
    const plainSize = plainSizeOfSealed(expectedSize);
    this.chunks = plainSize === null ? null : chunkCount(plainSize);
    if (this.chunks === null) this.problem = 'The file is not a sealed file';
  }

  update(bytes: Buffer): void {
    this.hash.update(bytes);
    this.size += bytes.length;
    if (this.problem !== null) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (!this.seal) {
      if (this.pendingBytes < HEADER_BYTES) return;
      const buffered = Buffer.concat(this.pending);
      const header = buffered.subarray(0, HEADER_BYTES);
      if (!isSealedHeader(header)) {
        this.fail('The file is not a sealed file');
        return;
      }
      this.seal = { keyId: keyIdOf(header), key: this.key, header: Buffer.from(header) };
      this.pending = [buffered.subarray(HEADER_BYTES)];
      this.pendingBytes -= HEADER_BYTES;
    }
    this.openWhole();
  }

  finish(): CheckedIncoming {
    if (this.problem === null && (this.size !== this.expectedSize || this.index !== this.chunks)) {
      this.problem = 'The file is not a sealed file';
    }
    return {
      sha256: this.hash.digest('hex'),
      size: this.size,
      opened: this.problem === null && this.seal ? { keyId: this.seal.keyId } : { problem: this.problem ?? 'Nothing came' },
    };
  }

  /** Opens every chunk the pending bytes hold whole (the last one once the declared size is in). */
  private openWhole(): void {
    const seal = this.seal!;
    const chunks = this.chunks!;
    while (this.index < chunks) {
      const last = this.index === chunks - 1;
      const length = last ? this.expectedSize - HEADER_BYTES - this.index * SEALED_CHUNK_BYTES : SEALED_CHUNK_BYTES;
      if (this.pendingBytes < length) return;
      const buffered = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      try {
        openChunk(seal, this.index, buffered.subarray(0, length), last);
      } catch (error) {
        this.fail(`The file does not open with its key: ${error instanceof SealedFileError ? error.message : String(error)}`);
        return;
      }
      this.index += 1;
      this.pending = [buffered.subarray(length)];
      this.pendingBytes -= length;
    }
    // Bytes past the last chunk: more than the file declared.
    if (this.pendingBytes > 0) this.fail('The file is longer than declared');
  }

  private fail(problem: string): void {
    this.problem = problem;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
