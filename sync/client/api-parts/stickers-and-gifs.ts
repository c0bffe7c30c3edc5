/**
 * The client core's part of the app API about sticker packs (app-api/stickers-api.ts) and GIF
 * search (gifs-api.ts); the core spreads it in (client-core.ts: apiParts).
 */
import type { AppApi } from '../../app-api/contract.js';
import type { gifsApiArgs } from '../../app-api/gifs-api.js';
import type { stickersApiArgs } from '../../app-api/stickers-api.js';
import type { BlobStore } from '../attachments/blob-store.js';
import { composeAttachments } from '../attachments/compose-attachments.js';
import type { Gifs } from '../gifs.js';
import type { StickerPacks } from '../stickers/sticker-packs.js';
import type { Composing } from './composing.js';

export type StickersAndGifsApi = Pick<AppApi, keyof typeof stickersApiArgs | keyof typeof gifsApiArgs>;

export interface StickersAndGifsSource {
  composing: Composing;
  stickerPacks: StickerPacks;
  gifs: Gifs;
  blobs: BlobStore;
  /** The largest file the server takes. */
  maxFileBytes: () => Promise<number>;
  /** A file was queued for upload. */
  filesQueued: () => void;
}

export function stickersAndGifsApi(source: StickersAndGifsSource): StickersAndGifsApi {
  const { composing, stickerPacks, gifs } = source;
  const { signedIn } = composing;
  return {
    createStickerPack: async ({ name, stickers }) => {
      signedIn();
      return stickerPacks.create(name.trim(), stickers);
    },
    listStickerPacks: async () => {
      signedIn();
      return stickerPacks.list();
    },
    // A sticker goes with its pack's bundle, as sendMessage sends files.
    sendSticker: async ({ conversationId, packId, stickerId }) => {
      signedIn(conversationId);
      const outgoing = stickerPacks.outgoing(packId, stickerId);
      const files = await composeAttachments(source.blobs, outgoing.files, await source.maxFileBytes());
      const view = await composing.send(
        conversationId,
        (composer) => composer.sendSticker(conversationId, files, outgoing.sticker),
        (messageId) => stickerPacks.sent(conversationId, messageId, packId),
      );
      source.filesQueued();
      return view;
    },
    addStickerPack: async ({ conversationId, messageId }) => {
      return stickerPacks.add(conversationId, messageId, signedIn(conversationId));
    },
    searchGifs: async ({ query, offset }) => {
      signedIn();
      return gifs.search(query, offset);
    },
    storeGif: async ({ id }) => {
      signedIn();
      return gifs.store(id);
    },
  };
}
