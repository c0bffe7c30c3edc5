import { useId, useState, type ReactNode } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { GROUP_CALL_LIMITS } from '../../sync/app-api/group-calls-api.js';
import type { CallMedia } from '../../sync/common/call-machine.js';
import { useCallUnavailable } from '../hooks/useCallUnavailable.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { PhoneIcon, VideoIcon } from './call-icons.js';

/**
 * "Voice call" and "Video call" in a conversation's header: they ring the other person of a direct
 * conversation, and in a group start its call or join the one going on, which "Join call" (with
 * the camera, as it can be turned off) also offers. Off while offline, while another call goes on
 * or when the group's call is full, and then the reason is the buttons' description (and tooltip).
 */
export function CallButtons({ conversation }: { conversation: ConversationSummary }) {
  const unavailable = useCallUnavailable();
  const going = useApp((s) => s.groupCalls.going.find((call) => call.conversationId === conversation.id) ?? null);
  const joinedHere = useApp((s) => s.groupCalls.joined?.view.conversationId === conversation.id);
  const { startCall, joinGroupCall, showNotice } = useActions();
  const [starting, setStarting] = useState(false);
  const reasonId = useId();
  const reason = unavailable ?? (going?.full ? t.groupCalls.full(GROUP_CALL_LIMITS.maxDevices) : null);

  const start = async (media: CallMedia) => {
    setStarting(true);
    try {
      if (conversation.kind === 'group') await joinGroupCall(conversation.id, media);
      else await startCall(conversation.id, media);
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
  /** Every button is off for the same reason, which describes it. */
  const state = { 'aria-describedby': reason ? reasonId : undefined, disabled: reason !== null || starting };
  return (
    <div className="call-buttons">
      {going && !joinedHere && (
        <button
          type="button"
          className="button button--small button--primary call-buttons__join"
          {...state}
          title={reason ?? undefined}
          onClick={() => void start('video')}
        >
          {t.groupCalls.joinCall}
        </button>
      )}
      {buttons.map(({ media, label, icon }) => (
        <button
          key={media}
          type="button"
          className="icon-button"
          aria-label={label}
          {...state}
          title={reason ?? label}
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
