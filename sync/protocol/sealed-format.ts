/**
 * The size arithmetic of a sealed file (client/attachments/sealed-file.ts): how a file is encrypted
 * at rest and, the same bytes, how it travels. A 32-byte header, then AES-256-GCM chunks of 64 KiB
 * plaintext, each followed by its 16-byte tag. Pure, so the message schema can check that a
 * declared size is one a sealed file can have, and show people the size of what they will get.
 */
export const SEALED_HEADER_BYTES = 32;
export const PLAIN_CHUNK_BYTES = 64 * 1024;
export const CHUNK_TAG_BYTES = 16;
export const SEALED_CHUNK_BYTES = PLAIN_CHUNK_BYTES + CHUNK_TAG_BYTES;

/** Chunks of a file of `plainSize` bytes: at least one (an empty file is one empty last chunk). */
export function chunkCount(plainSize: number): number {
  return Math.max(1, Math.ceil(plainSize / PLAIN_CHUNK_BYTES));
}

/** How many bytes a sealed file of `plainSize` plaintext bytes has. */
export function sealedSizeOf(plainSize: number): number {
  return SEALED_HEADER_BYTES + chunkCount(plainSize) * CHUNK_TAG_BYTES + plainSize;
}

/** Plaintext bytes in a sealed file of `sealedSize` bytes; null for a length no sealed file has. */
export function plainSizeOfSealed(sealedSize: number): number | null {
  const body = sealedSize - SEALED_HEADER_BYTES;
  const full = Math.floor(body / SEALED_CHUNK_BYTES);
  const rest = body % SEALED_CHUNK_BYTES;
  if (body < CHUNK_TAG_BYTES || (rest !== 0 && rest < CHUNK_TAG_BYTES)) return null;
  return full * PLAIN_CHUNK_BYTES + (rest === 0 ? 0 : rest - CHUNK_TAG_BYTES);
}
