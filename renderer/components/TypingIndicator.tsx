import type { User } from '../../sync/protocol/frames.js';
import { typingText } from '../format/notices.js';
import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';

const NOBODY: readonly User[] = [];

/**
 * "Alex is typing…" under the messages. The status element is always there (empty when nobody
 * types) so screen readers announce the changes; the line keeps its height so nothing jumps.
 */
export function TypingIndicator() {
  const typing = useApp((s) => (s.activity && s.activity.conversationId === s.open?.id ? s.activity.typing : NOBODY));
  const inGroup = useApp((s) => s.conversations.find((c) => c.id === s.open?.id)?.kind === 'group');
  const text = typingText(typing, inGroup);
  return (
    <div className="typing" role="status" aria-label={t.typing.label}>
      {text && (
        <>
          <span className="typing__dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          <span className="typing__text">{text}</span>
        </>
      )}
    </div>
  );
}
