import { memo, useState } from 'react';
import type { NoticeView } from '../../sync/app-api/contract.js';
import type { CallEntryView } from '../../sync/app-api/calls-api.js';
import { callEntryWords } from '../format/call-entry.js';
import { formatFull } from '../format/time.js';
import { useCallUnavailable } from '../hooks/useCallUnavailable.js';
import { t } from '../i18n/index.js';
import { useLanguage } from '../i18n/use-language.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';

/**
 * A call's entry between the messages (issue 32): "Voice call, 3:12", "No answer", and for a call
 * missed here "Missed voice call" with "Call back", which rings the same way in this conversation.
 */
export const CallEntryItem = memo(function CallEntryItem({
  notice,
  call,
  conversationId,
}: {
  notice: NoticeView;
  call: CallEntryView;
  conversationId: string;
}) {
  useLanguage(); // memo() keeps equal props from re-rendering: this re-renders it when the language changes
  const words = callEntryWords(call);
  return (
    <div className="membership-notice call-entry" role="note" title={formatFull(notice.at)}>
      <span>
        <span className="call-entry__text">{words.text}</span>
        {/* The spaces keep the words apart for a screen reader; the lines are set apart by the layout. */}
        {words.detail !== null && (
          <>
            {' '}
            <span className="call-entry__detail">{words.detail}</span>
          </>
        )}
        {words.callBack && (
          <>
            {' '}
            <CallBack conversationId={conversationId} media={call.media} />
          </>
        )}
      </span>
    </div>
  );
});

function CallBack({ conversationId, media }: { conversationId: string; media: CallEntryView['media'] }) {
  const reason = useCallUnavailable();
  const { startCall, showNotice } = useActions();
  const [starting, setStarting] = useState(false);
  const callBack = async () => {
    setStarting(true);
    try {
      await startCall(conversationId, media);
    } catch (error) {
      showNotice(describeError(error, { offline: t.calls.offline, conflict: t.calls.conflict }));
    } finally {
      setStarting(false);
    }
  };
  return (
    <button
      type="button"
      className="call-entry__call-back"
      title={reason ?? undefined}
      disabled={reason !== null || starting}
      onClick={() => void callBack()}
    >
      {t.calls.entry.callBack}
    </button>
  );
}
