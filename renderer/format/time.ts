import { t } from '../i18n/index.js';

const time = new Intl.DateTimeFormat(t.locale, { hour: 'numeric', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(t.locale, { weekday: 'short' });
const shortDate = new Intl.DateTimeFormat(t.locale, { day: 'numeric', month: 'short' });
const shortDateWithYear = new Intl.DateTimeFormat(t.locale, { day: 'numeric', month: 'short', year: 'numeric' });
const longDay = new Intl.DateTimeFormat(t.locale, { weekday: 'long', day: 'numeric', month: 'long' });
const longDayWithYear = new Intl.DateTimeFormat(t.locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const full = new Intl.DateTimeFormat(t.locale, { dateStyle: 'full', timeStyle: 'short' });

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
  return time.format(at);
}

/** For a tooltip: the whole date and time. */
export function formatFull(at: number): string {
  return full.format(at);
}

/** Conversation list: the time today, the weekday this week, else the date. */
export function formatListTime(at: number, now = Date.now()): string {
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
  return new Date(at).getFullYear() === new Date(now).getFullYear() ? longDay.format(at) : longDayWithYear.format(at);
}

/** Same local calendar day? */
export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

const relative = new Intl.RelativeTimeFormat(t.locale, { numeric: 'auto' });
const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

/**
 * The peer's presence line: "last seen just now", "… 5 minutes ago", "… today at 14:05",
 * "… yesterday at 9:12", else the date. Pass `now` to keep it fresh (re-render every minute).
 */
export function formatLastSeen(at: number, now = Date.now()): string {
  const ago = now - at;
  if (ago < MINUTE_MS) return t.presence.justNow;
  if (ago < HOUR_MS) return t.presence.ago(relative.format(-Math.floor(ago / MINUTE_MS), 'minute'));
  const days = daysBetween(at, now);
  if (days <= 0) return t.presence.today(time.format(at));
  if (days === 1) return t.presence.yesterday(time.format(at));
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return t.presence.onDate(sameYear ? shortDate.format(at) : shortDateWithYear.format(at));
}
