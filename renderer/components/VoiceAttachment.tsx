import { useEffect, useRef, useState } from 'react';
import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import { formatDuration } from '../format/size.js';
import { useAttachmentFile } from '../hooks/useAttachmentFile.js';
import { t } from '../i18n/index.js';
import { PauseIcon, PlayIcon } from './icons.js';

/** A voice message: Play / Pause and its length. Fetched on the first Play if it is not here yet. */
export function VoiceAttachment({ message, attachment }: { message: MessageView; attachment: AttachmentView }) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [waitingToPlay, setWaitingToPlay] = useState(false);
  const { fetch } = useAttachmentFile(message, attachment);
  const src = attachment.localUrl;

  useEffect(() => {
    if (!waitingToPlay || !src) return;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the recording has arrived: play it as asked
    setWaitingToPlay(false);
    void audioRef.current?.play().catch(() => setPlaying(false));
  }, [waitingToPlay, src]);

  const toggle = () => {
    const audio = audioRef.current;
    if (!audio) return;
    if (playing) {
      audio.pause();
      return;
    }
    if (!src) {
      setWaitingToPlay(true);
      void fetch();
      return;
    }
    void audio.play().catch(() => setPlaying(false));
  };

  const label = playing ? t.voice.pause : t.voice.play;
  return (
    <div className="attachment-voice">
      <button type="button" className="attachment-voice__play" aria-label={label} title={label} onClick={toggle}>
        {playing ? <PauseIcon size={18} /> : <PlayIcon size={18} />}
      </button>
      <span className="attachment-voice__duration" aria-label={t.voice.duration}>
        {formatDuration(attachment.durationMs ?? 0)}
      </span>
      <audio
        ref={audioRef}
        src={src ?? undefined}
        preload="metadata"
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        onEnded={() => setPlaying(false)}
      />
    </div>
  );
}
