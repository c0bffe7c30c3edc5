import { memo } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import { formatFull, formatTime } from '../format/time.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { MessageStatusIcon } from './MessageStatusIcon.js';

interface Props {
  message: MessageView;
  /** First of a run of messages from the same sender (a little more space above). */
  groupStart: boolean;
}

/** One message. The text is always a plain React text child: never parsed as HTML. */
export const MessageBubble = memo(function MessageBubble({ message, groupStart }: Props) {
  const { retry, discard } = useActions();
  const failed = message.own && message.status === 'failed';
  const classes = ['message', message.own ? 'message--own' : 'message--theirs'];
  if (groupStart) classes.push('message--group-start');
  if (failed) classes.push('message--failed');

  return (
    <article className={classes.join(' ')}>
      <div className="message__bubble">
        <p className="message__text">{message.text}</p>
        <span className="message__meta">
          <time dateTime={new Date(message.at).toISOString()} title={formatFull(message.at)}>
            {formatTime(message.at)}
          </time>
          {message.own && message.status && <MessageStatusIcon status={message.status} />}
        </span>
      </div>
      {failed && (
        <div className="message__failure">
          <span className="message__error">{message.error ?? t.message.failedFallback}</span>
          <span className="message__actions">
            <button type="button" className="link-button" onClick={() => void retry(message.id)}>
              {t.message.retry}
            </button>
            <button type="button" className="link-button link-button--danger" onClick={() => void discard(message.id)}>
              {t.message.discard}
            </button>
          </span>
        </div>
      )}
    </article>
  );
});
