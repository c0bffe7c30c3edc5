/**
 * The emoji picker's data: Emojibase's English dataset (emojibase-data/en/data.json and
 * messages.json), copied into dist/renderer/emoji/en/ by scripts/build.ts and loaded from the app's
 * own origin (never a CDN), then shaped here into what frimousse's picker takes. Pure: no DOM.
 */
import type { EmojiData } from 'frimousse';
import { z } from 'zod';

/** Where the build puts the dataset, relative to the page (dist/renderer/). */
export const EMOJI_DATA_DIR = 'emoji/en';
export const EMOJI_DATA_FILES = ['data.json', 'messages.json'] as const;

/** Emojibase's skin tones 1–5, in frimousse's names. */
const SKIN_TONES = ['light', 'medium-light', 'medium', 'medium-dark', 'dark'] as const;
type SkinToneKey = (typeof SKIN_TONES)[number];

const emojiSchema = z.object({
  emoji: z.string().min(1).max(64),
  label: z.string(),
  /** Absent on components such as regional indicators, which the picker does not offer. */
  group: z.number().int().optional(),
  subgroup: z.number().int().optional(),
  version: z.number(),
  tags: z.array(z.string()).optional(),
  skins: z
    .array(z.object({ emoji: z.string().min(1).max(64), tone: z.union([z.number(), z.array(z.number())]).optional() }))
    .optional(),
});

const messagesSchema = z.object({
  groups: z.array(z.object({ key: z.string(), message: z.string(), order: z.number().int() })),
  subgroups: z.array(z.object({ key: z.string(), order: z.number().int() })).optional(),
  skinTones: z.array(z.object({ key: z.string(), message: z.string() })),
});

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * frimousse's EmojiData from the two Emojibase files (throws if they are not what we expect): the
 * "component" group (skin-tone swatches, hair styles) is left out, as frimousse's own loader does;
 * flags are marked `countryFlag`.
 */
export function toEmojiData(emojisJson: unknown, messagesJson: unknown): EmojiData {
  const emojis = z.array(emojiSchema).parse(emojisJson);
  const messages = messagesSchema.parse(messagesJson);
  const groups = messages.groups.filter((group) => group.key !== 'component');
  const offered = new Set(groups.map((group) => group.order));
  const flagSubgroups = new Set(
    (messages.subgroups ?? [])
      .filter((subgroup) => subgroup.key === 'country-flag' || subgroup.key === 'subdivision-flag')
      .map((subgroup) => subgroup.order),
  );
  const skinTones = Object.fromEntries(
    SKIN_TONES.map((key) => [key, capitalize(messages.skinTones.find((tone) => tone.key === key)?.message ?? key)]),
  ) as Record<SkinToneKey, string>;
  return {
    locale: 'en',
    categories: groups.map((group) => ({ index: group.order, label: capitalize(group.message) })),
    skinTones,
    emojis: emojis
      .filter((emoji) => emoji.group !== undefined && offered.has(emoji.group))
      .map((emoji) => {
        const skins: Partial<Record<SkinToneKey, string>> = {};
        for (const skin of emoji.skins ?? []) {
          const key = typeof skin.tone === 'number' ? SKIN_TONES[skin.tone - 1] : undefined;
          if (key) skins[key] = skin.emoji;
        }
        return {
          emoji: emoji.emoji,
          category: emoji.group!,
          label: capitalize(emoji.label),
          version: emoji.version,
          tags: emoji.tags ?? [],
          ...(emoji.subgroup !== undefined && flagSubgroups.has(emoji.subgroup) ? { countryFlag: true as const } : {}),
          ...(Object.keys(skins).length === SKIN_TONES.length ? { skins: skins as Record<SkinToneKey, string> } : {}),
        };
      }),
  };
}

/**
 * The newest Emoji version the bundled colour font (twemoji-colr-font 15.0.3: Twemoji 15, see
 * styles/emoji.css) draws. Newer emoji would show as empty boxes on a system without a newer emoji
 * font, so the picker does not offer them.
 */
export const BUNDLED_FONT_EMOJI_VERSION = 15;

/** A keycap (#️⃣, 1️⃣…): the bundled font maps them, but Chromium draws its keycaps empty. */
const KEYCAP = '\u20e3';

/** Only the emoji the bundled font draws. */
export function drawnByBundledFont(data: EmojiData): EmojiData {
  return {
    ...data,
    emojis: data.emojis.filter((emoji) => emoji.version <= BUNDLED_FONT_EMOJI_VERSION && !emoji.emoji.includes(KEYCAP)),
  };
}
