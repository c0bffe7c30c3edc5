import { messagePieces } from '../format/links.js';
import { t } from '../i18n/index.js';

/**
 * A message's text as plain React text children (never parsed as HTML): http(s) links (see
 * format/links.ts) as <a> named by their own text, opened outside the app (a new tab with no
 * opener in the browser host; Electron hands it to the system browser), and mentions of the reader
 * (`@<their username>`) in <mark>.
 */
export function MessageText({ text, mentionOf }: { text: string; mentionOf: string | null }) {
  const pieces = messagePieces(text, mentionOf);
  if (pieces.every((piece) => piece.kind === 'text')) return <>{text}</>;
  return (
    <>
      {pieces.map((piece, index) =>
        piece.kind === 'link' ? (
          <a key={index} className="message__link" href={piece.href} target="_blank" rel="noopener noreferrer">
            {piece.text}
          </a>
        ) : piece.kind === 'mention' ? (
          <mark key={index} className="mention" title={t.message.mentionLabel}>
            {piece.text}
          </mark>
        ) : (
          piece.text
        ),
      )}
    </>
  );
}
