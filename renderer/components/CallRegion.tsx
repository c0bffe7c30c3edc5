import { useEffect, useRef } from 'react';
import { callStatusWords } from '../format/calls.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { Avatar } from './Avatar.js';
import { CallControls } from './CallControls.js';
import { CallDuration } from './CallDuration.js';
import { CallVideo } from './CallMediaElements.js';
import { MicOffIcon } from './call-icons.js';

const STATS_EVERY_MS = 1_000;

/**
 * The call, filling the pane: the other person's video (their avatar while their camera is off),
 * your own preview, the status or the duration, and the controls. What the media does (getStats)
 * is kept in data-call-stats, refreshed every second, for tests and for debugging a call.
 */
export function CallRegion() {
  const call = useApp((s) => s.call);
  const { readCallStats } = useActions();
  const regionRef = useRef<HTMLElement>(null);

  useEffect(() => {
    let stopped = false;
    const timer = setInterval(() => {
      void readCallStats().then((stats) => {
        if (!stopped && stats && regionRef.current) regionRef.current.dataset.callStats = JSON.stringify(stats);
      });
    }, STATS_EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [readCallStats]);

  if (!call) return null;
  const { view, preview, remote, remoteHasVideo, sending } = call;
  const name = view.peer.displayName.trim() || view.peer.username;
  const status = callStatusWords(view);
  const answered = view.phase === 'connecting' || view.phase === 'connected' || view.phase === 'reconnecting';
  const peerVideo = answered && remote !== null && remoteHasVideo && (view.peerSending.video || view.peerSending.screen);
  return (
    <section ref={regionRef} className={`call call--${view.phase}`} aria-label={t.calls.region}>
      <div className="call__stage">
        {peerVideo ? (
          <CallVideo stream={remote} label={t.calls.videoFrom(name)} className="call__remote" />
        ) : (
          <div className="call__peer-picture" role="img" aria-label={t.calls.peerCameraOff(name)}>
            <Avatar user={view.peer} />
          </div>
        )}
        {preview && view.phase !== 'ended' && (
          <CallVideo
            stream={preview}
            label={sending.screen ? t.calls.yourScreen : t.calls.yourCamera}
            className={`call__preview${sending.screen ? '' : ' call__preview--mirrored'}`}
          />
        )}
      </div>
      <div className="call__info">
        <h2 className="call__name">{name}</h2>
        <div className="call__status-line">
          {status !== null && (
            <span role="status" className="call__status">
              {status}
            </span>
          )}
          {(view.phase === 'connected' || view.ended?.durationMs != null) && (
            <CallDuration connectedAt={view.connectedAt} durationMs={view.ended?.durationMs ?? null} />
          )}
          {answered && !view.peerSending.audio && (
            <span className="call__badge">
              <MicOffIcon size={14} />
              {t.calls.peerMuted}
            </span>
          )}
        </div>
      </div>
      {view.phase !== 'ended' && <CallControls />}
    </section>
  );
}
