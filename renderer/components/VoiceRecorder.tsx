import { useEffect, useRef, useState } from 'react';
import { formatDuration } from '../format/size.js';
import { useNow } from '../hooks/useNow.js';
import { t } from '../i18n/index.js';
import { startRecording, type Recording } from '../state/voice-recorder.js';
import { CloseIcon, MicIcon, SendIcon } from './icons.js';

interface Props {
  /** The recording ended with Send: the parent stores and sends it. */
  onRecorded: (recording: { blob: Blob; durationMs: number }) => void;
  onError: (reason: string) => void;
  onRecordingChange: (recording: boolean) => void;
  disabled?: boolean;
}

/** "Record voice message", then while recording: the elapsed time, Cancel and Send. */
export function VoiceRecorder({ onRecorded, onError, onRecordingChange, disabled = false }: Props) {
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const recording = useRef<Recording | null>(null);
  const now = useNow(250, startedAt !== null);

  // Leaving the conversation mid-recording lets go of the microphone.
  useEffect(() => () => recording.current?.cancel(), []);

  const start = async () => {
    try {
      recording.current = await startRecording();
      setStartedAt(Date.now());
      onRecordingChange(true);
    } catch {
      onError(t.voice.unavailable(t.voice.micDenied));
    }
  };

  const finish = (send: boolean) => {
    const current = recording.current;
    recording.current = null;
    setStartedAt(null);
    onRecordingChange(false);
    if (!current) return;
    if (!send) {
      current.cancel();
      return;
    }
    current.stop().then(
      (result) => (result.blob.size > 0 ? onRecorded(result) : onError(t.voice.unavailable(t.voice.tooShort))),
      () => onError(t.voice.unavailable(t.voice.tooShort)),
    );
  };

  if (startedAt === null) {
    return (
      <button
        type="button"
        className="icon-button composer__tool"
        aria-label={t.voice.record}
        title={t.voice.record}
        disabled={disabled}
        onClick={() => void start()}
      >
        <MicIcon size={20} />
      </button>
    );
  }
  return (
    <div className="recorder" role="group" aria-label={t.voice.recording}>
      <span className="recorder__dot" aria-hidden="true" />
      <span className="recorder__time" role="timer" aria-label={t.voice.elapsed}>
        {formatDuration(Math.max(0, now - startedAt))}
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label={t.voice.cancel}
        title={t.voice.cancel}
        onClick={() => finish(false)}
      >
        <CloseIcon size={18} />
      </button>
      <button
        type="button"
        className="composer__send"
        aria-label={t.voice.send}
        title={t.voice.send}
        onClick={() => finish(true)}
      >
        <SendIcon size={20} />
      </button>
    </div>
  );
}
