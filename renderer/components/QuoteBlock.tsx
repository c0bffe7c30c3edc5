import type { QuoteView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useJumpTo } from './jump-context.js';

/** What a quote says in place of the text, if anything. */
function quoteBody(quote: QuoteView): { text: string; muted: boolean } {
  if (quote.disappeared) return { text: t.quote.disappeared, muted: true };
  if (!quote.available) return { text: t.quote.notLoaded, muted: true };
  if (quote.deleted) return { text: t.quote.deleted, muted: true };
  return { text: quote.text, muted: false };
}

/**
 * The quoted original inside a reply: author and text. A button that shows the original in the
 * list; a plain block while the original is not in this mirror yet (it fills in later), or once
 * its timer has run out (there is nothing left to show).
 */
export function QuoteBlock({ quote }: { quote: QuoteView }) {
  const jumpTo = useJumpTo();
  const body = quoteBody(quote);
  const author = quote.senderName || t.quote.unknownSender;
  const content = (
    <>
      {(quote.available || quote.senderName) && <span className="quote__author">{author}</span>}
      <span className={`quote__text${body.muted ? ' quote__text--muted' : ''}`}>{body.text}</span>
    </>
  );
  if (!quote.available || quote.disappeared) return <div className="quote quote--unavailable">{content}</div>;
  return (
    <button
      type="button"
      className="quote"
      aria-label={t.quote.label(author, body.text)}
      title={t.quote.jumpHint}
      onClick={() => jumpTo(quote.messageId)}
    >
      {content}
    </button>
  );
}
