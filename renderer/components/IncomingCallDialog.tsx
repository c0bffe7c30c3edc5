import type { CallView } from '../../sync/app-api/calls-api.js';
import type { CallMedia } from '../../sync/common/call-machine.js';
import { callName } from '../format/calls.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { Avatar } from './Avatar.js';
import { HangUpIcon, PhoneIcon, VideoIcon } from './call-icons.js';
import { ModalDialog } from './ModalDialog.js';

/** "Incoming call" while a call rings here (the ringtone plays meanwhile: state/calls.ts). */
export function IncomingCallDialog() {
  const view = useApp((s) => (s.call?.view.phase === 'ringing' ? s.call.view : null));
  return view ? <IncomingCall view={view} /> : null;
}

function IncomingCall({ view }: { view: CallView }) {
  const { acceptCall, declineCall, showNotice } = useActions();
  const name = callName(view.peer);
  const act = (action: () => Promise<void>) => () => void action().catch((error: unknown) => showNotice(describeError(error)));
  const accept = (media: CallMedia) => act(() => acceptCall(media));
  return (
    <ModalDialog
      title={t.calls.incoming}
      description={view.media === 'video' ? t.calls.incomingVideo(name) : t.calls.incomingVoice(name)}
      // Escape or a click beside it must not answer for the person: only the buttons do.
      onClose={() => {}}
      className="incoming-call"
    >
      <div className="incoming-call__who">
        <Avatar user={view.peer} />
      </div>
      <div className="dialog__actions incoming-call__actions">
        <button type="button" className="button button--danger" onClick={act(declineCall)}>
          <HangUpIcon size={18} />
          {t.calls.decline}
        </button>
        <button type="button" className="button button--secondary" onClick={accept('audio')}>
          <PhoneIcon size={18} />
          {t.calls.accept}
        </button>
        <button type="button" className="button button--primary" onClick={accept('video')}>
          <VideoIcon size={18} />
          {t.calls.acceptWithVideo}
        </button>
      </div>
    </ModalDialog>
  );
}
