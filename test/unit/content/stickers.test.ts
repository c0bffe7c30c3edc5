/**
 * Stickers' shape (issue 33): what a sticker message may be, and the WebP header check every
 * device runs on a stranger's sticker before anything decodes it.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeContent } from '../../../sync/content/content.js';
import { refuseContent, type ChangeTarget, type ContentSender } from '../../../sync/content/rules.js';
import { isStickerWebp, webpSize } from '../../../sync/common/stickers.js';

const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
const file = { id: 'a'.repeat(32), sha256: 'b'.repeat(64), size: 1000, key: `${'k'.repeat(43)}=`, name: 'sticker.webp' };
const stickerFile = { ...file, mime: 'image/webp', kind: 'image', width: 512, height: 512 };
const bundleFile = { ...file, id: 'c'.repeat(32), name: 'sticker-pack', mime: 'application/octet-stream', kind: 'file' };
const definition = { packId: '1'.repeat(32), packKey: `${'p'.repeat(43)}=`, stickerId: '2'.repeat(32), emoji: '🎉' };

const sticker = (fields: object) =>
  bytes({ kind: 'message', text: '', attachments: [stickerFile, bundleFile], sticker: definition, ...fields });

describe('a sticker as content', () => {
  it('is a message with no text whose files are the sticker and its pack’s bundle', () => {
    expect(decodeContent(sticker({}))).toMatchObject({ text: '', sticker: definition });
    const { emoji: _emoji, ...withoutEmoji } = definition;
    expect(decodeContent(sticker({ sticker: withoutEmoji }))).toMatchObject({ sticker: withoutEmoji });
  });

  it('refuses one with text, other files, a sticker that is not a small WebP, or a malformed key', () => {
    for (const fields of [
      { text: 'hi' },
      { attachments: [stickerFile] },
      { attachments: [bundleFile, stickerFile] },
      { attachments: [{ ...stickerFile, mime: 'image/png' }, bundleFile] },
      { attachments: [{ ...stickerFile, width: 4096 }, bundleFile] },
      { attachments: [stickerFile, bundleFile, bundleFile] },
      { sticker: { ...definition, packKey: 'short' } },
      { sticker: { ...definition, packId: '../../etc' } },
      { sticker: { ...definition, emoji: 'not an emoji' } },
      { sticker: { ...definition, extra: 1 } },
      { location: { lat: 1, lon: 1 } },
    ]) {
      expect(() => decodeContent(sticker(fields)), JSON.stringify(fields)).toThrow();
    }
  });
});

describe('an edit of a sticker', () => {
  it('is refused on every device: a sticker has no text', () => {
    const ann: ContentSender = { id: 'ann', role: 'member', conversationKind: 'direct' };
    const annsSticker: ChangeTarget = { authorId: 'ann', deleted: false, senderEmojis: new Set(), poll: null, sticker: true };
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'now with words' }, ann, annsSticker)).toBe('not_allowed');
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'fine' }, ann, { ...annsSticker, sticker: false })).toBeNull();
  });
});

describe('a sticker’s WebP header', () => {
  const image = (width: number, height: number, options: { lossless?: boolean; alpha?: boolean } = {}) =>
    sharp({ create: { width, height, channels: options.alpha ? 4 : 3, background: { r: 9, g: 9, b: 9, alpha: 0.5 } } })
      .webp({ lossless: options.lossless ?? false })
      .toBuffer();

  it('reads the canvas of lossy, lossless and extended WebPs', async () => {
    expect(webpSize(await image(512, 300))).toEqual({ width: 512, height: 300 });
    expect(webpSize(await image(40, 512, { lossless: true }))).toEqual({ width: 40, height: 512 });
    expect(webpSize(await image(100, 7, { alpha: true }))).toEqual({ width: 100, height: 7 });
  });

  it('takes a WebP of at most 512×512 as a sticker, nothing else', async () => {
    expect(isStickerWebp(await image(512, 512))).toBe(true);
    expect(isStickerWebp(await image(513, 10))).toBe(false);
    expect(
      isStickerWebp(
        await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
          .png()
          .toBuffer(),
      ),
    ).toBe(false);
    expect(isStickerWebp(new Uint8Array(10))).toBe(false);
  });
});
