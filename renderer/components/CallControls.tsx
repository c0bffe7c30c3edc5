import { useState } from 'react';
import type { CallSending } from '../../sync/common/call-negotiation.js';
import { t } from '../i18n/index.js';
import { MicIcon, CloseIcon } from './icons.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { HangUpIcon, MicOffIcon, ScreenShareIcon, VideoIcon, VideoOffIcon } from './call-icons.js';

/** What the controls do to the call they are under: a one-to-one call's actions, or a group call's. */
export interface CallControlActions {
  setMuted: (muted: boolean) => Promise<void>;
  setCamera: (on: boolean) => Promise<void>;
  setScreenShared: (on: boolean) => Promise<void>;
  hangUp: () => Promise<void>;
}

/** Mute, camera, screen and "Hang up" during a call; each toggle names what it will do. */
export function CallControls({ muted, sending, actions }: { muted: boolean; sending: CallSending; actions: CallControlActions }) {
  const { showNotice } = useActions();
  const [busy, setBusy] = useState<'camera' | 'screen' | null>(null);
  const camera = sending.video;
  const screen = sending.screen;

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
        onClick={() => void run(null, () => actions.setMuted(!muted))}
      >
        {muted ? <MicOffIcon size={20} /> : <MicIcon size={20} />}
        <span>{muted ? t.calls.unmute : t.calls.mute}</span>
      </button>
      <button
        type="button"
        className={`call__control${camera ? '' : ' call__control--off'}`}
        disabled={busy === 'camera'}
        onClick={() => void run('camera', () => actions.setCamera(!camera))}
      >
        {camera ? <VideoIcon size={20} /> : <VideoOffIcon size={20} />}
        <span>{camera ? t.calls.cameraOff : t.calls.cameraOn}</span>
      </button>
      <button
        type="button"
        className={`call__control${screen ? ' call__control--on' : ''}`}
        disabled={busy === 'screen'}
        onClick={() => void run('screen', () => actions.setScreenShared(!screen))}
      >
        {screen ? <CloseIcon size={20} /> : <ScreenShareIcon size={20} />}
        <span>{screen ? t.calls.stopSharing : t.calls.shareScreen}</span>
      </button>
      <button type="button" className="call__control call__control--hang-up" onClick={() => void run(null, actions.hangUp)}>
        <HangUpIcon size={20} />
        <span>{t.calls.hangUp}</span>
      </button>
    </div>
  );
}
