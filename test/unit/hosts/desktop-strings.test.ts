/** The Electron main process's own words: every language has every one, with the plural forms it needs. */
import { describe, expect, it } from 'vitest';
import { DESKTOP_STRINGS, desktopStrings, unreadText } from '../../../main/common/desktop-strings.js';
import { LANGUAGES } from '../../../sync/app-api/preferences.js';

describe('desktop strings', () => {
  it('has every key of English in every language, none empty', () => {
    const keys = Object.keys(DESKTOP_STRINGS.en).sort();
    expect(Object.keys(DESKTOP_STRINGS).sort()).toEqual([...LANGUAGES].sort());
    for (const language of LANGUAGES) {
      const strings = DESKTOP_STRINGS[language];
      expect(Object.keys(strings).sort(), language).toEqual(keys);
      for (const [key, value] of Object.entries(strings)) {
        if (typeof value === 'string') expect(value.trim(), `${language}.${key}`).not.toBe('');
      }
      expect(strings.senderInGroup('Ann', 'Team'), language).toMatch(/Ann.*Team/u);
    }
  });

  it('has a plural form for every category each language’s rules use', () => {
    for (const language of LANGUAGES) {
      const { unread, locale } = DESKTOP_STRINGS[language];
      for (const category of new Intl.PluralRules(locale).resolvedOptions().pluralCategories) {
        expect(unread[category as keyof typeof unread], `${language}: ${category}`).toMatch(/\{n\}/u);
      }
    }
  });

  it('counts unread messages by each language’s plural rules', () => {
    const ru = DESKTOP_STRINGS.ru;
    expect([1, 3, 5, 21].map((n) => unreadText(ru, n))).toEqual([
      '1 непрочитанное сообщение',
      '3 непрочитанных сообщения',
      '5 непрочитанных сообщений',
      '21 непрочитанное сообщение',
    ]);
    expect(unreadText(DESKTOP_STRINGS.uk, 2)).toBe('2 непрочитані повідомлення');
    expect(unreadText(DESKTOP_STRINGS.en, 1)).toBe('1 unread message');
    expect(unreadText(DESKTOP_STRINGS.en, 1200)).toBe('1,200 unread messages');
  });

  it('follows the language preference, or with "system" the first system language it speaks', () => {
    expect(desktopStrings('uk', ['ru-RU']).quit).toBe('Вийти');
    expect(desktopStrings('system', ['de-DE', 'ru-RU', 'en-US']).quit).toBe('Выйти');
    expect(desktopStrings('system', ['de-DE']).quit).toBe('Quit');
  });
});
