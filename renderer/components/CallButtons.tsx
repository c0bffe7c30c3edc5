import { useId, useState, type ReactNode } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import type { CallMedia } from '../../sync/common/call-machine.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { PhoneIcon, VideoIcon } from './call-icons.js';

/**
 * "Voice call" and "Video call" in a direct conversation's header. Off while offline or while
 * another call goes on, and then the reason is the buttons' description (and their tooltip).
 */
export function CallButtons({ conversation }: { conversation: ConversationSummary }) {
  const online = useApp((s) => s.connection === 'online' && s.transport === 'connected');
  const inCall = useApp((s) => s.call !== null && s.call.view.phase !== 'ended');
  const { startCall, showNotice } = useActions();
  const [starting, setStarting] = useState(false);
  const reasonId = useId();
  const reason = !online ? t.calls.offline : inCall ? t.calls.inAnotherCall : null;

  const start = async (media: CallMedia) => {
    setStarting(true);
    try {
      await startCall(conversation.id, media);
    } catch (error) {
      showNotice(describeError(error, { offline: t.calls.offline, conflict: t.calls.conflict }));
    } finally {
      setStarting(false);
    }
  };

  const buttons: Array<{ media: CallMedia; label: string; icon: ReactNode }> = [
    { media: 'audio', label: t.calls.voiceCall, icon: <PhoneIcon size={20} /> },
    { media: 'video', label: t.calls.videoCall, icon: <VideoIcon size={20} /> },
  ];
  return (
    <div className="call-buttons">
      {buttons.map(({ media, label, icon }) => (
        <button
          key={media}
          type="button"
          className="icon-button"
          aria-label={label}
          aria-describedby={reason ? reasonId : undefined}
          title={reason ?? label}
          disabled={reason !== null || starting}
          onClick={() => void start(media)}
        >
          {icon}
        </button>
      ))}
      {reason && (
        <span id={reasonId} className="visually-hidden">
          {reason}
        </span>
      )}
    </div>
  );
}
