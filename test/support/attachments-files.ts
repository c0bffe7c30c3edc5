/**
 * Files for attachment tests: made up, copied into a profile's store the way the hosts do it (so
 * the core finds them there), and read back to compare their SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newSeal, SealingStream } from '../../sync/client/attachments/sealed-file.js';
import { profileBlobStore } from './file-keys.js';

/** A 1×1 PNG; anything appended after it keeps it a PNG to file-type (and makes it as large as wanted). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Random bytes that no sniffer takes for a known type. */
export function fileBytes(size: number): Buffer {
  const bytes = randomBytes(size);
  bytes.write('plain data', 0);
  return bytes;
}

/** A PNG of about `size` bytes. */
export function imageBytes(size: number): Buffer {
  return Buffer.concat([PNG, randomBytes(Math.max(0, size - PNG.length))]);
}

export interface OriginalFile {
  /** Where the "picked" file was (outside the profile); deleting it must change nothing. */
  path: string;
  sha256: string;
  size: number;
}

/** Writes `bytes` as a file in `dir`, then copies it into the profile's store as the host does on attach. */
export async function attachFile(
  profileDir: string,
  dir: string,
  name: string,
  bytes: Buffer,
  /** The key of the profile's mirror, when it has one. */
  mirrorKey?: Uint8Array,
): Promise<OriginalFile> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const stored = await profileBlobStore(profileDir, mirrorKey).put(createReadStream(path), 2 ** 31);
  return { path, sha256: stored.sha256, size: stored.size };
}

/** The bytes of a stored file in a profile (decrypted), or null when they are not there. */
export async function storedBytes(profileDir: string, sha256: string, mirrorKey?: Uint8Array): Promise<Buffer | null> {
  const store = profileBlobStore(profileDir, mirrorKey);
  if (!(await store.has(sha256))) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of store.read(sha256) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** `bytes` sealed under a new key, as a client uploads a file, and the key (base64) its message carries. */
export async function sealedFile(bytes: Buffer): Promise<{ sealed: Buffer; key: string }> {
  const seal = newSeal();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from([bytes]).pipe(new SealingStream(seal)) as AsyncIterable<Buffer>) chunks.push(chunk);
  return { sealed: Buffer.concat(chunks), key: seal.key.toString('base64') };
}
