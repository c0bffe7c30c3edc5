import { useState } from 'react';
import { t } from '../i18n/index.js';
import { MicIcon, CloseIcon } from './icons.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { HangUpIcon, MicOffIcon, ScreenShareIcon, VideoIcon, VideoOffIcon } from './call-icons.js';

/** Mute, camera, screen and "Hang up" during a call; each toggle names what it will do. */
export function CallControls() {
  const muted = useApp((s) => s.call?.muted ?? false);
  const camera = useApp((s) => s.call?.sending.video ?? false);
  const screen = useApp((s) => s.call?.sending.screen ?? false);
  const { setCallMuted, setCallCamera, setCallScreenShared, hangUpCall, showNotice } = useActions();
  const [busy, setBusy] = useState<'camera' | 'screen' | null>(null);

  const run = async (which: 'camera' | 'screen' | null, action: () => Promise<void>) => {
    if (which) setBusy(which);
    try {
      await action();
    } catch (error) {
      showNotice(describeError(error));
    } finally {
      if (which) setBusy(null);
    }
  };

  return (
    <div className="call__controls">
      <button
        type="button"
        className={`call__control${muted ? ' call__control--off' : ''}`}
        onClick={() => void run(null, () => setCallMuted(!muted))}
      >
        {muted ? <MicOffIcon size={20} /> : <MicIcon size={20} />}
        <span>{muted ? t.calls.unmute : t.calls.mute}</span>
      </button>
      <button
        type="button"
        className={`call__control${camera ? '' : ' call__control--off'}`}
        disabled={busy === 'camera'}
        onClick={() => void run('camera', () => setCallCamera(!camera))}
      >
        {camera ? <VideoIcon size={20} /> : <VideoOffIcon size={20} />}
        <span>{camera ? t.calls.cameraOff : t.calls.cameraOn}</span>
      </button>
      <button
        type="button"
        className={`call__control${screen ? ' call__control--on' : ''}`}
        disabled={busy === 'screen'}
        onClick={() => void run('screen', () => setCallScreenShared(!screen))}
      >
        {screen ? <CloseIcon size={20} /> : <ScreenShareIcon size={20} />}
        <span>{screen ? t.calls.stopSharing : t.calls.shareScreen}</span>
      </button>
      <button type="button" className="call__control call__control--hang-up" onClick={() => void run(null, hangUpCall)}>
        <HangUpIcon size={20} />
        <span>{t.calls.hangUp}</span>
      </button>
    </div>
  );
}
