import { memo } from 'react';
import { OUTBOX_ERRORS, type OutboxError, type OutboxItemView } from '../../sync/app-api/outbox-api.js';
import { t } from '../i18n/index.js';
import { perLocale } from '../i18n/per-locale.js';
import { useLanguage } from '../i18n/use-language.js';
import { describeRefusal } from '../state/errors.js';

const formats = perLocale((locale) => ({
  list: new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }),
  relative: new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }),
}));

const MINUTE_MS = 60_000;

/** "in 5 seconds", "in 2 minutes", "now": when the next try is due, from `now`. */
function retryIn(at: number, now: number): string {
  const ms = Math.max(0, at - now);
  const { relative } = formats();
  return ms < MINUTE_MS ? relative.format(Math.ceil(ms / 1000), 'second') : relative.format(Math.ceil(ms / MINUTE_MS), 'minute');
}

const isOwnError = (code: OutboxError): code is (typeof OUTBOX_ERRORS)[number] =>
  (OUTBOX_ERRORS as readonly string[]).includes(code);

/** The last error in words: the outbox's own codes here, refusal reasons and transfer errors as everywhere. */
function describeOutboxError(code: OutboxError): string {
  return isOwnError(code) ? t.outbox.errors[code] : describeRefusal(code);
}

interface Props {
  item: OutboxItemView;
  /** The clock the relative retry time is counted from (the dialog ticks it). */
  now: number;
  busy: boolean;
  onRetry: (id: string) => void;
  onDiscard: (id: string) => void;
}

/**
 * One queued item: its conversation, kind and preview (plain text, never markup), where it stands
 * and how often it was tried, with "Retry now" and "Discard". On the wire, neither applies.
 */
export const OutboxItem = memo(function OutboxItem({ item, now, busy, onRetry, onDiscard }: Props) {
  useLanguage(); // memo() keeps equal props from re-rendering: this re-renders it when the language changes
  const { list } = formats();
  const status = [
    t.outbox.states[item.state],
    t.outbox.attempts(item.attempts),
    ...(item.lastError ? [t.outbox.lastError(describeOutboxError(item.lastError))] : []),
    ...(item.nextRetryAt !== null ? [t.outbox.nextRetry(retryIn(item.nextRetryAt, now))] : []),
  ];
  const sending = item.state === 'sending';
  return (
    <li className={`outbox__item outbox__item--${item.state}`}>
      <p className="outbox__head">
        <span className="outbox__conversation">{item.conversationName}</span>
        <span className="outbox__kind">{t.outbox.kinds[item.kind]}</span>
      </p>
      {(item.emoji || item.text) && (
        <p className="outbox__preview">
          {item.emoji && <span className="outbox__emoji">{item.emoji}</span>}
          {item.text && <span className="outbox__text">{item.text}</span>}
        </p>
      )}
      {item.files.length > 0 && (
        <p className="outbox__detail">{t.outbox.files(list.format(item.files.map((file) => file.name)))}</p>
      )}
      {item.people.length > 0 && <p className="outbox__detail">{t.outbox.people(list.format(item.people))}</p>}
      <p className="outbox__status">{status.join(' · ')}</p>
      <div className="outbox__actions">
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={busy || sending}
          onClick={() => onRetry(item.id)}
        >
          {t.outbox.retry}
        </button>
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={busy || sending}
          onClick={() => onDiscard(item.id)}
        >
          {t.outbox.discard}
        </button>
      </div>
    </li>
  );
});
