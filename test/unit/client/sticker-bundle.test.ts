/**
 * A sticker pack's bundle (issue 33): it opens only with its pack's key and id, and a stranger's
 * bundle — wrong key, cut, altered, a huge or malformed manifest, a sticker that is not a small
 * WebP — is refused with a code, never half-read.
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBundle, sealBundle, StickerBundleError, type BundledSticker } from '../../../sync/client/stickers/sticker-bundle.js';

const packId = 'a'.repeat(32);
const packKey = randomBytes(32);
const nonce = () => randomBytes(12);
let stickers: BundledSticker[];

const webp = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } })
    .webp()
    .toBuffer()
    .then((bytes) => new Uint8Array(bytes));

beforeAll(async () => {
  stickers = [
    { id: '1'.repeat(32), emoji: '🎉', bytes: await webp(512, 512) },
    { id: '2'.repeat(32), bytes: await webp(512, 200) },
  ];
});

function refusal(open: () => unknown): string {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(StickerBundleError);
    return (error as StickerBundleError).code;
  }
  throw new Error('it opened');
}

/** A bundle sealed properly under the pack key around whatever plaintext a stranger chose. */
function sealedPlain(plain: Buffer): Buffer {
  const key = Buffer.from(hkdfSync('sha256', packKey, Buffer.alloc(0), 'messenger sticker bundle', 32));
  const iv = nonce();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([Buffer.from('MSGRSTK1'), Buffer.from(packId)]));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from('MSGRSTK1'), iv, body, cipher.getAuthTag()]);
}

function withManifest(manifest: unknown, ...parts: Uint8Array[]): Buffer {
  const json = Buffer.from(JSON.stringify(manifest));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return sealedPlain(Buffer.concat([length, json, ...parts]));
}

describe('a sticker pack’s bundle', () => {
  it('opens with its pack key to its name and stickers, in order', () => {
    const opened = openBundle(sealBundle({ packId, packKey, name: 'Party', stickers }, nonce()), { packId, packKey });
    expect(opened.name).toBe('Party');
    expect(opened.stickers.map(({ id, emoji }) => [id, emoji])).toEqual([
      ['1'.repeat(32), '🎉'],
      ['2'.repeat(32), undefined],
    ]);
    expect(Buffer.from(opened.stickers[1]!.bytes).equals(Buffer.from(stickers[1]!.bytes))).toBe(true);
  });

  it('does not open with another key, as another pack, altered or cut', () => {
    const bundle = sealBundle({ packId, packKey, name: 'Party', stickers }, nonce());
    expect(refusal(() => openBundle(bundle, { packId, packKey: randomBytes(32) }))).toBe('sticker_pack_wrong_key');
    expect(refusal(() => openBundle(bundle, { packId: 'b'.repeat(32), packKey }))).toBe('sticker_pack_wrong_key');
    const altered = Buffer.from(bundle);
    altered[100]! ^= 1;
    expect(refusal(() => openBundle(altered, { packId, packKey }))).toBe('sticker_pack_wrong_key');
    expect(refusal(() => openBundle(bundle.subarray(0, 30), { packId, packKey }))).toBe('sticker_pack_malformed');
    expect(refusal(() => openBundle(Buffer.from('not a bundle at all, just some text'), { packId, packKey }))).toBe(
      'sticker_pack_malformed',
    );
  });

  it('refuses a manifest that is huge, not JSON, not a manifest, or whose sizes do not add up', () => {
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0xffffffff);
    expect(refusal(() => openBundle(sealedPlain(Buffer.concat([huge, Buffer.alloc(100)])), { packId, packKey }))).toBe(
      'sticker_pack_malformed',
    );
    const notJson = Buffer.from('{{{');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(notJson.length);
    expect(refusal(() => openBundle(sealedPlain(Buffer.concat([length, notJson])), { packId, packKey }))).toBe(
      'sticker_pack_malformed',
    );
    const one = stickers[0]!;
    const entry = { id: one.id, bytes: one.bytes.length };
    const tooMany = Array.from({ length: 201 }, (_, i) => ({ ...entry, id: i.toString(16).padStart(32, '0') }));
    for (const manifest of [
      { name: 'P', stickers: tooMany },
      { name: 'P', stickers: [entry, entry] },
      { name: '', stickers: [entry] },
      { name: 'P', stickers: [{ ...entry, bytes: one.bytes.length + 1 }] },
      { name: 'P', stickers: [{ ...entry, bytes: one.bytes.length - 1 }] },
    ]) {
      expect(
        refusal(() => openBundle(withManifest(manifest, one.bytes), { packId, packKey })),
        JSON.stringify(manifest).slice(0, 80),
      ).toBe('sticker_pack_malformed');
    }
  });

  it('refuses a sticker that is not a WebP, or one whose canvas is larger than 512×512', async () => {
    const png = new Uint8Array(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
        .png()
        .toBuffer(),
    );
    const big = await webp(2000, 10);
    for (const bytes of [png, big]) {
      expect(
        refusal(() =>
          openBundle(withManifest({ name: 'P', stickers: [{ id: '1'.repeat(32), bytes: bytes.length }] }, bytes), {
            packId,
            packKey,
          }),
        ),
      ).toBe('sticker_not_webp');
    }
  });
});
