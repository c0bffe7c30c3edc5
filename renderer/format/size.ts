import { t } from '../i18n/index.js';
import { perLocale } from '../i18n/per-locale.js';

const oneDecimal = perLocale((locale) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }));
const UNIT = 1024;

/** A file size in the largest unit that keeps it at least 1: "512 bytes", "1.5 MB" ("1,5 МБ" in Russian). */
export function formatSize(bytes: number): string {
  if (bytes < UNIT) return t.attachments.bytes(bytes);
  if (bytes < UNIT ** 2) return t.attachments.kilobytes(oneDecimal().format(bytes / UNIT));
  if (bytes < UNIT ** 3) return t.attachments.megabytes(oneDecimal().format(bytes / UNIT ** 2));
  return t.attachments.gigabytes(oneDecimal().format(bytes / UNIT ** 3));
}

/** A duration as m:ss (h:mm:ss from an hour): voice messages and the recording timer. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const seconds = String(total % 60).padStart(2, '0');
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}:${seconds}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${seconds}`;
}
