import { describe, expect, it } from 'vitest';
import { en } from '../../../../renderer/i18n/en.js';
import { LANGUAGE_STRINGS } from '../../../../renderer/i18n/index.js';
import { LANGUAGES, type Language } from '../../../../sync/app-api/preferences.js';

/**
 * Every language has every key en.ts has, no other, of the same kind; a function takes as many
 * parameters as en's; and what a person reads is translated, not en's words copied over. New keys
 * in en.ts fail here until each language has them.
 */

type Tree = Readonly<Record<string, unknown>>;

interface Leaf {
  path: string;
  value: unknown;
}

function leaves(tree: Tree, prefix = ''): Leaf[] {
  return Object.entries(tree).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return typeof value === 'object' && value !== null ? leaves(value as Tree, path) : [{ path, value }];
  });
}

function at(tree: Tree, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Tree | undefined)?.[key], tree);
}

/** What a person reads: a string as it is, a function's words for sample arguments. */
function words(value: unknown): unknown {
  if (typeof value !== 'function') return value;
  const fn = value as (...args: unknown[]) => unknown;
  return fn(...Array.from({ length: fn.length }, (_, index) => index + 2));
}

/** Leaves that read the same in every language: symbols, names of programs, formats. */
const THE_SAME_EVERYWHERE = new Set([
  // The app's name, as the tray and the packaged app call it too.
  'app.title',
  'app.titleWithUnread',
  'signIn.heading',
  'user.handle',
  'conversations.unreadVisible',
  'conversations.senderPreview',
  // A poll: its question after the chart sign.
  'conversations.pollPreview',
  // A location: its place name after the pin (a word of its own only when it has none).
  'conversations.locationPreview',
  'conversations.mentionedVisible',
  // "GIF", a format's name, as Russian and Ukrainian messengers write it too.
  'conversations.gifPreview',
  'gifs.untitled',
  'gifs.badge',
  'search.shortcut',
  'search.sender',
  'reactions.chip',
  'quote.label',
  'composer.mentionOption',
  // "Voice call, 3:12": the call's words and its length, joined by a comma in each language.
  'calls.entry.withDuration',
  'about.electron',
  'about.chromium',
  'about.node',
  'about.sqlite',
  'about.notApplicable',
  // Each language by its own name, in every language (checked below too).
  'preferences.languageNames.en',
  'preferences.languageNames.ru',
  'preferences.languageNames.uk',
]);

const others = LANGUAGES.filter((language): language is Exclude<Language, 'en'> => language !== 'en');
const english = leaves(en);

describe.each(others)('the %s language file', (language) => {
  const strings = LANGUAGE_STRINGS[language] as unknown as Tree;

  it('has every key en.ts has, and no other', () => {
    const own = leaves(strings).map((leaf) => leaf.path);
    const expected = english.map((leaf) => leaf.path);
    expect({
      missing: expected.filter((path) => !own.includes(path)),
      extra: own.filter((path) => !expected.includes(path)),
    }).toEqual({ missing: [], extra: [] });
  });

  it('has text where en has text, and functions of as many parameters where en has functions', () => {
    const different = english.flatMap(({ path, value }) => {
      const translated = at(strings, path);
      if (typeof translated !== typeof value) return [`${path}: ${typeof translated} instead of ${typeof value}`];
      if (typeof value === 'function' && (translated as () => unknown).length !== value.length) {
        return [`${path}: ${(translated as () => unknown).length} parameters instead of ${value.length}`];
      }
      return [];
    });
    expect(different).toEqual([]);
  });

  it('gives words, not en’s copied over, for everything but symbols and names', () => {
    const copied = english
      .filter(({ path }) => path !== 'locale' && !THE_SAME_EVERYWHERE.has(path))
      .filter(({ path, value }) => words(at(strings, path)) === words(value))
      .map(({ path }) => path);
    expect(copied).toEqual([]);
    for (const { path, value } of english) {
      const text = words(at(strings, path));
      expect(typeof text, path).toBe(typeof words(value));
      if (typeof text === 'string' && path !== 'about.notApplicable') expect(text.trim(), path).not.toBe('');
    }
  });

  it('names its own locale for the Intl formatters, and every language by its own name', () => {
    expect(strings.locale).toBe(language);
    expect(strings.preferences).toHaveProperty('languageNames', en.preferences.languageNames);
  });
});
