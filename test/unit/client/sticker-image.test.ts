import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  MAX_STICKER_FRAMES,
  MAX_STICKER_INPUT_BYTES,
  STICKER_SIZE,
  StickerImageError,
  toStickerWebp,
} from '../../../sync/client/stickers/sticker-image.js';
import { zeroPng } from '../../support/png-bomb.js';

const RED = { r: 255, g: 0, b: 0, alpha: 1 };
const BLUE = { r: 0, g: 0, b: 255, alpha: 1 };

function solid(width: number, height: number, background: typeof RED): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background } })
    .png()
    .toBuffer();
}

/** An animation of `frames` frames alternating red and blue, 100 ms each, in GIF or WebP. */
async function animation(frames: number, format: 'gif' | 'webp', width = 40, height = 20): Promise<Buffer> {
  const stills = await Promise.all(Array.from({ length: frames }, (_, index) => solid(width, height, index % 2 ? BLUE : RED)));
  const joined = sharp(stills, { join: { animated: true } });
  const delay = Array.from({ length: frames }, () => 100);
  return format === 'gif' ? joined.gif({ delay }).toBuffer() : joined.webp({ delay }).toBuffer();
}

async function refusal(input: Uint8Array): Promise<string> {
  const error: unknown = await toStickerWebp(input).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StickerImageError);
  return (error as StickerImageError).code;
}

/** The RGBA pixel at (x, y) of a WebP's first frame. */
async function pixel(webp: Uint8Array, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(webp).raw().ensureAlpha().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * 4;
  return [...data.subarray(at, at + 4)];
}

describe('a sticker made from a picked picture', () => {
  it('fits a still PNG into a 512×512 WebP, transparent around it', async () => {
    const sticker = await toStickerWebp(await solid(100, 50, RED));

    expect(sticker.animated).toBe(false);
    const metadata = await sharp(sticker.bytes).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['webp', STICKER_SIZE, STICKER_SIZE]);
    // 100×50 grows to 512×256, centred: the top rows are padding, the middle is the picture.
    expect((await pixel(sticker.bytes, 5, 5))[3]).toBe(0);
    const [red, green, blue, alpha] = await pixel(sticker.bytes, 256, 256);
    expect(alpha).toBe(255);
    expect(red).toBeGreaterThan(200);
    expect(green! + blue!).toBeLessThan(60);
  });

  it.each(['gif', 'webp'] as const)('keeps an animated %s animated, every frame 512×512 and its timing', async (format) => {
    const sticker = await toStickerWebp(await animation(3, format));

    expect(sticker.animated).toBe(true);
    const metadata = await sharp(sticker.bytes, { animated: true }).metadata();
    expect(metadata.format).toBe('webp');
    expect(metadata.pages).toBe(3);
    expect([metadata.width, metadata.pageHeight]).toEqual([STICKER_SIZE, STICKER_SIZE]);
    expect(metadata.delay).toEqual([100, 100, 100]);
  });

  it('refuses what is not a PNG, WebP or GIF, unread', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: RED } })
      .jpeg()
      .toBuffer();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');

    expect(await refusal(jpeg)).toBe('sticker_not_an_image');
    expect(await refusal(svg)).toBe('sticker_not_an_image');
    expect(await refusal(Buffer.from('not a picture at all'))).toBe('sticker_not_an_image');
    expect(await refusal(new Uint8Array(0))).toBe('sticker_not_an_image');
  });

  it('refuses a PNG whose header is fine but whose data is cut short', async () => {
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: RED } })
      .png({ compressionLevel: 0 })
      .toBuffer();

    expect(await refusal(png.subarray(0, png.length / 2))).toBe('sticker_not_an_image');
  });

  it('refuses a picture that declares more pixels than the budget before decoding it', async () => {
    expect(await refusal(await zeroPng(20_000, 20_000))).toBe('sticker_too_many_pixels');
  });

  it('refuses an animation of more frames than a sticker keeps, however small each is', async () => {
    expect(await refusal(await animation(MAX_STICKER_FRAMES + 1, 'gif', 2, 2))).toBe('sticker_too_many_pixels');
  });

  it('refuses a file larger than a sticker is made from before reading it', async () => {
    expect(await refusal(new Uint8Array(MAX_STICKER_INPUT_BYTES + 1))).toBe('sticker_too_large');
  });
});
