import { callName, callStatusWords } from '../format/calls.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { Avatar } from './Avatar.js';
import { CallDuration } from './CallDuration.js';
import { HangUpIcon } from './call-icons.js';

/**
 * The one-to-one call while the person reads a conversation: who, how long, "Return to call" and
 * "Hang up"; and, for a moment, how a call that was never shown in full ended ("Answered on
 * another device").
 */
export function CallBar() {
  const call = useApp((s) => s.call);
  const { showCall, hangUpCall } = useActions();
  if (!call || call.expanded || call.view.phase === 'ringing') return null;
  const { view } = call;
  const name = callName(view.peer);
  const status = callStatusWords(view);
  return (
    <div className={`call-bar call-bar--${view.phase}`} role="group" aria-label={t.calls.withPerson(name)}>
      <Avatar user={view.peer} size="small" />
      <span className="call-bar__name">{name}</span>
      {status !== null ? (
        <span role="status" className="call-bar__status">
          {status}
        </span>
      ) : (
        <CallDuration connectedAt={view.connectedAt} />
      )}
      {view.phase !== 'ended' && <CallBarActions onReturn={() => showCall(true)} onHangUp={hangUpCall} />}
    </div>
  );
}

/** "Return to call" and "Hang up" on a call's bar. */
export function CallBarActions({ onReturn, onHangUp }: { onReturn: () => void; onHangUp: () => Promise<void> }) {
  const { showNotice } = useActions();
  return (
    <>
      <button type="button" className="button button--small button--primary" onClick={onReturn}>
        {t.calls.returnToCall}
      </button>
      <button
        type="button"
        className="icon-button call-bar__hang-up"
        aria-label={t.calls.hangUp}
        title={t.calls.hangUp}
        onClick={() => void onHangUp().catch((error: unknown) => showNotice(describeError(error)))}
      >
        <HangUpIcon size={18} />
      </button>
    </>
  );
}
