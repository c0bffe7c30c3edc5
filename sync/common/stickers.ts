/**
 * A sticker pack's shape (issue 33), pure so that the content rules, the core and the renderer
 * agree on it: a pack is a name and up to 200 stickers, each a WebP of at most 512×512 with an
 * optional emoji, under a random id and a random 32-byte pack key. A sticker message names its
 * pack, key and sticker beside two files: the sticker alone, and the pack's bundle (the manifest
 * and every sticker, sealed under the pack key: client/stickers/sticker-bundle.ts).
 */
import { z } from 'zod';
import { fileKeyBase64 } from '../protocol/attachments.js';
import { emoji } from '../protocol/frames.js';
import { wellFormed, WELL_FORMED } from '../protocol/wire-types.js';

export const STICKER_LIMITS = {
  maxStickers: 200,
  maxNameChars: 64,
  side: 512,
  /** One converted sticker; an animated 512×512 WebP rarely comes near. */
  maxStickerBytes: 1024 * 1024,
  /** The bundle's manifest, so a stranger's cannot make a device parse megabytes of JSON. */
  maxManifestBytes: 64 * 1024,
} as const;

/** The bundle: a full pack's stickers, its manifest and the sealing around them. */
export const MAX_BUNDLE_BYTES = STICKER_LIMITS.maxStickers * STICKER_LIMITS.maxStickerBytes + STICKER_LIMITS.maxManifestBytes;

/** A pack's or a sticker's id: 16 random bytes in lowercase hex. */
export const stickerId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex');
export const packId = stickerId;

/** A pack's name: plain text on one line. */
export const packName = z
  .string()
  .min(1)
  .max(STICKER_LIMITS.maxNameChars)
  .refine((name) => name.trim() === name && !/[\r\n]/.test(name), 'one line, trimmed')
  .refine(wellFormed, WELL_FORMED);

/** What a sticker message carries besides its two files (the sticker, then the bundle). */
export const stickerDefinitionSchema = z.object({ packId, packKey: fileKeyBase64, stickerId, emoji: emoji.optional() }).strict();
export type StickerDefinition = z.infer<typeof stickerDefinitionSchema>;

/** The bundle's manifest: the pack's name and its stickers in order, each with its size in the bundle. */
export const stickerManifestSchema = z
  .object({
    name: packName,
    stickers: z
      .array(
        z
          .object({ id: stickerId, emoji: emoji.optional(), bytes: z.number().int().min(1).max(STICKER_LIMITS.maxStickerBytes) })
          .strict(),
      )
      .min(1)
      .max(STICKER_LIMITS.maxStickers)
      .refine((stickers) => new Set(stickers.map((sticker) => sticker.id)).size === stickers.length, 'sticker ids are unique'),
  })
  .strict();
export type StickerManifest = z.infer<typeof stickerManifestSchema>;

/** The files a sticker message carries, as its content declares them. */
interface DeclaredFile {
  kind: string;
  mime: string;
  width?: number | undefined;
  height?: number | undefined;
}

/** Whether a message's files are a sticker's: the sticker (a WebP of at most 512×512), then the bundle. */
export function isStickerFiles(files: readonly DeclaredFile[] | undefined): boolean {
  if (files?.length !== 2) return false;
  const [sticker, bundle] = files as [DeclaredFile, DeclaredFile];
  return (
    sticker.kind === 'image' &&
    sticker.mime === 'image/webp' &&
    (sticker.width ?? Infinity) <= STICKER_LIMITS.side &&
    (sticker.height ?? Infinity) <= STICKER_LIMITS.side &&
    bundle.kind === 'file'
  );
}

/**
 * A WebP's canvas size from its header, or null when the bytes are not a WebP. Read before
 * anything decodes a stranger's sticker, so one that claims a huge canvas is refused unopened.
 */
export function webpSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 30 || ascii(bytes, 0, 4) !== 'RIFF' || ascii(bytes, 8, 12) !== 'WEBP') return null;
  const chunk = ascii(bytes, 12, 16);
  const u24 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
  if (chunk === 'VP8X') return { width: u24(24) + 1, height: u24(27) + 1 };
  if (chunk === 'VP8L' && bytes[20] === 0x2f) {
    const bits = bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ' && bytes[23] === 0x9d && bytes[24] === 0x01 && bytes[25] === 0x2a) {
    return { width: (bytes[26]! | (bytes[27]! << 8)) & 0x3fff, height: (bytes[28]! | (bytes[29]! << 8)) & 0x3fff };
  }
  return null;
}

/** Whether bytes are a sticker as every device accepts one: a WebP no larger than 512×512. */
export function isStickerWebp(bytes: Uint8Array): boolean {
  const size = webpSize(bytes);
  return size !== null && size.width <= STICKER_LIMITS.side && size.height <= STICKER_LIMITS.side;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}
