/**
 * What a calls area of the store (state/calls.ts, state/group-calls.ts) asks of this device's
 * media: the ringtone, the microphone, camera and screen, and one peer connection for each other
 * device in the call, under a key the area chooses (a one-to-one call has one; a group call one per
 * participant). Declared without the browser's types, so the store stays loadable where there is
 * no WebRTC (its unit tests, which use the silent engine); browser-media-engine.ts is the real one.
 */
import type { Preferences } from '../../sync/app-api/preferences.js';
import type { IceServer } from '../../sync/protocol/call-frames.js';
import type { CallMedia } from '../../sync/common/call-machine.js';
import type { CallNegotiation, CallSending } from '../../sync/common/call-negotiation.js';
import type { CallStats } from './call-stats.js';

/** A MediaStream, opaque outside the browser (components hand it to <video> and <audio>). */
export interface CallStream {
  readonly id: string;
}

export type RingKind = 'incoming' | 'outgoing';

/** The microphone and camera chosen in Settings → Calls (device ids; null is the system's default). */
export type CallDevices = Pick<Preferences, 'microphoneId' | 'cameraId'>;

export const DEFAULT_CALL_DEVICES: CallDevices = { microphoneId: null, cameraId: null };

export interface CallSignals {
  sendNegotiation(negotiation: CallNegotiation): Promise<unknown>;
  reportMedia(status: 'connected' | 'disconnected' | 'failed'): Promise<unknown>;
}

/** What one other device sends; the same object until its tracks change. */
export interface RemoteMedia {
  stream: CallStream;
  /** It has a video track (it may still be black: see that device's CallSending). */
  hasVideo: boolean;
}

export interface CallMediaSnapshot {
  /** This device's camera or shared screen, for its preview. */
  preview: CallStream | null;
  /** What each other device sends, by peer key, once its peer connection has tracks. */
  remotes: ReadonlyMap<string, RemoteMedia>;
  sending: CallSending;
  muted: boolean;
}

export interface CallMediaEngine {
  ring(kind: RingKind | null): void;
  /** The call whose media is open, or null. */
  readonly callId: string | null;
  /** The keys of the open call's peer connections. */
  readonly peers: readonly string[];
  /** Opens the microphone (and camera) for this call; another call's media is closed first. */
  open(callId: string, media: CallMedia): void;
  /** The open media now belongs to another call id (glare: the other call survived). */
  adopt(callId: string): void;
  /** Makes the open call's peer connection with the device `peer` stands for, once. */
  connect(peer: string, role: 'offer' | 'answer', iceServers: Promise<IceServer[]>, signals: CallSignals): void;
  receive(peer: string, negotiation: CallNegotiation): void;
  restartIce(peer: string): void;
  /** Closes one peer connection (its device left the call); the microphone and camera stay open. */
  disconnect(peer: string): void;
  /** Stops every track and closes every peer connection. */
  close(): void;
  snapshot(): CallMediaSnapshot;
  /** Called after every change of tracks or of what is sent. */
  onChange(listener: () => void): void;
  setMuted(muted: boolean): void;
  setCamera(on: boolean): Promise<void>;
  setScreenShared(on: boolean): Promise<void>;
  /** The devices to open from now on; an open microphone or camera moves to a newly chosen one. */
  useDevices(devices: CallDevices): void;
  stats(peer: string): Promise<CallStats | null>;
}

/** Makes one engine for each calls area: only one call runs at a time, so only one holds the devices. */
export type CallMediaFactory = () => CallMediaEngine;

const NOTHING_SENT: CallSending = { audio: false, video: false, screen: false };
const NO_REMOTES: ReadonlyMap<string, RemoteMedia> = new Map();

/** No ringtone, no devices, no peer connections: for hosts of the store without WebRTC. */
export function silentCallMedia(): CallMediaEngine {
  let callId: string | null = null;
  let peers: string[] = [];
  return {
    ring: () => {},
    get callId() {
      return callId;
    },
    get peers() {
      return peers;
    },
    open: (id) => {
      if (callId !== id) peers = [];
      callId = id;
    },
    adopt: (id) => {
      callId = id;
    },
    connect: (peer) => {
      if (callId !== null && !peers.includes(peer)) peers = [...peers, peer];
    },
    receive: () => {},
    restartIce: () => {},
    disconnect: (peer) => {
      peers = peers.filter((each) => each !== peer);
    },
    close: () => {
      callId = null;
      peers = [];
    },
    snapshot: () => ({ preview: null, remotes: NO_REMOTES, sending: NOTHING_SENT, muted: false }),
    onChange: () => {},
    setMuted: () => {},
    setCamera: async () => {},
    setScreenShared: async () => {},
    useDevices: () => {},
    stats: async () => null,
  };
}
