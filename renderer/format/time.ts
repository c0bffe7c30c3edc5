import { t } from '../i18n/index.js';
import { perLocale } from '../i18n/per-locale.js';

/** The formatters of the language in use (it can change while the app runs). */
const formats = perLocale((locale) => ({
  time: new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }),
  weekday: new Intl.DateTimeFormat(locale, { weekday: 'short' }),
  shortDate: new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' }),
  shortDateWithYear: new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric' }),
  longDay: new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long' }),
  longDayWithYear: new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
  dateAndTime: new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }),
  full: new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }),
  relative: new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }),
}));

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(at: number): number {
  const date = new Date(at);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** Whole calendar days between two instants (0 = same day). */
function daysBetween(earlier: number, later: number): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY_MS);
}

/** "14:05" / "2:05 PM": under each message. */
export function formatTime(at: number): string {
  return formats().time.format(at);
}

/** For a tooltip: the whole date and time. */
export function formatFull(at: number): string {
  return formats().full.format(at);
}

/** "3 Mar 2025, 14:05": a date with its time, e.g. when a session was last used. */
export function formatDateTime(at: number): string {
  return formats().dateAndTime.format(at);
}

/** Conversation list: the time today, the weekday this week, else the date. */
export function formatListTime(at: number, now = Date.now()): string {
  const { time, weekday, shortDate, shortDateWithYear } = formats();
  const days = daysBetween(at, now);
  if (days <= 0) return time.format(at);
  if (days < 7) return weekday.format(at);
  return new Date(at).getFullYear() === new Date(now).getFullYear() ? shortDate.format(at) : shortDateWithYear.format(at);
}

/** Separator between days in a conversation: "Today", "Yesterday", "Monday, 3 March". */
export function formatDay(at: number, now = Date.now()): string {
  const days = daysBetween(at, now);
  if (days === 0) return t.conversation.today;
  if (days === 1) return t.conversation.yesterday;
  const { longDay, longDayWithYear } = formats();
  return new Date(at).getFullYear() === new Date(now).getFullYear() ? longDay.format(at) : longDayWithYear.format(at);
}

/** Same local calendar day? */
export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

/**
 * The peer's presence line: "last seen just now", "… 5 minutes ago", "… today at 14:05",
 * "… yesterday at 9:12", else the date. Pass `now` to keep it fresh (re-render every minute).
 */
export function formatLastSeen(at: number, now = Date.now()): string {
  const { time, shortDate, shortDateWithYear, relative } = formats();
  const ago = now - at;
  if (ago < MINUTE_MS) return t.presence.justNow;
  if (ago < HOUR_MS) return t.presence.ago(relative.format(-Math.floor(ago / MINUTE_MS), 'minute'));
  const days = daysBetween(at, now);
  if (days <= 0) return t.presence.today(time.format(at));
  if (days === 1) return t.presence.yesterday(time.format(at));
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return t.presence.onDate(sameYear ? shortDate.format(at) : shortDateWithYear.format(at));
}
