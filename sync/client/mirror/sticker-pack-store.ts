/**
 * The sticker packs installed on this device (issue 33, migration 36): each pack's key, name and
 * bundle, and each sticker's file in the attachment store, so the Stickers tab shows and sends
 * them offline and the store's garbage collection keeps their files. Values are JSON checked
 * against their schema when read: a damaged row is a pack not installed, never a crash.
 */
import { z } from 'zod';
import { fileKeyBase64, sha256Hex } from '../../protocol/attachments.js';
import { emoji } from '../../protocol/frames.js';
import { packId, packName, STICKER_LIMITS, stickerId } from '../../common/stickers.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';
import { stickerPackSettingSchema } from '../../content/personal-settings.js';
import { stickerOf } from './sticker-state.js';
import type { StickerDefinition } from '../../common/stickers.js';

const storedPackSchema = z
  .object({
    packId,
    packKey: fileKeyBase64,
    name: packName,
    /** The bundle in the attachment store (the sealed file's SHA-256, as it was uploaded or downloaded). */
    bundle: sha256Hex,
    stickers: z
      .array(z.object({ id: stickerId, emoji: emoji.optional(), sha256: sha256Hex }).strict())
      .min(1)
      .max(STICKER_LIMITS.maxStickers),
  })
  .strict();
export type StoredStickerPack = z.infer<typeof storedPackSchema>;

export class StickerPackStore {
  constructor(private readonly db: Db) {}

  /** Installs a pack, or replaces its local copy (a pack added again keeps its place). */
  save(pack: StoredStickerPack, now: number): void {
    cachedStatement(
      this.db,
      `INSERT INTO sticker_packs (pack_id, value, installed_at) VALUES (?, ?, ?)
       ON CONFLICT (pack_id) DO UPDATE SET value = excluded.value`,
    ).run(pack.packId, JSON.stringify(storedPackSchema.parse(pack)), now);
  }

  /** The installed packs, newest first. */
  all(): StoredStickerPack[] {
    const rows = cachedStatement(this.db, 'SELECT value FROM sticker_packs ORDER BY installed_at DESC, pack_id').all() as {
      value: string;
    }[];
    return rows.flatMap((row) => parsedPack(row.value) ?? []);
  }

  get(id: string): StoredStickerPack | null {
    const row = cachedStatement(this.db, 'SELECT value FROM sticker_packs WHERE pack_id = ?').get(id) as
      { value: string } | undefined;
    return row ? parsedPack(row.value) : null;
  }

  /** The sticker a message is, with its pack key (what "Add sticker pack" opens the bundle with). */
  stickerOf(conversationId: string, messageId: string): StickerDefinition | null {
    return stickerOf(this.db, conversationId, messageId);
  }

  /**
   * The packs the person installed on any of their devices (the sealed `sticker_pack` settings),
   * each with the sticker message whose bundle installs it. A register that does not parse is skipped.
   */
  synced(): { packId: string; conversationId: string; messageId: string }[] {
    const rows = cachedStatement(this.db, "SELECT conversation_id, value FROM settings WHERE kind = 'sticker_pack'").all() as {
      conversation_id: string;
      value: string;
    }[];
    return rows.flatMap((row) => {
      const value = stickerPackSettingSchema.safeParse(parseJson(row.value));
      return value.success ? [{ ...value.data, conversationId: row.conversation_id }] : [];
    });
  }

  /** Whether an installed pack keeps this file (its bundle or one of its stickers). */
  refersTo(sha256: string): boolean {
    return (
      cachedStatement(
        this.db,
        `SELECT 1 FROM sticker_packs p WHERE json_extract(p.value, '$.bundle') = ?
           OR EXISTS (SELECT 1 FROM json_each(p.value, '$.stickers') s WHERE json_extract(s.value, '$.sha256') = ?) LIMIT 1`,
      ).get(sha256, sha256) !== undefined
    );
  }
}

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

function parsedPack(json: string): StoredStickerPack | null {
  try {
    const parsed = storedPackSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
