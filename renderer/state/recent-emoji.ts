/**
 * The emoji this person used last (reactions and the composer), newest first, kept in localStorage
 * so the picker can offer them first. What is read back is validated: anything that is not a short
 * list of emoji-looking strings is ignored (or dropped entry by entry), never trusted.
 */
import { z } from 'zod';

export const RECENT_EMOJI_KEY = 'messenger.recentEmoji.v1';
/** How many are kept (two rows of the picker). */
export const MAX_RECENT_EMOJI = 18;

/** Longest emoji sequence we keep (family ZWJ sequences with skin tones run to ~35 UTF-16 units). */
const MAX_EMOJI_LENGTH = 48;
const EMOJI_LIKE = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;
/** Letters, digits (outside a keycap) and spaces mean it is text, not an emoji. */
const NOT_EMOJI = /[\p{L}\s]/u;

const storedSchema = z.array(z.unknown()).max(200);

export function isEmojiLike(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_EMOJI_LENGTH &&
    EMOJI_LIKE.test(value) &&
    !NOT_EMOJI.test(value)
  );
}

/** Storage (localStorage) that may be missing or throw (private mode, disabled storage): never fatal. */
export interface EmojiStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function defaultStorage(): EmojiStorage | null {
  try {
    return (globalThis as { localStorage?: EmojiStorage }).localStorage ?? null;
  } catch {
    return null;
  }
}

/** The recent emoji, newest first; [] when nothing (valid) is stored. */
export function readRecentEmoji(storage: EmojiStorage | null = defaultStorage()): string[] {
  let raw: string | null;
  try {
    raw = storage?.getItem(RECENT_EMOJI_KEY) ?? null;
  } catch {
    return [];
  }
  if (raw === null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  const list = storedSchema.safeParse(parsed);
  if (!list.success) return [];
  const seen = new Set<string>();
  for (const entry of list.data) {
    if (isEmojiLike(entry) && !seen.has(entry)) seen.add(entry);
    if (seen.size === MAX_RECENT_EMOJI) break;
  }
  return [...seen];
}

/** Puts `emoji` first (once), keeps at most MAX_RECENT_EMOJI, and returns the new list. */
export function rememberEmoji(emoji: string, storage: EmojiStorage | null = defaultStorage()): string[] {
  const current = readRecentEmoji(storage);
  if (!isEmojiLike(emoji)) return current;
  const next = [emoji, ...current.filter((entry) => entry !== emoji)].slice(0, MAX_RECENT_EMOJI);
  try {
    storage?.setItem(RECENT_EMOJI_KEY, JSON.stringify(next));
  } catch {
    // Full or disabled storage: the list is only a convenience.
  }
  return next;
}
