import { useRef } from 'react';
import { callName, callStatusWords } from '../format/calls.js';
import { useCallStats } from '../hooks/useCallStats.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { CallControls } from './CallControls.js';
import { CallDuration } from './CallDuration.js';
import { OwnPreview } from './CallMediaElements.js';
import { CallPeer, PeerMutedBadge } from './CallPeer.js';

/**
 * The one-to-one call, filling the pane: the other person's video (their avatar while their camera
 * is off), your own preview, the status or the duration, and the controls. What the media does
 * (getStats) is kept in data-call-stats for tests and for debugging a call.
 */
export function CallRegion() {
  const call = useApp((s) => s.call);
  const { readCallStats, setCallMuted, setCallCamera, setCallScreenShared, hangUpCall } = useActions();
  const regionRef = useRef<HTMLElement>(null);
  useCallStats(regionRef, readCallStats);

  if (!call) return null;
  const { view, preview, remote, sending, muted } = call;
  const status = callStatusWords(view);
  const answered = view.phase === 'connecting' || view.phase === 'connected' || view.phase === 'reconnecting';
  return (
    <section ref={regionRef} className={`call call--${view.phase}`} aria-label={t.calls.region}>
      <div className="call__stage">
        <CallPeer user={view.peer} remote={answered ? remote : null} sending={view.peerSending} videoClassName="call__remote" />
        {preview && view.phase !== 'ended' && <OwnPreview stream={preview} screen={sending.screen} />}
      </div>
      <div className="call__info">
        <h2 className="call__name">{callName(view.peer)}</h2>
        <div className="call__status-line">
          {status !== null && (
            <span role="status" className="call__status">
              {status}
            </span>
          )}
          {(view.phase === 'connected' || view.ended?.durationMs != null) && (
            <CallDuration connectedAt={view.connectedAt} durationMs={view.ended?.durationMs ?? null} />
          )}
          {answered && !view.peerSending.audio && <PeerMutedBadge />}
        </div>
      </div>
      {view.phase !== 'ended' && (
        <CallControls
          muted={muted}
          sending={sending}
          actions={{ setMuted: setCallMuted, setCamera: setCallCamera, setScreenShared: setCallScreenShared, hangUp: hangUpCall }}
        />
      )}
    </section>
  );
}
