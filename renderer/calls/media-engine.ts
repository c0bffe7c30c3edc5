/**
 * What the calls area of the store (state/calls.ts) asks of this device's media: the ringtone, the
 * microphone, camera and screen, and the peer connection. Declared without the browser's types, so
 * the store stays loadable where there is no WebRTC (its unit tests, which use the silent engine);
 * browser-media-engine.ts is the real one.
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

export interface CallMediaSnapshot {
  /** This device's camera or shared screen, for its preview. */
  preview: CallStream | null;
  /** What the other side sends; a new object whenever its tracks change. */
  remote: CallStream | null;
  /** The remote stream has a video track (it may still be black: see the other side's CallSending). */
  remoteHasVideo: boolean;
  sending: CallSending;
  muted: boolean;
}

export interface CallMediaEngine {
  ring(kind: RingKind | null): void;
  /** The call whose media is open, or null. */
  readonly callId: string | null;
  /** Whether the open call has its peer connection. */
  readonly connected: boolean;
  /** Opens the microphone (and camera) for this call; another call's media is closed first. */
  open(callId: string, media: CallMedia): void;
  /** The open media now belongs to another call id (glare: the other call survived). */
  adopt(callId: string): void;
  /** Makes the open call's peer connection, once. */
  connect(role: 'offer' | 'answer', iceServers: Promise<IceServer[]>, signals: CallSignals): void;
  receive(negotiation: CallNegotiation): void;
  restartIce(): void;
  /** Stops every track and closes the peer connection. */
  close(): void;
  snapshot(): CallMediaSnapshot;
  /** Called after every change of tracks or of what is sent. */
  onChange(listener: () => void): void;
  setMuted(muted: boolean): void;
  setCamera(on: boolean): Promise<void>;
  setScreenShared(on: boolean): Promise<void>;
  /** The devices to open from now on; an open microphone or camera moves to a newly chosen one. */
  useDevices(devices: CallDevices): void;
  stats(): Promise<CallStats | null>;
}

const NOTHING_SENT: CallSending = { audio: false, video: false, screen: false };

/** No ringtone, no devices, no peer connection: for hosts of the store without WebRTC. */
export function silentCallMedia(): CallMediaEngine {
  let callId: string | null = null;
  let connected = false;
  return {
    ring: () => {},
    get callId() {
      return callId;
    },
    get connected() {
      return connected;
    },
    open: (id) => {
      if (callId !== id) connected = false;
      callId = id;
    },
    adopt: (id) => {
      callId = id;
    },
    connect: () => {
      connected = callId !== null;
    },
    receive: () => {},
    restartIce: () => {},
    close: () => {
      callId = null;
      connected = false;
    },
    snapshot: () => ({ preview: null, remote: null, remoteHasVideo: false, sending: NOTHING_SENT, muted: false }),
    onChange: () => {},
    setMuted: () => {},
    setCamera: async () => {},
    setScreenShared: async () => {},
    useDevices: () => {},
    stats: async () => null,
  };
}
