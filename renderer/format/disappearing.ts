/** Disappearing messages in words: a timer's length, and how long a message has left. */
import type { MessageView } from '../../sync/app-api/contract.js';
import { t, type Strings } from '../i18n/index.js';

type Unit = keyof Strings['durations'];

const SECOND = 1000;
/** Largest first; each unit's length in milliseconds. */
const UNITS: readonly (readonly [Unit, number])[] = [
  ['weeks', 7 * 24 * 3600 * SECOND],
  ['days', 24 * 3600 * SECOND],
  ['hours', 3600 * SECOND],
  ['minutes', 60 * SECOND],
  ['seconds', SECOND],
];

/** A timer in its largest whole unit: 8 hours, not 480 minutes; 4 weeks, not 28 days. */
function wholeUnits(ms: number): { unit: Unit; n: number } {
  const [unit, size] = UNITS.find(([, length]) => ms >= length && ms % length === 0) ?? ['seconds', SECOND];
  return { unit, n: Math.round(ms / size) };
}

/** A timer as the radios and the header's icon name it: "30 seconds", "1 week". */
export function timerWords(ms: number): string {
  const { unit, n } = wholeUnits(ms);
  return t.durations[unit](n);
}

/** The same after a preposition ("set … to 1 week"), declined where the language declines it. */
export function timerWordsAfterPreposition(ms: number): string {
  const { unit, n } = wholeUnits(ms);
  return t.durationsAccusative[unit](n);
}

/**
 * Time left, rounded up in the largest unit that keeps the number below the next unit's size
 * (59.5 minutes reads "1 hour", not "60 minutes"); days from a day on, so a 4-week timer counts
 * down in days. Never less than a second: the core removes the message once it is due.
 */
function timeLeftWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / SECOND));
  if (seconds < 60) return t.durationsAccusative.seconds(seconds);
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return t.durationsAccusative.minutes(minutes);
  const hours = Math.ceil(seconds / 3600);
  if (hours < 24) return t.durationsAccusative.hours(hours);
  return t.durationsAccusative.days(Math.ceil(seconds / 86_400));
}

/**
 * What a disappearing message's timer icon says: the time left once its timer runs ("Disappears in
 * 25 seconds"), or before that when it will start. Empty for a message that does not disappear.
 */
export function expiryWords(message: Pick<MessageView, 'expiresInMs' | 'expiresAt' | 'own'>, now: number): string {
  if (message.expiresInMs === null) return '';
  if (message.expiresAt !== null) return t.disappearing.disappearsIn(timeLeftWords(message.expiresAt - now));
  const length = timerWordsAfterPreposition(message.expiresInMs);
  return message.own ? t.disappearing.afterSent(length) : t.disappearing.afterRead(length);
}
