/**
 * Sticker packs in the core (issue 33): making one from pictures in the attachment store (each
 * converted here to a 512×512 WebP), the packs installed here, the files a sticker goes with, and
 * adding the pack a received sticker came from once its bundle is here. Every file — the bundle
 * and each sticker — is kept in the attachment store, so stickers show and go offline.
 *
 * A pack made here is uploaded with its first sticker. The bundle goes with every sticker, so
 * whoever receives one can add the pack in one download; later stickers name that same upload
 * (AttachmentStore.insertOwn) instead of sending the bundle again.
 */
import { Readable } from 'node:stream';
import { AppApiError, type AttachmentInput } from '../../app-api/contract.js';
import { STICKER_PACK_NOT_DOWNLOADED, type StickerPackView } from '../../app-api/stickers-api.js';
import { MAX_BUNDLE_BYTES, STICKER_LIMITS, type StickerDefinition } from '../../common/stickers.js';
import type { Clock, Random } from '../../common/runtime.js';
import type { BlobStore } from '../attachments/blob-store.js';
import type { Mirror } from '../mirror/mirror.js';
import type { StoredStickerPack } from '../mirror/sticker-pack-store.js';
import { openBundle, sealBundle, StickerBundleError, type BundledSticker } from './sticker-bundle.js';
import { MAX_STICKER_INPUT_BYTES, STICKER_SIZE, StickerImageError, toStickerWebp } from './sticker-image.js';

/** The names a sticker's two files go under (never shown: a sticker shows as its picture). */
const STICKER_FILE_NAME = 'sticker.webp';
const BUNDLE_FILE_NAME = 'sticker-pack';

export interface StickerPacksDeps {
  mirror: Pick<Mirror, 'stickerPacks' | 'views'>;
  blobs: BlobStore;
  random: Random;
  clock: Clock;
  /** Tells the person's other devices a pack is installed, by the sticker message that installs it. */
  remember: (conversationId: string, messageId: string, packId: string) => void;
  /** Asks for a message's file to be downloaded (downloadAttachment's path). */
  download: (conversationId: string, messageId: string, index: number) => void;
  /** A pack installed from another device's setting: the page lists the packs again. */
  installedFromSync: () => void;
  log: { warn(message: string, fields?: Record<string, unknown>): void };
}

export class StickerPacks {
  /** The run of reconcile under way, and whether another is asked for after it. */
  private reconciling: Promise<void> | null = null;
  private again = false;
  /** Packs synced from another device whose bundle did not open here: not tried again this run of the app. */
  private readonly refused = new Set<string>();

  constructor(private readonly deps: StickerPacksDeps) {}

  /** "Create sticker pack": refused with a picture's code when one is not a picture it can take. */
  async create(name: string, pictures: readonly { sha256: string; emoji?: string | undefined }[]): Promise<StickerPackView> {
    const stickers: BundledSticker[] = [];
    for (const picture of pictures) {
      const bytes = await this.readStored(picture.sha256, MAX_STICKER_INPUT_BYTES, 'sticker_too_large');
      const converted = await toStickerWebp(bytes).catch((error: unknown) => {
        throw error instanceof StickerImageError ? new AppApiError('refused', error.code) : error;
      });
      if (converted.bytes.length > STICKER_LIMITS.maxStickerBytes) throw new AppApiError('refused', 'sticker_too_large');
      stickers.push({ id: this.deps.random.hex(16), emoji: picture.emoji, bytes: converted.bytes });
    }
    const packId = this.deps.random.hex(16);
    const packKey = Buffer.from(this.deps.random.hex(32), 'hex');
    const bundle = sealBundle({ packId, packKey, name, stickers }, Buffer.from(this.deps.random.hex(12), 'hex'));
    const storedBundle = await this.deps.blobs.put(Readable.from([bundle]), bundle.length);
    return this.install({ packId, packKey, name, stickers }, storedBundle.sha256);
  }

  list(): StickerPackView[] {
    return this.deps.mirror.stickerPacks.all().map(viewOf);
  }

  /** What a sticker of an installed pack goes as: its two files (for composeAttachments) and its definition. */
  outgoing(packId: string, stickerId: string): { files: AttachmentInput[]; sticker: StickerDefinition } {
    const pack = this.deps.mirror.stickerPacks.get(packId);
    const sticker = pack?.stickers.find((candidate) => candidate.id === stickerId);
    if (!pack || !sticker) throw new AppApiError('not_found', 'That sticker is not in a pack installed here.');
    return {
      files: [
        { sha256: sticker.sha256, name: STICKER_FILE_NAME, kind: 'image', width: STICKER_SIZE, height: STICKER_SIZE },
        { sha256: pack.bundle, name: BUNDLE_FILE_NAME, kind: 'file' },
      ],
      sticker: { packId, packKey: pack.packKey, stickerId, ...(sticker.emoji ? { emoji: sticker.emoji } : {}) },
    };
  }

  /**
   * "Add sticker pack" from a sticker message whose bundle (its second file) is here: opened with
   * the message's pack key, each sticker kept in the store. Refused with the bundle's code when it
   * does not open, and nothing is installed.
   */
  async add(conversationId: string, messageId: string, selfId: string, remember = true): Promise<StickerPackView> {
    const definition = this.deps.mirror.stickerPacks.stickerOf(conversationId, messageId);
    const view = this.deps.mirror.views.messageView(conversationId, messageId, selfId);
    const bundleFile = view?.attachments[1];
    if (!definition || !bundleFile || view.deleted) throw new AppApiError('not_found', 'That message is not a sticker.');
    if (bundleFile.localUrl === null) throw new AppApiError('refused', STICKER_PACK_NOT_DOWNLOADED);
    const bundle = await this.readStored(bundleFile.sha256, MAX_BUNDLE_BYTES, 'sticker_pack_too_large');
    const packKey = Buffer.from(definition.packKey, 'base64');
    try {
      const opened = openBundle(bundle, { packId: definition.packId, packKey });
      const view = await this.install({ packId: definition.packId, packKey, ...opened }, bundleFile.sha256);
      if (remember) this.deps.remember(conversationId, messageId, definition.packId);
      return view;
    } catch (error) {
      throw error instanceof StickerBundleError ? new AppApiError('refused', error.code) : error;
    }
  }

  /** A sticker went: the first of a pack made here tells the person's other devices where its bundle is. */
  sent(conversationId: string, messageId: string, packId: string): void {
    if (!this.deps.mirror.stickerPacks.synced().some((pack) => pack.packId === packId)) {
      this.deps.remember(conversationId, messageId, packId);
    }
  }

  /**
   * Installs the packs the person installed on another device: each from its sticker message once
   * that message and its bundle are here (the bundle is asked for). Run whenever settings or
   * messages change; one run at a time. A pack whose bundle does not open is not tried again.
   */
  reconcile(selfId: string): void {
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = this.installSynced(selfId).finally(() => {
      this.reconciling = null;
      if (this.again) {
        this.again = false;
        this.reconcile(selfId);
      }
    });
  }

  private async installSynced(selfId: string): Promise<void> {
    for (const synced of this.deps.mirror.stickerPacks.synced()) {
      if (this.refused.has(synced.packId) || this.deps.mirror.stickerPacks.get(synced.packId)) continue;
      const view = this.deps.mirror.views.messageView(synced.conversationId, synced.messageId, selfId);
      const bundle = view?.attachments[1];
      if (!view || view.deleted || !bundle) continue;
      if (bundle.localUrl === null) {
        if (bundle.transfer === null) this.deps.download(synced.conversationId, synced.messageId, 1);
        continue;
      }
      try {
        await this.add(synced.conversationId, synced.messageId, selfId, false);
        this.deps.installedFromSync();
      } catch (error) {
        this.refused.add(synced.packId);
        this.deps.log.warn('a sticker pack installed on another device did not install here', {
          code: error instanceof AppApiError ? error.message : 'internal',
        });
      }
    }
  }

  /** Keeps every sticker in the store (the bundle, named by `bundle`, is there already), then records the pack. */
  private async install(
    pack: { packId: string; packKey: Buffer; name: string; stickers: readonly BundledSticker[] },
    bundle: string,
  ): Promise<StickerPackView> {
    const stickers: StoredStickerPack['stickers'] = [];
    for (const sticker of pack.stickers) {
      const stored = await this.deps.blobs.put(Readable.from([Buffer.from(sticker.bytes)]), STICKER_LIMITS.maxStickerBytes);
      stickers.push({ id: sticker.id, ...(sticker.emoji ? { emoji: sticker.emoji } : {}), sha256: stored.sha256 });
    }
    const stored: StoredStickerPack = {
      packId: pack.packId,
      packKey: pack.packKey.toString('base64'),
      name: pack.name,
      bundle,
      stickers,
    };
    this.deps.mirror.stickerPacks.save(stored, this.deps.clock.now());
    return viewOf(stored);
  }

  /** A stored file's bytes, refused with `tooLarge` past `maxBytes` before any is read. */
  private async readStored(sha256: string, maxBytes: number, tooLarge: string): Promise<Buffer> {
    const size = await this.deps.blobs.sizeOf(sha256);
    if (size === null) throw new AppApiError('not_found', 'That file is not in this profile; choose it again.');
    if (size > maxBytes) throw new AppApiError('refused', tooLarge);
    const chunks: Buffer[] = [];
    for await (const chunk of this.deps.blobs.read(sha256) as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}

function viewOf(pack: StoredStickerPack): StickerPackView {
  return {
    packId: pack.packId,
    name: pack.name,
    stickers: pack.stickers.map((sticker) => ({ stickerId: sticker.id, emoji: sticker.emoji ?? null, sha256: sticker.sha256 })),
  };
}
