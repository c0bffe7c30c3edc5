import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError } from '../../../../sync/app-api/contract.js';
import type { LanguageChoice } from '../../../../sync/app-api/preferences.js';
import { followLanguage, type LanguageHost } from '../../../../renderer/i18n/follow.js';
import { currentLanguage, setLanguage, subscribeLanguage, t } from '../../../../renderer/i18n/index.js';
import { pickLanguage } from '../../../../renderer/i18n/pick.js';
import { describeError, describeRefusal, describeTransferError } from '../../../../renderer/state/errors.js';

afterEach(() => setLanguage('en'));

describe('the language in use', () => {
  it('follows the system (its first language the app speaks, else English) unless chosen', () => {
    expect(pickLanguage('system', ['uk-UA', 'ru-RU', 'en-US'])).toBe('uk');
    expect(pickLanguage('system', ['de-DE', 'ru'])).toBe('ru');
    expect(pickLanguage('system', ['de-DE', 'fr'])).toBe('en');
    expect(pickLanguage('system', [])).toBe('en');
    expect(pickLanguage('en', ['uk-UA'])).toBe('en');
    expect(pickLanguage('ru', ['en-US'])).toBe('ru');
  });

  it('swaps what every importer of `t` reads, and tells subscribers once per change', () => {
    const heard: string[] = [];
    const stop = subscribeLanguage(() => heard.push(currentLanguage()));
    expect(t.settings.title).toBe('Settings');
    setLanguage('uk');
    expect(t.settings.title).toBe('Налаштування');
    setLanguage('uk');
    setLanguage('ru');
    expect(t.settings.title).toBe('Настройки');
    stop();
    setLanguage('en');
    expect(heard).toEqual(['uk', 'ru']);
  });

  it('is applied from the preference and the system languages, with <html lang>', () => {
    let preference: LanguageChoice = 'system';
    let preferenceChanged = () => {};
    const events = new Map<string, () => void>();
    const host = {
      navigator: { languages: ['uk-UA', 'en'] },
      document: { documentElement: { lang: 'en' } },
      addEventListener: (type: string, listener: () => void) => events.set(type, listener),
      removeEventListener: (type: string) => events.delete(type),
    } as unknown as LanguageHost & { navigator: { languages: string[] } };

    const stop = followLanguage(
      () => preference,
      (listener) => {
        preferenceChanged = listener;
        return () => (preferenceChanged = () => {});
      },
      host,
    );
    expect(currentLanguage()).toBe('uk');
    expect(host.document.documentElement.lang).toBe('uk');

    preference = 'ru';
    preferenceChanged();
    expect([currentLanguage(), host.document.documentElement.lang]).toEqual(['ru', 'ru']);

    preference = 'system';
    host.navigator.languages = ['de', 'en-GB'];
    events.get('languagechange')?.();
    expect([currentLanguage(), host.document.documentElement.lang]).toEqual(['en', 'en']);

    stop();
    expect(events.size).toBe(0);
    preference = 'uk';
    preferenceChanged();
    expect(currentLanguage()).toBe('en');
  });
});

describe('errors in words', () => {
  it('never show the server’s or the core’s English: codes get words in the language in use', () => {
    setLanguage('uk');
    expect(describeError(new AppApiError('refused', 'too_many_members'))).toBe('У групі стало б забагато учасників.');
    expect(describeError(new AppApiError('refused', 'Your role in this group does not allow that'))).toBe(
      'Сервер відхилив запит.',
    );
    expect(describeError(new AppApiError('refused', 'bad_frame'))).toBe('Сервер відхилив запит (bad_frame).');
    expect(describeError(new AppApiError('unauthorized', 'Wrong username or password'))).toBe(
      'Неправильне ім’я користувача або пароль.',
    );
    expect(describeError(new AppApiError('offline', "Can't reach the server at http://x"))).toBe(t.errors.offline);
    expect(describeRefusal('no_longer_member')).toBe(t.group.notMember);
    expect(describeRefusal('blocked')).toBe(t.blocking.youBlocked);
    expect(describeRefusal('Malformed frame: ✖ Invalid input')).toBe('Сервер відхилив запит.');
    expect(describeTransferError('not_available')).toBe(t.transferErrors.not_available);
    expect(describeTransferError('checksum_mismatch')).toBe(t.transferErrors.checksum_mismatch);

    setLanguage('en');
    expect(describeError(new AppApiError('refused', 'Your role in this group does not allow that'))).toBe(
      'The server refused the request.',
    );
  });
});
