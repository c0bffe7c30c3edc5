/**
 * Adding a sticker pack from a stranger's sticker message (issue 33): a wrong pack key, a bundle
 * that is not one, or a sticker message naming a file that is not its pack's is refused with a
 * code, installs nothing and leaves what was installed as it was; the right key installs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../sync/client/attachments/blob-store.js';
import { composeAttachments } from '../../../sync/client/attachments/compose-attachments.js';
import type { Mirror } from '../../../sync/client/mirror/mirror.js';
import { StickerPacks } from '../../../sync/client/stickers/sticker-packs.js';
import type { StickerDefinition } from '../../../sync/common/stickers.js';
import { memoryFileKeys } from '../../support/file-keys.js';
import { createTestMirrors } from '../../support/test-mirror.js';

const mirrors = createTestMirrors();
const dirs: string[] = [];
afterEach(() => {
  mirrors.cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function device() {
  const dir = mkdtempSync(join(tmpdir(), 'sticker-packs-'));
  dirs.push(dir);
  const mirror = mirrors.open();
  const blobs = new BlobStore(dir, memoryFileKeys());
  const remembered: string[] = [];
  const packs = new StickerPacks({
    mirror,
    blobs,
    random: { next: Math.random, uuid: randomUUID, hex: (n) => randomBytes(n).toString('hex') },
    clock: { now: () => 1 },
    remember: (_conversationId, messageId) => remembered.push(messageId),
    download: () => undefined,
    installedFromSync: () => undefined,
    log: { warn: () => undefined },
  });
  return { mirror, blobs, packs, remembered };
}

/** A sticker message on `mirror` naming `sticker` with these two stored files, as if it had arrived. */
async function stickerMessage(on: { mirror: Mirror; blobs: BlobStore }, sticker: StickerDefinition, files: [string, string]) {
  const composed = await composeAttachments(
    on.blobs,
    [
      { sha256: files[0], name: 'sticker.webp', kind: 'image', width: 512, height: 512 },
      { sha256: files[1], name: 'sticker-pack', kind: 'file' },
    ],
    2 ** 31,
  );
  const messageId = randomUUID();
  on.mirror.enqueueMessage('c1', messageId, 'ann', '', null, 1, composed, null, null, null, sticker);
  return messageId;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = (await promise.catch((caught: unknown) => caught)) as { code?: string; message?: string };
  expect(error.code).toBe('refused');
  return error.message ?? '';
}

describe('adding a sticker pack from a message', () => {
  it('refuses a wrong key, a bundle that is not one and a sticker file offered as the bundle; the right key installs it', async () => {
    const ann = device();
    const png = await sharp({ create: { width: 64, height: 64, channels: 4, background: 'red' } })
      .png()
      .toBuffer();
    const picture = await ann.blobs.put(Readable.from([png]), 2 ** 20);
    const made = await ann.packs.create('Party', [{ sha256: picture.sha256, emoji: '🎉' }]);
    const stored = ann.mirror.stickerPacks.get(made.packId)!;
    const sticker = made.stickers[0]!;

    // Bob's device holds the same files, as if downloaded from Ann's message.
    const bob = device();
    const copy = async (sha256: string) => {
      const chunks: Buffer[] = [];
      for await (const chunk of ann.blobs.read(sha256) as AsyncIterable<Buffer>) chunks.push(chunk);
      return (await bob.blobs.put(Readable.from([Buffer.concat(chunks)]), 2 ** 31)).sha256;
    };
    const files: [string, string] = [await copy(sticker.sha256), await copy(stored.bundle)];
    const garbage = (await bob.blobs.put(Readable.from([randomBytes(5000)]), 2 ** 20)).sha256;
    const definition = { packId: made.packId, packKey: stored.packKey, stickerId: sticker.stickerId };

    const wrongKey = await stickerMessage(bob, { ...definition, packKey: randomBytes(32).toString('base64') }, files);
    expect(await refusal(bob.packs.add('c1', wrongKey, 'me'))).toBe('sticker_pack_wrong_key');
    const notABundle = await stickerMessage(bob, definition, [files[0], garbage]);
    expect(await refusal(bob.packs.add('c1', notABundle, 'me'))).toBe('sticker_pack_malformed');
    const stickerAsBundle = await stickerMessage(bob, definition, [files[0], files[0]]);
    expect(await refusal(bob.packs.add('c1', stickerAsBundle, 'me'))).toBe('sticker_pack_malformed');
    expect(bob.packs.list()).toEqual([]);
    expect(bob.remembered).toEqual([]);

    const right = await stickerMessage(bob, definition, files);
    const added = await bob.packs.add('c1', right, 'me');
    expect(added).toMatchObject({
      packId: made.packId,
      name: 'Party',
      stickers: [{ stickerId: sticker.stickerId, emoji: '🎉' }],
    });
    expect(bob.packs.list()).toEqual([added]);
    expect(bob.remembered).toEqual([right]);
  });
});
