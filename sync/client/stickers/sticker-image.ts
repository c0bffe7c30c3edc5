/**
 * A sticker's picture: a PNG, APNG, WebP (animated too) or GIF the person picked, fit into the
 * 512×512 WebP every sticker is, on the sender's device, so every recipient gets the same small
 * file (docs/say-more-design.md § Stickers). An animation stays animated, its frames' timing kept;
 * libvips reads an APNG's first frame only, so an APNG becomes a still sticker.
 *
 * The picture's size is read from its header before anything decodes it: a small file can declare
 * a picture (or thousands of frames) that takes gigabytes to decode.
 */
import type { Sharp, SharpOptions } from 'sharp';

export const STICKER_SIZE = 512;
/** The largest file a sticker is made from; a bigger one is refused before it is read. */
export const MAX_STICKER_INPUT_BYTES = 16 * 1024 * 1024;
/** The most pixels a picked picture may have, its frames counted together (as for received images). */
export const MAX_STICKER_INPUT_PIXELS = 50_000_000;
/** The most frames a sticker keeps: each is a 512×512 picture to encode and, on every recipient, to show. */
export const MAX_STICKER_FRAMES = 200;
/** The largest sticker file sent: above it, one more try at a lower quality, then a refusal. */
export const MAX_STICKER_BYTES = 1024 * 1024;

export type StickerImageRefusal = 'sticker_not_an_image' | 'sticker_too_large' | 'sticker_too_many_pixels';

export class StickerImageError extends Error {
  constructor(readonly code: StickerImageRefusal) {
    super(code);
    this.name = 'StickerImageError';
  }
}

/** The formats a sticker is made from; anything else (JPEG, SVG, TIFF…) is refused unread. */
const STICKER_INPUT_FORMATS: ReadonlySet<string> = new Set(['png', 'webp', 'gif']);
const QUALITIES = [80, 50] as const;

type SharpFactory = (input: Uint8Array, options: SharpOptions) => Sharp;
let sharpLoading: Promise<SharpFactory> | undefined;

/** sharp and its libvips load on the first sticker made, not when the core starts. */
function loadSharp(): Promise<SharpFactory> {
  sharpLoading ??= import('sharp').then((module) => module.default);
  return sharpLoading;
}

/** The picture as a 512×512 WebP (fit inside, transparent around it); throws StickerImageError. */
export async function toStickerWebp(input: Uint8Array): Promise<{ bytes: Uint8Array; animated: boolean }> {
  if (input.byteLength > MAX_STICKER_INPUT_BYTES) throw new StickerImageError('sticker_too_large');
  const sharp = await loadSharp();
  const frames = await judgeHeader(sharp, input);
  const animated = frames > 1;
  for (const quality of QUALITIES) {
    const bytes = await encode(sharp, input, animated, quality);
    if (bytes.byteLength <= MAX_STICKER_BYTES) return { bytes, animated };
  }
  throw new StickerImageError('sticker_too_large');
}

/** The picture's frame count, once its header shows a format and a size within the budget. */
async function judgeHeader(sharp: SharpFactory, input: Uint8Array): Promise<number> {
  let metadata;
  try {
    metadata = await sharp(input, { animated: true, limitInputPixels: false }).metadata();
  } catch {
    throw new StickerImageError('sticker_not_an_image');
  }
  if (!STICKER_INPUT_FORMATS.has(metadata.format)) throw new StickerImageError('sticker_not_an_image');
  const frames = metadata.pages ?? 1;
  const frameHeight = metadata.pageHeight ?? metadata.height;
  if (!(metadata.width > 0 && frameHeight > 0)) throw new StickerImageError('sticker_not_an_image');
  if (frames > MAX_STICKER_FRAMES || metadata.width * frameHeight * frames > MAX_STICKER_INPUT_PIXELS) {
    throw new StickerImageError('sticker_too_many_pixels');
  }
  return frames;
}

async function encode(sharp: SharpFactory, input: Uint8Array, animated: boolean, quality: number): Promise<Uint8Array> {
  try {
    const output = await sharp(input, { animated, limitInputPixels: MAX_STICKER_INPUT_PIXELS, failOn: 'error' })
      .resize(STICKER_SIZE, STICKER_SIZE, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .webp({ quality, effort: 4 })
      .toBuffer();
    return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
  } catch {
    // The header was fine but the data behind it is not (cut short, corrupt).
    throw new StickerImageError('sticker_not_an_image');
  }
}
