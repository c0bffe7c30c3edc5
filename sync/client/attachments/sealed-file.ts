/**
 * How the attachment store keeps a file encrypted at rest: a 32-byte header (magic, the id of the
 * file's own random 256-bit key, a random nonce prefix), then the contents in AES-256-GCM chunks of
 * 64 KiB plaintext, each with its 16-byte tag. A chunk's nonce is the prefix and its index; its
 * associated data is the header and whether it is the last chunk, so a chunk moved, swapped into
 * another file, or a file cut after a chunk all fail authentication. Fixed-size chunks let a byte
 * range be served by decrypting only the chunks it touches.
 *
 * The keys are not here: they live in the (encrypted) mirror, found by the id in the header
 * (file-keys.ts). A file without the magic is a plain file from before, read as it is.
 *
 * The same bytes are what an upload sends and a download receives (docs/protocol.md, attachments):
 * the server stores the sealed file as it is, and the message carries its key and SHA-256.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  CHUNK_TAG_BYTES as TAG_BYTES,
  chunkCount,
  PLAIN_CHUNK_BYTES,
  plainSizeOfSealed,
  SEALED_CHUNK_BYTES,
  SEALED_HEADER_BYTES,
  sealedSizeOf,
} from '../../protocol/sealed-format.js';

export { chunkCount, PLAIN_CHUNK_BYTES, SEALED_CHUNK_BYTES, sealedSizeOf };

export const SEALED_MAGIC = Buffer.from('MSGRSEA1', 'latin1');
const KEY_ID_BYTES = 16;
const NONCE_PREFIX_BYTES = 8;
/** The magic (8 bytes), the key id (16) and the nonce prefix (8). */
export const HEADER_BYTES = SEALED_HEADER_BYTES;
export const KEY_BYTES = 32;

/** A file's key and the header naming it; `keyId` is its hex, as the mirror stores it. */
export interface FileSeal {
  keyId: string;
  key: Buffer;
  header: Buffer;
}

/** A new random key for one file. */
export function newSeal(): FileSeal {
  const keyIdBytes = randomBytes(KEY_ID_BYTES);
  const header = Buffer.concat([SEALED_MAGIC, keyIdBytes, randomBytes(NONCE_PREFIX_BYTES)]);
  return { keyId: keyIdBytes.toString('hex'), key: randomBytes(KEY_BYTES), header };
}

/** Whether a file's first bytes are a sealed file's header (else it is a plain file from before). */
export function isSealedHeader(head: Buffer): boolean {
  return head.length >= HEADER_BYTES && head.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC);
}

/** The key id a sealed header names. */
export function keyIdOf(header: Buffer): string {
  return header.subarray(SEALED_MAGIC.length, SEALED_MAGIC.length + KEY_ID_BYTES).toString('hex');
}

export class SealedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedFileError';
  }
}

/** Plaintext bytes in a sealed file of `fileSize` bytes; throws for a length no sealed file has. */
export function plainSizeOf(fileSize: number): number {
  const plain = plainSizeOfSealed(fileSize);
  if (plain === null) throw new SealedFileError('The file is cut short');
  return plain;
}

function nonceOf(header: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  header.copy(nonce, 0, HEADER_BYTES - NONCE_PREFIX_BYTES, HEADER_BYTES);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  return nonce;
}

function aadOf(header: Buffer, last: boolean): Buffer {
  return Buffer.concat([header, Buffer.from([last ? 1 : 0])]);
}

/**
 * One sealed chunk as its two parts, ciphertext then tag, so a writer can hand both to the file
 * without first copying them into one buffer.
 */
export function sealChunk(seal: FileSeal, index: number, plain: Uint8Array, last: boolean): [Buffer, Buffer] {
  const cipher = createCipheriv('aes-256-gcm', seal.key, nonceOf(seal.header, index));
  cipher.setAAD(aadOf(seal.header, last));
  const ciphertext = cipher.update(plain);
  // GCM has nothing left to add at the end: all the ciphertext came from update().
  cipher.final();
  return [ciphertext, cipher.getAuthTag()];
}

/** The plaintext of one chunk; throws SealedFileError when it was altered, moved or cut. */
export function openChunk(seal: FileSeal, index: number, sealed: Uint8Array, last: boolean): Buffer {
  if (sealed.length < TAG_BYTES) throw new SealedFileError(`Chunk ${index} is cut short`);
  const decipher = createDecipheriv('aes-256-gcm', seal.key, nonceOf(seal.header, index));
  decipher.setAAD(aadOf(seal.header, last));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    // Checks the tag (GCM adds no bytes at the end): until it passes, `plain` is never handed out.
    decipher.final();
    return plain;
  } catch {
    throw new SealedFileError(`Chunk ${index} was altered or does not belong to this file`);
  }
}

/**
 * Encrypts a stream of plaintext into the sealed format, from chunk `firstChunk` on (0 writes the
 * header first; more continues a partial file whose earlier chunks are already on disk). A chunk
 * is held back until more follows, so only the end of the stream (flush) writes the last chunk:
 * a stream cut short leaves only whole, non-last chunks behind.
 */
export class SealingStream extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index: number;

  constructor(
    private readonly seal: FileSeal,
    firstChunk = 0,
  ) {
    super();
    this.index = firstChunk;
    if (firstChunk === 0) this.push(seal.header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > PLAIN_CHUNK_BYTES) {
      let buffered = Buffer.concat(this.pending);
      while (buffered.length > PLAIN_CHUNK_BYTES) {
        for (const part of sealChunk(this.seal, this.index++, buffered.subarray(0, PLAIN_CHUNK_BYTES), false)) this.push(part);
        buffered = buffered.subarray(PLAIN_CHUNK_BYTES);
      }
      this.pending = [buffered];
      this.pendingBytes = buffered.length;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    for (const part of sealChunk(this.seal, this.index++, Buffer.concat(this.pending), true)) this.push(part);
    callback();
  }
}
