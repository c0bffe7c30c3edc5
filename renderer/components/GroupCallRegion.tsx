import { useCallback, useId, useRef } from 'react';
import type { GroupCallParticipantView } from '../../sync/app-api/group-calls-api.js';
import type { RemoteMedia } from '../calls/media-engine.js';
import { callName } from '../format/calls.js';
import { useCallStats } from '../hooks/useCallStats.js';
import { useGroupCallTitle } from '../hooks/useGroupCallTitle.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { CallControls } from './CallControls.js';
import { CallDuration } from './CallDuration.js';
import { OwnPreview } from './CallMediaElements.js';
import { CallPeer, PeerMutedBadge } from './CallPeer.js';

/**
 * The group call this device is in, filling the pane: a tile for each other device in it (their
 * video, or their picture while their camera is off), your own preview, how long you have been in
 * it, and the controls; "Waiting for others…" while nobody else is.
 */
export function GroupCallRegion() {
  const joined = useApp((s) => s.groupCalls.joined);
  const title = useGroupCallTitle(joined?.view.conversationId ?? null);
  const { setGroupCallMuted, setGroupCallCamera, setGroupCallScreenShared, leaveGroupCall } = useActions();
  if (!joined) return null;
  const { view, preview, remotes, sending, muted } = joined;
  return (
    <section className="call call--connected" aria-label={t.calls.region}>
      <div className="call__stage">
        {view.participants.length === 0 ? (
          <span role="status" className="call__status">
            {t.groupCalls.waiting}
          </span>
        ) : (
          <ul className="group-call__tiles" data-count={view.participants.length}>
            {view.participants.map((participant) => (
              <GroupCallTile key={participant.key} participant={participant} remote={remotes.get(participant.key) ?? null} />
            ))}
          </ul>
        )}
        {preview && <OwnPreview stream={preview} screen={sending.screen} />}
      </div>
      <div className="call__info">
        <h2 className="call__name">{title}</h2>
        <div className="call__status-line">
          <CallDuration connectedAt={view.joinedAt} />
        </div>
      </div>
      <CallControls
        muted={muted}
        sending={sending}
        actions={{
          setMuted: setGroupCallMuted,
          setCamera: setGroupCallCamera,
          setScreenShared: setGroupCallScreenShared,
          hangUp: leaveGroupCall,
        }}
      />
    </section>
  );
}

/**
 * One other device in the call, named by its person: what it sends, "Muted" while its microphone
 * is off, and what the media with it does (data-call-stats) for tests and debugging.
 */
function GroupCallTile({ participant, remote }: { participant: GroupCallParticipantView; remote: RemoteMedia | null }) {
  const tileRef = useRef<HTMLLIElement>(null);
  const { readGroupCallStats } = useActions();
  const readStats = useCallback(() => readGroupCallStats(participant.key), [readGroupCallStats, participant.key]);
  useCallStats(tileRef, readStats);
  const captionId = useId();
  return (
    <li ref={tileRef} className="group-call__tile" aria-labelledby={captionId}>
      <CallPeer user={participant.user} remote={remote} sending={participant.sending} videoClassName="group-call__video" />
      <span id={captionId} className="group-call__caption">
        {callName(participant.user)}
      </span>
      {!participant.sending.audio && <PeerMutedBadge />}
    </li>
  );
}
