import { t } from '../i18n/index.js';
import { splitMentions } from '../state/mentions.js';

/**
 * A message's text as plain React text children (never parsed as HTML), with mentions of the
 * reader (`@<their username>`) in <mark>.
 */
export function MessageText({ text, mentionOf }: { text: string; mentionOf: string | null }) {
  const parts = splitMentions(text, mentionOf);
  if (parts.length === 1) return <>{text}</>;
  return (
    <>
      {parts.map((part, index) =>
        index % 2 === 1 ? (
          <mark key={index} className="mention" title={t.message.mentionLabel}>
            {part}
          </mark>
        ) : (
          part
        ),
      )}
    </>
  );
}
