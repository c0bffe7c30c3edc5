import { afterEach, describe, expect, it } from 'vitest';
import { noticeText } from '../../../../renderer/format/notices.js';
import { formatSize } from '../../../../renderer/format/size.js';
import { formatDay, formatLastSeen, formatListTime, formatTime } from '../../../../renderer/format/time.js';
import { setLanguage, t } from '../../../../renderer/i18n/index.js';
import { plural } from '../../../../renderer/i18n/plural.js';
import { alice, bob, carol, notice } from '../fake-api.js';

afterEach(() => setLanguage('en'));

const COUNTS = [1, 2, 5, 11, 21, 22, 25];

describe('plurals by Intl.PluralRules', () => {
  it('pick one, few and many in Russian and Ukrainian, one and other in English', () => {
    const ru = { one: 'сообщение', few: 'сообщения', many: 'сообщений', other: 'сообщения' };
    expect(COUNTS.map((n) => `${n} ${plural('ru', n, ru)}`)).toEqual([
      '1 сообщение',
      '2 сообщения',
      '5 сообщений',
      '11 сообщений',
      '21 сообщение',
      '22 сообщения',
      '25 сообщений',
    ]);
    expect(plural('ru', 1.5, ru)).toBe('сообщения');
    const uk = { one: 'повідомлення', few: 'повідомлення', many: 'повідомлень', other: 'повідомлення' };
    expect(COUNTS.map((n) => `${n} ${plural('uk', n, uk)}`)).toEqual([
      '1 повідомлення',
      '2 повідомлення',
      '5 повідомлень',
      '11 повідомлень',
      '21 повідомлення',
      '22 повідомлення',
      '25 повідомлень',
    ]);
    expect([0, 1, 2, 21].map((n) => plural('en', n, { one: 'message', other: 'messages' }))).toEqual([
      'messages',
      'message',
      'messages',
      'messages',
    ]);
  });

  it('word the counts the interface shows in the language in use', () => {
    setLanguage('ru');
    expect(COUNTS.map((n) => t.group.memberCount(n))).toEqual([
      '1 участник',
      '2 участника',
      '5 участников',
      '11 участников',
      '21 участник',
      '22 участника',
      '25 участников',
    ]);
    expect(COUNTS.map((n) => t.search.found(n))).toEqual([
      'Найдено 1 сообщение',
      'Найдено 2 сообщения',
      'Найдено 5 сообщений',
      'Найдено 11 сообщений',
      'Найдено 21 сообщение',
      'Найдено 22 сообщения',
      'Найдено 25 сообщений',
    ]);
    expect(t.group.members(21, 3)).toBe('21 участник, 3 в сети');
    expect(t.composer.charsLeft(22)).toBe('Осталось 22 символа');

    setLanguage('uk');
    expect(COUNTS.map((n) => t.group.memberCount(n))).toEqual([
      '1 учасник',
      '2 учасники',
      '5 учасників',
      '11 учасників',
      '21 учасник',
      '22 учасники',
      '25 учасників',
    ]);
    expect(COUNTS.map((n) => t.search.found(n))).toEqual([
      'Знайдено 1 повідомлення',
      'Знайдено 2 повідомлення',
      'Знайдено 5 повідомлень',
      'Знайдено 11 повідомлень',
      'Знайдено 21 повідомлення',
      'Знайдено 22 повідомлення',
      'Знайдено 25 повідомлень',
    ]);
    expect(t.typing.many(5)).toBe('5 людей друкують…');

    setLanguage('en');
    expect([1, 2].map((n) => t.group.memberCount(n))).toEqual(['1 member', '2 members']);
  });
});

describe('dates, times, numbers and lists by Intl in the language in use', () => {
  // Local wall-clock times, so the test reads the same in every time zone.
  const monday = new Date(2025, 2, 3, 14, 5).getTime();
  const laterThatMonth = new Date(2025, 2, 20, 12, 0).getTime();

  it('switch with the language', () => {
    expect(formatTime(monday)).toMatch(/^2:05\sPM$/u);
    expect(formatDay(monday, laterThatMonth)).toBe('Monday, March 3');

    setLanguage('ru');
    expect(formatTime(monday)).toBe('14:05');
    expect(formatDay(monday, laterThatMonth)).toBe('понедельник, 3 марта');
    expect(formatDay(laterThatMonth, laterThatMonth)).toBe('Сегодня');
    expect(formatListTime(monday, laterThatMonth)).toMatch(/^3 мар/u);
    expect(formatLastSeen(laterThatMonth - 5 * 60_000, laterThatMonth)).toBe('был(а) в сети 5 минут назад');
    expect(formatLastSeen(monday, monday + 24 * 60 * 60_000)).toBe('был(а) в сети вчера в 14:05');
    expect(formatSize(1536)).toBe('1,5 КБ');
    expect(formatSize(2)).toBe('2 байта');
    expect(noticeText(notice({ seq: 1, kind: 'members_added', actor: alice, subjects: [carol, bob] }))).toBe(
      'Alice Liddell добавил(а) Carol Chen и Bob Brown',
    );

    setLanguage('uk');
    expect(formatDay(monday, laterThatMonth)).toBe('понеділок, 3 березня');
    expect(formatLastSeen(laterThatMonth - 2 * 60_000, laterThatMonth)).toBe('був(-ла) у мережі 2 хвилини тому');
    expect(formatTime(monday)).toBe('14:05');

    setLanguage('en');
    expect(formatDay(monday, laterThatMonth)).toBe('Monday, March 3');
  });
});
