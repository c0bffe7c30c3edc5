/**
 * A call media engine for the store's unit tests: it only writes down what it was asked ("connect
 * peer offer", "receive peer description"), keeps the signals each peer connection was given so a
 * test can play that connection's part, and says it changed when the test changes what it sends.
 */
import type { CallSending } from '../../../sync/common/call-negotiation.js';
import type { CallMediaEngine, CallSignals } from '../../../renderer/calls/media-engine.js';

export function recordingCallMedia() {
  const log: string[] = [];
  const signals = new Map<string, CallSignals>();
  let callId: string | null = null;
  let peers: string[] = [];
  let sending: CallSending = { audio: true, video: true, screen: false };
  let listener = () => {};
  const engine: CallMediaEngine = {
    ring: (kind) => log.push(`ring ${kind}`),
    get callId() {
      return callId;
    },
    get peers() {
      return peers;
    },
    open: (id, media) => {
      if (callId === id) return;
      log.push(`open ${id} ${media}`);
      callId = id;
      peers = [];
    },
    adopt: (id) => {
      log.push(`adopt ${id}`);
      callId = id;
    },
    connect: (peer, role, _iceServers, given) => {
      log.push(`connect ${peer} ${role}`);
      peers = [...peers, peer];
      signals.set(peer, given);
    },
    receive: (peer, negotiation) => log.push(`receive ${peer} ${negotiation.kind}`),
    restartIce: (peer) => log.push(`restart ice ${peer}`),
    disconnect: (peer) => {
      log.push(`disconnect ${peer}`);
      peers = peers.filter((each) => each !== peer);
    },
    close: () => {
      if (callId !== null) log.push('close');
      callId = null;
      peers = [];
    },
    snapshot: () => ({ preview: null, remotes: new Map(), sending, muted: !sending.audio }),
    onChange: (next) => {
      listener = next;
    },
    setMuted: (muted) => {
      sending = { ...sending, audio: !muted };
      listener();
    },
    setCamera: async () => {},
    setScreenShared: async () => {},
    useDevices: () => {},
    stats: async () => null,
  };
  return {
    engine,
    log,
    /** The last thing the ringtone was asked. */
    ringing: () => log.filter((line) => line.startsWith('ring')).at(-1),
    /** The signals given to the peer connection with `peer`: its negotiation and how its media fares. */
    signalsOf: (peer: string) => signals.get(peer),
    /** The devices opened and now send this (the engine says it changed). */
    send: (next: CallSending) => {
      sending = next;
      listener();
    },
  };
}
