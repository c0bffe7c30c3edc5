/**
 * The app API's calls about sticker packs (issue 33): making one from pictures already in the
 * attachment store, the packs installed here, sending a sticker, adding a pack a sticker came
 * from. Declared here and spread into contract.ts, as locations-api.ts is. A pack's key stays in
 * the core: the page sees ids, emoji and the stickers' local files.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { sha256Hex } from '../protocol/attachments.js';
import { emoji } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import { packId, packName, STICKER_LIMITS, stickerId } from '../common/stickers.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);

export const stickersApiArgs = {
  /**
   * "Create sticker pack": each picture (in the attachment store, as the host's file gateway put
   * it) converted here to a 512×512 WebP. Refused 'refused' with a picture's code
   * (sticker_not_an_image, sticker_too_large, sticker_too_many_pixels) naming none of its bytes.
   */
  createStickerPack: z
    .object({
      name: z.string().trim().pipe(packName),
      stickers: z
        .array(z.object({ sha256: sha256Hex, emoji: emoji.optional() }).strict())
        .min(1)
        .max(STICKER_LIMITS.maxStickers),
    })
    .strict(),
  /** The packs installed on this device, newest first. */
  listStickerPacks: z.object({}).strict(),
  /** Sends one sticker of an installed pack; offline it is queued like any message. */
  sendSticker: z.object({ conversationId: id, packId, stickerId }).strict(),
  /**
   * "Add sticker pack" from a sticker message once its bundle (its second file) is here. Refused
   * 'refused' with sticker_pack_not_downloaded before, or with the bundle's code when it does not
   * open (sticker_pack_wrong_key, sticker_pack_malformed, sticker_pack_too_large, sticker_not_webp).
   */
  addStickerPack: z.object({ conversationId: id, messageId: id }).strict(),
} as const;

/** A sticker message as it shows (MessageView.sticker): its pack and sticker, and its emoji if any. */
export interface StickerView {
  packId: string;
  stickerId: string;
  emoji: string | null;
}

/** An installed pack as the Stickers tab shows it. */
export interface StickerPackView {
  packId: string;
  name: string;
  /** In the pack's order; `sha256` names the local copy (fileUrl). */
  stickers: { stickerId: string; emoji: string | null; sha256: string }[];
}

export interface StickersApiResults {
  createStickerPack: StickerPackView;
  listStickerPacks: StickerPackView[];
  addStickerPack: StickerPackView;
}

/** The bundle of a sticker message is not in this profile yet: download its second file first. */
export const STICKER_PACK_NOT_DOWNLOADED = 'sticker_pack_not_downloaded';
