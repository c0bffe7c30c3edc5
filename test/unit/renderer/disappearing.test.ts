/**
 * Disappearing messages in the renderer (issue 33): the timers and the time left in words, and the
 * notices.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DISAPPEARING_TIMERS_MS } from '../../../sync/protocol/disappearing.js';
import { expiryWords, timerWords } from '../../../renderer/format/disappearing.js';
import { noticeText } from '../../../renderer/format/notices.js';
import { setLanguage } from '../../../renderer/i18n/index.js';
import { alice, bob, notice } from './fake-api.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

afterEach(() => setLanguage('en'));

const RADIO_NAMES = ['Off', '30 seconds', '5 minutes', '1 hour', '8 hours', '1 day', '1 week', '4 weeks'];

describe('the timers in words', () => {
  it('name each timer in its largest whole unit, as the radios do', () => {
    expect(DISAPPEARING_TIMERS_MS.map(timerWords)).toEqual(RADIO_NAMES.slice(1));
  });

  it('decline them in Russian and Ukrainian, after a preposition too', () => {
    setLanguage('ru');
    expect(DISAPPEARING_TIMERS_MS.map(timerWords)).toEqual([
      '30 секунд',
      '5 минут',
      '1 час',
      '8 часов',
      '1 день',
      '1 неделя',
      '4 недели',
    ]);
    expect(expiryWords({ expiresInMs: WEEK, expiresAt: null, own: false }, 0)).toBe('Исчезнет через 1 неделю после прочтения');
    expect(expiryWords({ expiresInMs: MINUTE, expiresAt: 21 * SECOND, own: false }, 0)).toBe('Исчезнет через 21 секунду');
    setLanguage('uk');
    expect(DISAPPEARING_TIMERS_MS.map(timerWords)).toEqual([
      '30 секунд',
      '5 хвилин',
      '1 година',
      '8 годин',
      '1 день',
      '1 тиждень',
      '4 тижні',
    ]);
    expect(expiryWords({ expiresInMs: HOUR, expiresAt: HOUR, own: true }, 0)).toBe('Зникне через 1 годину');
  });

  it('say how long a message has left, rounded up in a unit below the next', () => {
    const left = (ms: number) => expiryWords({ expiresInMs: 4 * WEEK, expiresAt: 1_000_000 + ms, own: false }, 1_000_000);
    expect(left(25 * SECOND)).toBe('Disappears in 25 seconds');
    expect(left(24.2 * SECOND)).toBe('Disappears in 25 seconds');
    expect(left(5 * MINUTE - 1)).toBe('Disappears in 5 minutes');
    expect(left(HOUR - 30 * SECOND)).toBe('Disappears in 1 hour');
    expect(left(23.5 * HOUR)).toBe('Disappears in 1 day');
    expect(left(4 * WEEK)).toBe('Disappears in 28 days');
    // Due, and not removed yet: the core removes it.
    expect(left(-3 * SECOND)).toBe('Disappears in 1 second');
  });

  it('say when the timer will start before it has', () => {
    expect(expiryWords({ expiresInMs: WEEK, expiresAt: null, own: false }, 0)).toBe('Disappears 1 week after it is read');
    expect(expiryWords({ expiresInMs: 5 * MINUTE, expiresAt: null, own: true }, 0)).toBe('Disappears 5 minutes after it is sent');
    expect(expiryWords({ expiresInMs: null, expiresAt: null, own: true }, 0)).toBe('');
  });
});

describe('the notices', () => {
  const set = (timerMs: number | null) => notice({ seq: 2.5, kind: 'disappearing_timer_set', actor: bob, subjects: [], timerMs });
  const policy = (everyone: boolean) => notice({ seq: 2.5, kind: 'disappearing_policy_set', actor: bob, subjects: [], everyone });

  it('name who set the timer and to what, or turned it off', () => {
    expect(noticeText(set(WEEK))).toBe('Bob Brown set disappearing messages to 1 week');
    expect(noticeText(set(30 * SECOND))).toBe('Bob Brown set disappearing messages to 30 seconds');
    expect(noticeText(set(null))).toBe('Bob Brown turned off disappearing messages');
    expect(noticeText({ ...set(8 * HOUR), actor: alice })).toBe('Alice Liddell set disappearing messages to 8 hours');
  });

  it('name who chose who may change it', () => {
    expect(noticeText(policy(true))).toBe('Bob Brown let all members change disappearing messages');
    expect(noticeText(policy(false))).toBe('Bob Brown let only admins change disappearing messages');
  });

  it('are translated', () => {
    setLanguage('ru');
    expect(noticeText(set(WEEK))).toBe('Bob Brown установил(а) таймер исчезающих сообщений на 1 неделю');
    expect(noticeText(set(null))).toBe('Bob Brown отключил(а) исчезающие сообщения');
    setLanguage('uk');
    expect(noticeText(set(MINUTE * 5))).toBe('Bob Brown встановив(-ла) таймер зникаючих повідомлень на 5 хвилин');
    expect(noticeText(policy(false))).toBe('Bob Brown дозволив(-ла) змінювати таймер зникаючих повідомлень лише адміністраторам');
  });
});
