/**
 * The call media engine of a real page: the WebAudio ringtone, this device's microphone, camera
 * and screen (local-media.ts) and the peer connection (peer-connection.ts), for one call at a time.
 */
import type { CallMedia } from '../../sync/common/call-machine.js';
import { CallPeerConnection } from './peer-connection.js';
import { LocalMedia } from './local-media.js';
import { DEFAULT_CALL_DEVICES, type CallMediaEngine, type CallMediaSnapshot, type RingKind } from './media-engine.js';
import { startRingtone, type Ringtone } from './ringtone.js';

export function browserCallMedia(): CallMediaEngine {
  let ringing: { kind: RingKind; tone: Ringtone } | null = null;
  let media: LocalMedia | null = null;
  let mediaReady: Promise<void> = Promise.resolve();
  let callId: string | null = null;
  let peer: CallPeerConnection | null = null;
  let listener: () => void = () => {};
  let previewTrack: MediaStreamTrack | null = null;
  let preview: MediaStream | null = null;
  let remote: MediaStream | null = null;
  let devices = DEFAULT_CALL_DEVICES;

  const changed = () => listener();

  const engine: CallMediaEngine = {
    ring(kind) {
      if (ringing?.kind === kind) return;
      ringing?.tone.stop();
      ringing = kind ? { kind, tone: startRingtone(kind) } : null;
    },
    get callId() {
      return callId;
    },
    get connected() {
      return peer !== null;
    },
    open(id: string, choice: CallMedia) {
      if (callId === id && media) return;
      engine.close();
      callId = id;
      const opened = new LocalMedia(devices);
      media = opened;
      opened.onChange(changed);
      mediaReady = opened.open(choice);
    },
    adopt(id) {
      if (!peer) callId = id;
    },
    connect(role, iceServers, signals) {
      if (!media || !callId || peer) return;
      peer = new CallPeerConnection({
        callId,
        role,
        media,
        mediaReady,
        iceServers: iceServers.then((servers) =>
          servers.map(({ urls, username, credential }) => ({ urls, username, credential })),
        ),
        signals,
        onRemoteMedia: changed,
      });
    },
    receive(negotiation) {
      peer?.receive(negotiation);
    },
    restartIce() {
      peer?.restartIce();
    },
    close() {
      peer?.close();
      peer = null;
      media?.close();
      media = null;
      callId = null;
      remote = null;
      changed();
    },
    snapshot(): CallMediaSnapshot {
      const videoTrack = media?.videoTrack ?? null;
      if (videoTrack !== previewTrack) {
        previewTrack = videoTrack;
        preview = videoTrack ? new MediaStream([videoTrack]) : null;
      }
      const tracks = peer?.remoteStream.getTracks() ?? [];
      const same =
        remote !== null && remote.getTracks().length === tracks.length && tracks.every((track) => remote!.getTrackById(track.id));
      // A new stream when its tracks change, so the <video> and <audio> take it up again.
      if (!same) remote = tracks.length > 0 ? new MediaStream(tracks) : null;
      return {
        preview,
        remote,
        remoteHasVideo: remote !== null && remote.getVideoTracks().length > 0,
        sending: media?.sending ?? { audio: false, video: false, screen: false },
        muted: media?.muted ?? false,
      };
    },
    onChange(next) {
      listener = next;
    },
    setMuted(muted) {
      media?.setMuted(muted);
    },
    async setCamera(on) {
      await media?.setCamera(on);
    },
    async setScreenShared(on) {
      if (!media) return;
      if (on) await media.shareScreen();
      else media.stopSharing();
    },
    useDevices(chosen) {
      devices = chosen;
      void media?.useDevices(chosen);
    },
    stats: async () => (peer ? peer.stats() : null),
  };
  return engine;
}
