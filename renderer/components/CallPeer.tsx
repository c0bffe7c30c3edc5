import type { CallSending } from '../../sync/common/call-negotiation.js';
import type { User } from '../../sync/protocol/frames.js';
import type { RemoteMedia } from '../calls/media-engine.js';
import { callName } from '../format/calls.js';
import { t } from '../i18n/index.js';
import { Avatar } from './Avatar.js';
import { CallVideo } from './CallMediaElements.js';
import { MicOffIcon } from './call-icons.js';

/**
 * Another person in a call: their video while they say they send some (camera or screen) and it
 * has arrived, else their picture, named as "camera is off".
 */
export function CallPeer({
  user,
  remote,
  sending,
  videoClassName,
}: {
  user: User;
  remote: RemoteMedia | null;
  sending: CallSending;
  videoClassName: string;
}) {
  const name = callName(user);
  if (remote?.hasVideo && (sending.video || sending.screen)) {
    return <CallVideo stream={remote.stream} label={t.calls.videoFrom(name)} className={videoClassName} />;
  }
  return (
    <div className="call__peer-picture" role="img" aria-label={t.calls.peerCameraOff(name)}>
      <Avatar user={user} />
    </div>
  );
}

/** "Muted" beside someone whose microphone sends nothing. */
export function PeerMutedBadge() {
  return (
    <span className="call__badge">
      <MicOffIcon size={14} />
      {t.calls.peerMuted}
    </span>
  );
}
