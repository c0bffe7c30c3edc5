/**
 * A sticker pack's bundle: its manifest (name, sticker ids, emoji, sizes) and every sticker, one
 * file, so "Add sticker pack" is one download. Inside the attachment's own sealing it is sealed
 * again under a key derived from the pack key, bound to the pack's id: only the pack key a
 * sticker message carries opens it, and a bundle passed off as another pack's does not open.
 *
 * Layout: magic (8) | nonce (12) | AES-256-GCM of [manifest length (u32 BE) | manifest JSON |
 * the stickers' bytes in the manifest's order] | tag (16).
 *
 * Opening a stranger's bundle is bounded before anything is parsed: its size, the manifest's
 * size, the manifest's schema, the stickers' sizes adding up, each sticker a WebP of at most
 * 512×512 by its header. Every refusal is a code.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import {
  isStickerWebp,
  MAX_BUNDLE_BYTES,
  STICKER_LIMITS,
  stickerManifestSchema,
  type StickerManifest,
} from '../../common/stickers.js';

const MAGIC = Buffer.from('MSGRSTK1', 'latin1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const LENGTH_BYTES = 4;

export type StickerBundleRefusal =
  'sticker_pack_too_large' | 'sticker_pack_wrong_key' | 'sticker_pack_malformed' | 'sticker_not_webp';

export class StickerBundleError extends Error {
  constructor(readonly code: StickerBundleRefusal) {
    super(code);
    this.name = 'StickerBundleError';
  }
}

/** A sticker as the bundle holds it. */
export interface BundledSticker {
  id: string;
  emoji?: string | undefined;
  bytes: Uint8Array;
}

export interface OpenedBundle {
  name: string;
  stickers: BundledSticker[];
}

function bundleKey(packKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', packKey, Buffer.alloc(0), 'messenger sticker bundle', 32));
}

function aad(packId: string): Buffer {
  return Buffer.concat([MAGIC, Buffer.from(packId, 'latin1')]);
}

/** Seals a pack's name and stickers under its key; `nonce` is 12 random bytes (injected). */
export function sealBundle(
  pack: { packId: string; packKey: Buffer; name: string; stickers: readonly BundledSticker[] },
  nonce: Buffer,
): Buffer {
  const manifest: StickerManifest = stickerManifestSchema.parse({
    name: pack.name,
    stickers: pack.stickers.map(({ id, emoji, bytes }) => ({ id, ...(emoji ? { emoji } : {}), bytes: bytes.length })),
  });
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(json.length);
  const cipher = createCipheriv('aes-256-gcm', bundleKey(pack.packKey), nonce);
  cipher.setAAD(aad(pack.packId));
  const body = Buffer.concat([
    cipher.update(length),
    cipher.update(json),
    ...pack.stickers.map((sticker) => cipher.update(sticker.bytes)),
    cipher.final(),
  ]);
  return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
}

/** Opens a bundle with the pack key a sticker message (or a synced setting) carried. */
export function openBundle(bundle: Uint8Array, pack: { packId: string; packKey: Buffer }): OpenedBundle {
  if (bundle.length > MAX_BUNDLE_BYTES + MAGIC.length + NONCE_BYTES + TAG_BYTES)
    throw new StickerBundleError('sticker_pack_too_large');
  const bytes = Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const header = MAGIC.length + NONCE_BYTES;
  if (bytes.length < header + LENGTH_BYTES + TAG_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new StickerBundleError('sticker_pack_malformed');
  }
  const decipher = createDecipheriv('aes-256-gcm', bundleKey(pack.packKey), bytes.subarray(MAGIC.length, header));
  decipher.setAAD(aad(pack.packId));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(bytes.subarray(header, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new StickerBundleError('sticker_pack_wrong_key');
  }
  return parsePlain(plain);
}

function parsePlain(plain: Buffer): OpenedBundle {
  const manifestBytes = plain.readUInt32BE(0);
  if (manifestBytes > STICKER_LIMITS.maxManifestBytes || LENGTH_BYTES + manifestBytes > plain.length) {
    throw new StickerBundleError('sticker_pack_malformed');
  }
  let json: unknown;
  try {
    json = JSON.parse(plain.subarray(LENGTH_BYTES, LENGTH_BYTES + manifestBytes).toString('utf8'));
  } catch {
    throw new StickerBundleError('sticker_pack_malformed');
  }
  const manifest = stickerManifestSchema.safeParse(json);
  if (!manifest.success) throw new StickerBundleError('sticker_pack_malformed');
  let at = LENGTH_BYTES + manifestBytes;
  const total = manifest.data.stickers.reduce((sum, sticker) => sum + sticker.bytes, 0);
  if (at + total !== plain.length) throw new StickerBundleError('sticker_pack_malformed');
  const stickers = manifest.data.stickers.map(({ id, emoji, bytes }) => {
    const sticker = plain.subarray(at, (at += bytes));
    if (!isStickerWebp(sticker)) throw new StickerBundleError('sticker_not_webp');
    return { id, emoji, bytes: new Uint8Array(sticker) };
  });
  return { name: manifest.data.name, stickers };
}
