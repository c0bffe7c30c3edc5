import { useEffect, useRef } from 'react';
import type { CallStream } from '../calls/media-engine.js';
import { routeToSpeaker } from '../calls/speaker.js';
import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';

/**
 * A call's video: the stream goes in as srcObject (no blob: URL, so the page's policy needs
 * nothing more). Always muted: the other side's sound plays through RemoteAudio, which stays on
 * while the call is only a bar and no video shows.
 */
export function CallVideo({ stream, label, className }: { stream: CallStream; label: string; className: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    // The engine's streams are MediaStreams; the store only calls them CallStream.
    video.srcObject = stream as MediaStream;
    void video.play().catch(() => {});
  }, [stream]);
  return <video ref={ref} className={className} aria-label={label} autoPlay playsInline muted />;
}

/**
 * The other side's sound, for as long as the call has it, whatever the screen shows; through the
 * speaker chosen in Settings → Calls, moved there at once when the choice changes mid-call.
 */
export function RemoteAudio({ stream }: { stream: CallStream }) {
  const ref = useRef<HTMLAudioElement>(null);
  const speakerId = useApp((s) => s.preferences?.speakerId ?? null);
  useEffect(() => {
    const audio = ref.current;
    if (!audio) return;
    audio.srcObject = stream as MediaStream;
    void audio.play().catch(() => {});
  }, [stream]);
  useEffect(() => {
    if (ref.current) void routeToSpeaker(ref.current, speakerId);
  }, [speakerId]);
  return <audio ref={ref} autoPlay hidden />;
}

/** This device's camera (mirrored, as in a mirror) or shared screen, small over the call. */
export function OwnPreview({ stream, screen }: { stream: CallStream; screen: boolean }) {
  return (
    <CallVideo
      stream={stream}
      label={screen ? t.calls.yourScreen : t.calls.yourCamera}
      className={`call__preview${screen ? '' : ' call__preview--mirrored'}`}
    />
  );
}
