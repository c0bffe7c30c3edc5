/**
 * Every emoji: the recently used list in localStorage (validated when read back, capped, never
 * fatal), the bundled Emojibase data shaped for the picker, inserting at the caret, and the build's
 * font and data steps.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_FONT_EMOJI_VERSION,
  drawnByBundledFont,
  EMOJI_DATA_DIR,
  EMOJI_DATA_FILES,
  toEmojiData,
} from '../../../renderer/format/emoji-data.js';
import {
  isEmojiLike,
  MAX_RECENT_EMOJI,
  readRecentEmoji,
  RECENT_EMOJI_KEY,
  rememberEmoji,
  type EmojiStorage,
} from '../../../renderer/state/recent-emoji.js';
import { insertAt } from '../../../renderer/state/text-insert.js';

function memoryStorage(initial?: string): EmojiStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  if (initial !== undefined) items.set(RECENT_EMOJI_KEY, initial);
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('recently used emoji', () => {
  it('puts the newest first, once, and keeps at most a few', () => {
    const storage = memoryStorage();
    expect(readRecentEmoji(storage)).toEqual([]);
    rememberEmoji('👍', storage);
    rememberEmoji('🚀', storage);
    expect(rememberEmoji('👍', storage)).toEqual(['👍', '🚀']);
    expect(readRecentEmoji(storage)).toEqual(['👍', '🚀']);
    const many = [...'😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗😚😙'];
    for (const emoji of many) rememberEmoji(emoji, storage);
    const recent = readRecentEmoji(storage);
    expect(recent).toHaveLength(MAX_RECENT_EMOJI);
    expect(recent[0]).toBe('😙');
    expect(JSON.parse(storage.items.get(RECENT_EMOJI_KEY)!) as unknown).toHaveLength(MAX_RECENT_EMOJI);
  });

  it('keeps sequences: skin tones, ZWJ families, flags, keycaps', () => {
    const storage = memoryStorage();
    for (const emoji of ['👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '❤️']) rememberEmoji(emoji, storage);
    expect(readRecentEmoji(storage)).toEqual(['❤️', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '1️⃣', '🇫🇷', '👨‍👩‍👧‍👦', '👍🏽']);
  });

  it('tolerates a corrupt or hostile stored value', () => {
    for (const stored of ['not json', '{"0":"👍"}', '"👍"', 'null', '42', JSON.stringify(Array(500).fill('👍')), '']) {
      expect(readRecentEmoji(memoryStorage(stored)), stored).toEqual([]);
    }
    // Entry by entry: what is not an emoji is dropped, duplicates once.
    const mixed = JSON.stringify([
      '🚀',
      42,
      null,
      '<img src=x onerror=alert(1)>',
      'hello',
      '🚀',
      '👍',
      { a: 1 },
      'x'.repeat(100),
    ]);
    expect(readRecentEmoji(memoryStorage(mixed))).toEqual(['🚀', '👍']);
    // Remembering over a corrupt value starts afresh.
    const storage = memoryStorage('{{{');
    expect(rememberEmoji('🎉', storage)).toEqual(['🎉']);
    expect(rememberEmoji('not an emoji', storage)).toEqual(['🎉']);
  });

  it('never throws when storage is missing or refuses', () => {
    const throwing: EmojiStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(readRecentEmoji(throwing)).toEqual([]);
    expect(rememberEmoji('👍', throwing)).toEqual(['👍']);
    expect(readRecentEmoji(null)).toEqual([]);
    expect(rememberEmoji('👍', null)).toEqual(['👍']);
  });

  it('knows an emoji from text', () => {
    for (const emoji of ['👍', '🇪🇺', '#️⃣', '©️', '🧑🏽‍🚀']) expect(isEmojiLike(emoji), emoji).toBe(true);
    for (const text of ['a', 'ab👍', '1', ' 👍', '', '👍 ']) expect(isEmojiLike(text), text).toBe(false);
  });
});

describe('the bundled emoji data', () => {
  const dir = path.resolve(import.meta.dirname, '../../../node_modules/emojibase-data', ...EMOJI_DATA_DIR.split('/').slice(1));
  const [emojisJson, messagesJson] = EMOJI_DATA_FILES.map(
    (file): unknown => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown,
  );
  const data = toEmojiData(emojisJson, messagesJson);

  it('is shaped for frimousse: categories, searchable labels and tags, skin tones', () => {
    expect(data.locale).toBe('en');
    expect(data.categories[0]).toEqual({ index: 0, label: 'Smileys & emotion' });
    expect(data.categories.map((category) => category.label)).not.toContain('Components');
    expect(data.emojis.length).toBeGreaterThan(1800);
    const rocket = data.emojis.find((emoji) => emoji.emoji === '🚀')!;
    expect(rocket.label).toBe('Rocket');
    expect(rocket.tags).toContain('space');
    const wave = data.emojis.find((emoji) => emoji.emoji === '👋')!;
    expect(wave.skins).toEqual({ light: '👋🏻', 'medium-light': '👋🏼', medium: '👋🏽', 'medium-dark': '👋🏾', dark: '👋🏿' });
    expect(data.emojis.find((emoji) => emoji.emoji === '🇫🇷')?.countryFlag).toBe(true);
    // Regional indicator letters and skin-tone swatches are not offered on their own.
    expect(data.emojis.some((emoji) => emoji.emoji === '🇦' || emoji.emoji === '🏻')).toBe(false);
    expect(data.skinTones.light).toBe('Light skin tone');
  });

  it('refuses data that is not Emojibase', () => {
    expect(() => toEmojiData({ not: 'a list' }, messagesJson)).toThrow();
    expect(() => toEmojiData([{ emoji: 1 }], messagesJson)).toThrow();
    expect(() => toEmojiData(emojisJson, {})).toThrow();
  });

  it('offers only the emoji the bundled font draws', () => {
    const offered = drawnByBundledFont(data);
    expect(offered.emojis.every((emoji) => emoji.version <= BUNDLED_FONT_EMOJI_VERSION)).toBe(true);
    expect(offered.emojis.some((emoji) => emoji.emoji === '🚀')).toBe(true);
    // Emojibase knows newer emoji than the font draws; those are left out, not shown as boxes.
    expect(data.emojis.some((emoji) => emoji.version > BUNDLED_FONT_EMOJI_VERSION)).toBe(true);
    expect(offered.emojis.length).toBeLessThan(data.emojis.length);
  });

  it('leaves out keycaps, which Chromium draws empty with the bundled font', () => {
    expect(data.emojis.some((emoji) => emoji.emoji === '#️⃣')).toBe(true);
    const offered = drawnByBundledFont(data).emojis.map((emoji) => emoji.emoji);
    for (const keycap of ['#️⃣', '*️⃣', '0️⃣', '1️⃣', '9️⃣']) expect(offered).not.toContain(keycap);
    expect(offered).toContain('🔟');
  });
});

describe('inserting at the caret', () => {
  it('replaces the selection and puts the caret after the emoji', () => {
    expect(insertAt('Hello world', 5, 5, '🎉')).toEqual({ text: 'Hello🎉 world', caret: 7 });
    expect(insertAt('Hello world', 6, 11, '🌍')).toEqual({ text: 'Hello 🌍', caret: 8 });
    expect(insertAt('', 0, 0, '👍')).toEqual({ text: '👍', caret: 2 });
    expect(insertAt('abc', 99, 99, '👍')).toEqual({ text: 'abc👍', caret: 5 });
    expect(insertAt('abc', 2, 1, '👍')).toEqual({ text: 'a👍c', caret: 3 });
  });
});
