/**
 * Sticker packs (issue 33): the packs installed here (what the Stickers tab shows, and whether a
 * received sticker offers "Add sticker pack"), making one from pictures the person chose (copied
 * into the profile's store, converted by the core), sending a sticker, and adding a received
 * sticker's pack once its bundle, the message's second file, is here.
 */
import { AppApiError, type MessageView } from '../../sync/app-api/contract.js';
import { STICKER_PACK_NOT_DOWNLOADED } from '../../sync/app-api/stickers-api.js';
import { importFile } from '../transport/files.js';
import type { StickerActions, StoreKit } from './types.js';

interface Deps {
  showSent: (message: MessageView) => Promise<void>;
}

/** How often, and how long, adding waits for the bundle's download. */
const BUNDLE_POLL_MS = 300;
const BUNDLE_WAIT_MS = 120_000;

export function createStickers(kit: StoreKit, deps: Deps): { actions: StickerActions } {
  const { api, get, set } = kit;
  const reload = async () => set({ stickerPacks: await api.listStickerPacks({}) });

  const actions: StickerActions = {
    loadStickerPacks: reload,

    async createStickerPack(name, pictures) {
      const stored = [];
      for (const picture of pictures) {
        const { sha256 } = await importFile(picture.file);
        stored.push(picture.emoji ? { sha256, emoji: picture.emoji } : { sha256 });
      }
      const pack = await api.createStickerPack({ name, stickers: stored });
      await reload();
      return pack;
    },

    async sendSticker(packId, stickerId) {
      const conversationId = get().open?.id;
      if (!conversationId) return;
      const message = await api.sendSticker({ conversationId, packId, stickerId });
      if (get().open?.id === conversationId) await deps.showSent(message);
    },

    async addStickerPack(conversationId, messageId) {
      const deadline = Date.now() + BUNDLE_WAIT_MS;
      let downloading = false;
      for (;;) {
        try {
          await api.addStickerPack({ conversationId, messageId });
          break;
        } catch (error) {
          const waiting = error instanceof AppApiError && error.message === STICKER_PACK_NOT_DOWNLOADED;
          if (!waiting || Date.now() > deadline) throw error;
          if (!downloading) await api.downloadAttachment({ conversationId, messageId, index: 1 });
          downloading = true;
          await new Promise((resolve) => setTimeout(resolve, BUNDLE_POLL_MS));
        }
      }
      await reload();
    },
  };
  return { actions };
}

/** The words for a refusal of making or adding a pack, by its code. */
export function stickerRefusalOf(error: unknown): string {
  return error instanceof AppApiError && error.code === 'refused' ? error.message : 'other';
}
