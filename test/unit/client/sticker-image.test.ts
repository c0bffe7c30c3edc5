import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  StickerImageError,
  toStickerWebp,
  STICKER_SIZE,
  MAX_STICKER_INPUT_BYTES,
} from '../../../sync/client/stickers/sticker-image.js';
import { pngChunk } from '../../support/png-chunk.js';

const red = { r: 255, g: 0, b: 0, alpha: 1 };

function still(width: number, height: number, format: 'png' | 'webp' | 'gif'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: red } })
    .toFormat(format)
    .toBuffer();
}

/** Three 40×40 frames of different colours, as an animation of `format`. */
async function animation(format: 'gif' | 'webp'): Promise<Buffer> {
  const frames = await Promise.all(
    [255, 120, 0].map((r) =>
      sharp({ create: { width: 40, height: 40, channels: 4, background: { ...red, r } } })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(frames, { join: { animated: true } })
    .toFormat(format, { loop: 0 })
    .toBuffer();
}

/** A PNG whose header says 20000×20000: it would decode to 1.6 GB, though its data is a few bytes. */
function pngBomb(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(20_000, 0);
  header.writeUInt32BE(20_000, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

async function refusal(input: Uint8Array): Promise<string> {
  const error: unknown = await toStickerWebp(input).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(StickerImageError);
  return (error as StickerImageError).code;
}

describe('toStickerWebp', () => {
  it.each(['png', 'webp', 'gif'] as const)('fits a still %s inside 512×512 as WebP, padded', async (format) => {
    const { bytes, animated } = await toStickerWebp(await still(300, 100, format));
    const out = await sharp(bytes).metadata();
    expect([out.format, out.width, out.height, animated]).toEqual(['webp', STICKER_SIZE, STICKER_SIZE, false]);
    expect(out.hasAlpha).toBe(true);
  });

  it.each(['gif', 'webp'] as const)('keeps an animated %s animated', async (format) => {
    const { bytes, animated } = await toStickerWebp(await animation(format));
    const out = await sharp(bytes, { animated: true }).metadata();
    expect([animated, out.format, out.pages, out.width, out.pageHeight]).toEqual([true, 'webp', 3, STICKER_SIZE, STICKER_SIZE]);
  });

  it('refuses what is not a PNG, WebP or GIF', async () => {
    expect(await refusal(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('sticker_not_an_image');
    expect(
      await refusal(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: red } })
          .jpeg()
          .toBuffer(),
      ),
    ).toBe('sticker_not_an_image');
    expect(await refusal(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]))).toBe('sticker_not_an_image');
  });

  it('refuses an input over 16 MiB before reading it', async () => {
    expect(await refusal(new Uint8Array(MAX_STICKER_INPUT_BYTES + 1))).toBe('sticker_too_large');
  });

  it('refuses an image bomb from its header, without decoding it', async () => {
    expect(await refusal(pngBomb())).toBe('sticker_too_many_pixels');
  });
});
