/**
 * A sticker's picture as every device receives it: whatever the person chose (PNG, APNG, WebP,
 * animated WebP, GIF) fit inside 512×512 on transparent padding, as WebP, converted here in the
 * core with sharp so no renderer decodes a stranger's file. The header is judged against a pixel
 * budget before anything is decoded, so an image bomb is refused rather than expanded.
 *
 * Temporary stand-in with the lead's agreed signature; the lead's file replaces it.
 */
import sharp from 'sharp';

export const STICKER_SIZE = 512;
export const MAX_STICKER_INPUT_BYTES = 16 * 1024 * 1024;
/** Every frame of the input together: a 4096² still or about 60 frames of 1024². */
const MAX_INPUT_PIXELS = 64 * 1024 * 1024;
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['png', 'webp', 'gif']);

export type StickerImageRefusal = 'sticker_not_an_image' | 'sticker_too_large' | 'sticker_too_many_pixels';

export class StickerImageError extends Error {
  constructor(readonly code: StickerImageRefusal) {
    super(code);
    this.name = 'StickerImageError';
  }
}

/** Any PNG/APNG/WebP/GIF → a 512×512 WebP (fit inside, transparent padding), animated stays animated. */
export async function toStickerWebp(input: Uint8Array): Promise<{ bytes: Uint8Array; animated: boolean }> {
  if (input.byteLength > MAX_STICKER_INPUT_BYTES) throw new StickerImageError('sticker_too_large');
  const source = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // Reads only the header: nothing is decoded until the pixels are known to fit the budget.
  const metadata = await sharp(source, { animated: true, limitInputPixels: false })
    .metadata()
    .catch(() => null);
  if (!metadata?.format || !ACCEPTED_FORMATS.has(metadata.format) || !metadata.width || !metadata.height) {
    throw new StickerImageError('sticker_not_an_image');
  }
  // With animated: true, height is every frame stacked, so this counts all the frames' pixels.
  if (metadata.width * metadata.height > MAX_INPUT_PIXELS) throw new StickerImageError('sticker_too_many_pixels');
  const animated = (metadata.pages ?? 1) > 1;
  try {
    const output = await sharp(source, { animated, limitInputPixels: MAX_INPUT_PIXELS })
      .resize(STICKER_SIZE, STICKER_SIZE, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .webp({ quality: 80 })
      .toBuffer();
    return { bytes: new Uint8Array(output), animated };
  } catch {
    throw new StickerImageError('sticker_not_an_image');
  }
}
