/**
 * The call media engine of a real page: the WebAudio ringtone, this device's microphone, camera
 * and screen (local-media.ts), opened once per call, and one peer connection (peer-connection.ts)
 * for each other device in it, all sending the same tracks.
 */
import type { CallMedia } from '../../sync/common/call-machine.js';
import { CallPeerConnection } from './peer-connection.js';
import { LocalMedia } from './local-media.js';
import {
  DEFAULT_CALL_DEVICES,
  type CallMediaEngine,
  type CallMediaSnapshot,
  type RemoteMedia,
  type RingKind,
} from './media-engine.js';
import { startRingtone, type Ringtone } from './ringtone.js';

interface Peer {
  connection: CallPeerConnection;
  /** What the snapshot last showed of it, kept while its tracks stay the same. */
  shown: RemoteMedia | null;
}

/** The same RemoteMedia while the peer's tracks are the same: a new stream makes <video> and <audio> take it up again. */
function remoteMedia(shown: RemoteMedia | null, received: MediaStream): RemoteMedia | null {
  const tracks = received.getTracks();
  const before = shown?.stream as MediaStream | undefined;
  if (before && before.getTracks().length === tracks.length && tracks.every((track) => before.getTrackById(track.id))) {
    return shown;
  }
  if (tracks.length === 0) return null;
  const stream = new MediaStream(tracks);
  return { stream, hasVideo: stream.getVideoTracks().length > 0 };
}

export function browserCallMedia(): CallMediaEngine {
  let ringing: { kind: RingKind; tone: Ringtone } | null = null;
  let media: LocalMedia | null = null;
  let mediaReady: Promise<void> = Promise.resolve();
  let callId: string | null = null;
  const peers = new Map<string, Peer>();
  let listener: () => void = () => {};
  let previewTrack: MediaStreamTrack | null = null;
  let preview: MediaStream | null = null;
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
    get peers() {
      return [...peers.keys()];
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
      if (peers.size === 0) callId = id;
    },
    connect(peer, role, iceServers, signals) {
      if (!media || !callId || peers.has(peer)) return;
      const connection = new CallPeerConnection({
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
      peers.set(peer, { connection, shown: null });
    },
    receive(peer, negotiation) {
      peers.get(peer)?.connection.receive(negotiation);
    },
    restartIce(peer) {
      peers.get(peer)?.connection.restartIce();
    },
    disconnect(peer) {
      const gone = peers.get(peer);
      if (!gone) return;
      gone.connection.close();
      peers.delete(peer);
      changed();
    },
    close() {
      for (const { connection } of peers.values()) connection.close();
      peers.clear();
      media?.close();
      media = null;
      callId = null;
      changed();
    },
    snapshot(): CallMediaSnapshot {
      const videoTrack = media?.videoTrack ?? null;
      if (videoTrack !== previewTrack) {
        previewTrack = videoTrack;
        preview = videoTrack ? new MediaStream([videoTrack]) : null;
      }
      const remotes = new Map<string, RemoteMedia>();
      for (const [key, peer] of peers) {
        peer.shown = remoteMedia(peer.shown, peer.connection.remoteStream);
        if (peer.shown) remotes.set(key, peer.shown);
      }
      return {
        preview,
        remotes,
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
    stats: async (peer) => (await peers.get(peer)?.connection.stats()) ?? null,
  };
  return engine;
}
