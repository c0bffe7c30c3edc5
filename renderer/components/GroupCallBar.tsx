import { useGroupCallTitle } from '../hooks/useGroupCallTitle.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { GroupAvatar } from './Avatar.js';
import { CallBarActions } from './CallBar.js';
import { CallDuration } from './CallDuration.js';

/** The group call this device is in, while the person reads a conversation: which group, how long, back to it or leave. */
export function GroupCallBar() {
  const view = useApp((s) => (s.groupCalls.joined?.expanded === false ? s.groupCalls.joined.view : null));
  const title = useGroupCallTitle(view?.conversationId ?? null);
  const { showGroupCall, leaveGroupCall } = useActions();
  if (!view) return null;
  return (
    <div className="call-bar call-bar--connected" role="group" aria-label={t.groupCalls.inGroup(title)}>
      <GroupAvatar id={view.conversationId} name={title} size="small" />
      <span className="call-bar__name">{title}</span>
      <CallDuration connectedAt={view.joinedAt} />
      <CallBarActions onReturn={() => showGroupCall(true)} onHangUp={leaveGroupCall} />
    </div>
  );
}
