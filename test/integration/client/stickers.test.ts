/**
 * Sticker packs between real client cores and a real server (issue 33): a pack made from pictures
 * in the store, a sticker sent with its pack's bundle, the pack added on the other side from that
 * one download and a sticker sent back from it; a picture that is not one is refused by its code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { linked, online, twoTalking } from '../../support/people.js';
import { attachFile, storedBytes } from '../../support/attachments-files.js';
import type { MessageView } from '../../../sync/app-api/contract.js';
import { mirrorUserId, readMirrorAttachments } from '../../support/db-invariants.js';
import { collectUnreferencedUpload, uploadsOwnedBy } from '../../support/server-uploads.js';

const servers = createServerHarness();
const clients = createClientHarness();
const originals: string[] = [];
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
  await Promise.all(originals.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A picture the person chose, copied into their store as the host does. */
async function picture(core: TestCore, name: string, bytes: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sticker-pictures-'));
  originals.push(dir);
  return (await attachFile(core.profileDir, dir, name, bytes)).sha256;
}

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 1 } } })
    .png()
    .toBuffer();

async function messageWhere(core: TestCore, conversationId: string, accept: (m: MessageView) => boolean, what: string) {
  return eventually(
    async () => (await core.listMessages({ conversationId })).messages.find(accept),
    (found) => found !== undefined,
    what,
  ) as Promise<MessageView>;
}

describe('sticker packs', () => {
  it('a pack made by one is sent with a sticker, added by the other from its bundle, and used back', async () => {
    const { alice, bob, conversationId } = await twoTalking(servers, clients);
    const pack = await alice.core.createStickerPack({
      name: ' Party ',
      stickers: [
        { sha256: await picture(alice.core, 'wide.png', await png(1024, 256)), emoji: '🎉' },
        { sha256: await picture(alice.core, 'small.png', await png(40, 40)) },
      ],
    });
    expect(pack).toMatchObject({ name: 'Party', stickers: [{ emoji: '🎉' }, { emoji: null }] });
    const converted = await storedBytes(alice.core.profileDir, pack.stickers[0]!.sha256);
    expect(await sharp(converted!).metadata()).toMatchObject({ format: 'webp', width: 512, height: 512 });
    expect(await alice.core.listStickerPacks({})).toEqual([pack]);

    const sent = await alice.core.sendSticker({ conversationId, packId: pack.packId, stickerId: pack.stickers[0]!.stickerId });
    expect(sent).toMatchObject({ text: '', sticker: { packId: pack.packId, emoji: '🎉' } });
    await expect(alice.core.editMessage({ conversationId, messageId: sent.id, text: 'words' })).rejects.toMatchObject({
      code: 'refused',
    });
    expect(sent.attachments.map((file) => [file.kind, file.mime])).toEqual([
      ['image', 'image/webp'],
      ['file', 'application/octet-stream'],
    ]);

    const received = await messageWhere(
      bob.core,
      conversationId,
      (m) => m.id === sent.id && m.attachments[0]?.localUrl !== null,
      'bob receives the sticker, its picture downloaded by itself',
    );
    expect(received.sticker).toEqual({ packId: pack.packId, stickerId: pack.stickers[0]!.stickerId, emoji: '🎉' });
    const summary = (await bob.core.listConversations()).find((conversation) => conversation.id === conversationId);
    expect(summary?.lastMessage).toMatchObject({ text: '', sticker: true });
    await expect(bob.core.addStickerPack({ conversationId, messageId: sent.id })).rejects.toMatchObject({
      code: 'refused',
      message: 'sticker_pack_not_downloaded',
    });
    await bob.core.downloadAttachment({ conversationId, messageId: sent.id, index: 1 });
    await messageWhere(bob.core, conversationId, (m) => m.id === sent.id && m.attachments[1]?.localUrl !== null, 'the bundle');
    const added = await bob.core.addStickerPack({ conversationId, messageId: sent.id });
    expect(added).toMatchObject({
      packId: pack.packId,
      name: 'Party',
      stickers: pack.stickers.map(({ stickerId, emoji }) => ({ stickerId, emoji })),
    });
    expect((await bob.core.listStickerPacks({})).map((p) => p.packId)).toEqual([pack.packId]);

    const back = await bob.core.sendSticker({ conversationId, packId: pack.packId, stickerId: pack.stickers[1]!.stickerId });
    const arrived = await messageWhere(
      alice.core,
      conversationId,
      (m) => m.id === back.id && m.attachments[0]?.localUrl !== null,
      'alice receives bob’s sticker from her pack',
    );
    expect(arrived.sticker).toEqual({ packId: pack.packId, stickerId: pack.stickers[1]!.stickerId, emoji: null });

    // Forwarded, it stays a sticker: the same pack and files, by reference.
    const [forwarded] = await alice.core.forwardMessage({
      conversationId,
      messageId: back.id,
      toConversationIds: [conversationId],
    });
    const copy = await messageWhere(bob.core, conversationId, (m) => m.id === forwarded!.id, 'bob receives the forward');
    expect(copy.sticker).toEqual(arrived.sticker);
    expect(copy.attachments.map((file) => file.sha256)).toEqual(arrived.attachments.map((file) => file.sha256));
  });

  it('a sticker sent again names the files uploaded before, and uploads them again only once the server has let them go', async () => {
    const { server, alice, bob, conversationId } = await twoTalking(servers, clients);
    const aliceId = mirrorUserId(alice.core.profileDir);
    const pack = await alice.core.createStickerPack({
      name: 'Party',
      stickers: [
        { sha256: await picture(alice.core, 'one.png', await png(64, 64)), emoji: '🎉' },
        { sha256: await picture(alice.core, 'two.png', await png(80, 30)), emoji: '🎈' },
      ],
    });
    const [first, second] = pack.stickers as [(typeof pack.stickers)[0], (typeof pack.stickers)[0]];
    const send = (stickerId: string) => alice.core.sendSticker({ conversationId, packId: pack.packId, stickerId });
    const bundleAt = async (messageId: string) => {
      await messageWhere(bob.core, conversationId, (m) => m.id === messageId, 'bob receives the sticker');
      await bob.core.downloadAttachment({ conversationId, messageId, index: 1 });
      return messageWhere(
        bob.core,
        conversationId,
        (m) => m.id === messageId && m.attachments.every((file) => file.localUrl !== null),
        'bob has the sticker and its bundle',
      );
    };
    const uploadIdsOf = (messageId: string) =>
      readMirrorAttachments(alice.core.profileDir)
        .filter((row) => row.messageId === messageId)
        .map((row) => row.attachmentId);

    const one = await send(first.stickerId);
    await bundleAt(one.id);
    expect(uploadsOwnedBy(server.dataDir, aliceId)).toBe(2);

    // The same sticker, then another of the pack: the bundle is uploaded once, each picture once.
    const again = await send(first.stickerId);
    const other = await send(second.stickerId);
    await bundleAt(again.id);
    await bundleAt(other.id);
    expect(uploadsOwnedBy(server.dataDir, aliceId)).toBe(3);
    expect(uploadIdsOf(again.id)).toEqual(uploadIdsOf(one.id));
    expect(uploadIdsOf(other.id)[1]).toBe(uploadIdsOf(one.id)[1]);

    // Every message naming the first sticker's files deleted for everyone, and the files collected
    // as the server does a day later: sent again, the sticker goes with fresh uploads and arrives whole.
    const [pictureId, bundleId] = uploadIdsOf(one.id) as [string, string];
    await alice.core.deleteMessage({ conversationId, messageId: one.id });
    await alice.core.deleteMessage({ conversationId, messageId: again.id });
    await messageWhere(bob.core, conversationId, (m) => m.id === again.id && m.deleted, 'bob sees both deleted');
    expect(collectUnreferencedUpload(server.dataDir, pictureId)).toBe(true);
    expect(collectUnreferencedUpload(server.dataDir, bundleId)).toBe(false); // the other sticker names it still
    await alice.core.deleteMessage({ conversationId, messageId: other.id });
    await messageWhere(bob.core, conversationId, (m) => m.id === other.id && m.deleted, 'bob sees the other deleted');
    expect(collectUnreferencedUpload(server.dataDir, bundleId)).toBe(true);

    const resent = await send(first.stickerId);
    const arrived = await bundleAt(resent.id);
    expect(arrived.sticker).toEqual({ packId: pack.packId, stickerId: first.stickerId, emoji: '🎉' });
    const fresh = uploadIdsOf(resent.id);
    expect(fresh).not.toContain(pictureId);
    expect(fresh).not.toContain(bundleId);
  });

  it('refuses a picture that is not one, by its code, and installs nothing', async () => {
    const { alice } = await twoTalking(servers, clients);
    const svg = await picture(alice.core, 'x.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'));
    await expect(alice.core.createStickerPack({ name: 'Bad', stickers: [{ sha256: svg }] })).rejects.toMatchObject({
      code: 'refused',
      message: 'sticker_not_an_image',
    });
    expect(await alice.core.listStickerPacks({})).toEqual([]);
  });

  it('a pack added on one device is installed on the person’s other device, from the same message', async () => {
    const { server, alice, bob, conversationId } = await twoTalking(servers, clients);
    const pack = await alice.core.createStickerPack({
      name: 'Party',
      stickers: [{ sha256: await picture(alice.core, 'one.png', await png(64, 64)), emoji: '🎉' }],
    });
    const sent = await alice.core.sendSticker({ conversationId, packId: pack.packId, stickerId: pack.stickers[0]!.stickerId });
    await messageWhere(bob.core, conversationId, (m) => m.id === sent.id, 'bob receives the sticker');
    await bob.core.downloadAttachment({ conversationId, messageId: sent.id, index: 1 });
    await messageWhere(bob.core, conversationId, (m) => m.id === sent.id && m.attachments[1]?.localUrl !== null, 'the bundle');
    await bob.core.addStickerPack({ conversationId, messageId: sent.id });

    const laptop = await clients.open(await clients.profileDir(), server.url);
    await laptop.logIn({ serverUrl: server.url, username: 'bob', password: DEFAULT_TEST_PASSWORD });
    await linked(laptop, bob.core);
    await online(laptop);
    const installed = await eventually(
      () => laptop.listStickerPacks({}),
      (packs) => packs.length === 1,
      'bob’s laptop installs the pack',
      30_000,
    );
    expect(installed[0]).toMatchObject({ packId: pack.packId, name: 'Party', stickers: [{ emoji: '🎉' }] });
  });
});
