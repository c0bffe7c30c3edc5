/**
 * A sticker message's pack, key and sticker as the mirror keeps them (issue 33): in the
 * message_state table beside its message, held by its author, as a location's point is, so no
 * migration is needed. Read back with their schema: a row that does not parse shows no sticker.
 */
import type { StickerView } from '../../app-api/stickers-api.js';
import { stickerDefinitionSchema, type StickerDefinition } from '../../common/stickers.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';
import { definitionOf, parsedState, storeDefinition, type DefinitionKind } from './message-state.js';

const STICKER: DefinitionKind = 'sticker';

/** A sticker's definition, with its message (as composed here, or as it arrived). */
export function storeSticker(db: Db, message: Parameters<typeof storeDefinition>[2], sticker: StickerDefinition): void {
  storeDefinition(db, STICKER, message, sticker);
}

/** The sticker a message is (with its pack key, which stays in the core), or null. */
export function stickerOf(db: Db, conversationId: string, messageId: string): StickerDefinition | null {
  return definitionOf(db, STICKER, stickerDefinitionSchema, conversationId, messageId);
}

/** The stickers among these messages, as the page shows them: without their pack key. */
export function stickerViews(db: Db, conversationId: string, messageIds: readonly string[]): Map<string, StickerView> {
  const rows = cachedStatement(
    db,
    `SELECT message_id, value FROM message_state
     WHERE conversation_id = ? AND kind = '${STICKER}' AND message_id IN (SELECT value FROM json_each(?))`,
  ).all(conversationId, JSON.stringify(messageIds)) as { message_id: string; value: string }[];
  const views = new Map<string, StickerView>();
  for (const row of rows) {
    const sticker = parsedStickerDefinition(row.value);
    if (sticker)
      views.set(row.message_id, { packId: sticker.packId, stickerId: sticker.stickerId, emoji: sticker.emoji ?? null });
  }
  return views;
}

/** A stored sticker definition, checked: null when it is not one. */
export function parsedStickerDefinition(json: string): StickerDefinition | null {
  return parsedState(stickerDefinitionSchema, json);
}
