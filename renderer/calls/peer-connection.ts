/**
 * The WebRTC side of one call on this device: one RTCPeerConnection with an audio and a video
 * transceiver, negotiated through the core (which carries each description and batch of candidates
 * end-to-end encrypted to the other device, in order). The device that answered the call makes the
 * offer, and the ICE restarts after a network change; the calling device answers every offer it
 * gets. Both transceivers exist from the start and send in both directions, so muting, the camera
 * and screen sharing only swap tracks (replaceTrack) and never renegotiate.
 */
import type { CallIceCandidate, CallNegotiation } from '../../sync/common/call-negotiation.js';
import { CandidateBatcher } from './candidate-batcher.js';
import { summarizeCallStats, type CallStats } from './call-stats.js';
import type { LocalMedia } from './local-media.js';

export type MediaReport = 'connected' | 'disconnected' | 'failed';

export interface PeerSignals {
  sendNegotiation(negotiation: CallNegotiation): Promise<unknown>;
  reportMedia(status: MediaReport): Promise<unknown>;
}

export interface CallPeerOptions {
  callId: string;
  role: 'offer' | 'answer';
  media: LocalMedia;
  /** Resolves once the microphone (and camera) were asked for; the offer waits for it. */
  mediaReady: Promise<unknown>;
  iceServers: Promise<RTCIceServer[]>;
  signals: PeerSignals;
  /** The other side's tracks arrived or changed. */
  onRemoteMedia: () => void;
}

/** The media state the core hears of, from the connection's state (ICE's on browsers without one). */
function reportFor(state: string): MediaReport | null {
  if (state === 'connected' || state === 'disconnected' || state === 'failed') return state;
  return null;
}

export class CallPeerConnection {
  readonly callId: string;
  readonly role: 'offer' | 'answer';
  /** What the other side sends, for the call's <video> and <audio>. */
  readonly remoteStream = new MediaStream();
  readonly #options: CallPeerOptions;
  readonly #batcher: CandidateBatcher;
  readonly #ready: Promise<RTCPeerConnection | null>;
  #work: Promise<void> = Promise.resolve();
  #sends: Promise<void> = Promise.resolve();
  /** Candidates that arrived before the description they belong to. */
  #earlyCandidates: CallIceCandidate[] = [];
  #audioSender: RTCRtpSender | null = null;
  #videoSender: RTCRtpSender | null = null;
  #lastReport: MediaReport | null = null;
  #closed = false;
  readonly #stopWatchingMedia: () => void;

  constructor(options: CallPeerOptions) {
    this.#options = options;
    this.callId = options.callId;
    this.role = options.role;
    this.#batcher = new CandidateBatcher((candidates) => this.#send({ kind: 'candidates', candidates }));
    this.#stopWatchingMedia = options.media.onChange(() => this.#enqueue(() => this.#attachTracks()));
    this.#ready = this.#create();
    if (this.role === 'offer') this.#enqueue((pc) => this.#offer(pc, false));
  }

  /** The other device's description or candidates, applied in the order they arrive. */
  receive(negotiation: CallNegotiation): void {
    this.#enqueue((pc) => this.#apply(pc, negotiation));
  }

  /** The core asks for it after the media was lost: a new offer with new ICE credentials. */
  restartIce(): void {
    if (this.role === 'offer') this.#enqueue((pc) => this.#offer(pc, true));
  }

  async stats(): Promise<CallStats | null> {
    const pc = await this.#ready;
    if (!pc || this.#closed) return null;
    const report = await pc.getStats();
    return summarizeCallStats(report.values() as Iterable<Record<string, unknown>>);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batcher.cancel();
    this.#stopWatchingMedia();
    void this.#ready.then((pc) => pc?.close());
  }

  async #create(): Promise<RTCPeerConnection | null> {
    const [iceServers] = await Promise.all([this.#options.iceServers, this.#options.mediaReady.catch(() => undefined)]);
    if (this.#closed) return null;
    const pc = new RTCPeerConnection({ iceServers });
    pc.addEventListener('icecandidate', ({ candidate }) => {
      // null: gathering is over. An empty candidate marks the end of one section's: nothing to send.
      if (!candidate) this.#batcher.flush();
      else if (candidate.candidate) {
        this.#batcher.add({ candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex });
      }
    });
    pc.addEventListener('connectionstatechange', () => this.#report(pc.connectionState));
    pc.addEventListener('track', ({ track }) => this.#addRemote(track));
    if (this.role === 'offer') {
      const { media } = this.#options;
      this.#audioSender = pc.addTransceiver(media.microphone ?? 'audio', { direction: 'sendrecv' }).sender;
      this.#videoSender = pc.addTransceiver(media.videoTrack ?? 'video', { direction: 'sendrecv' }).sender;
      this.#collectRemote(pc);
    }
    return pc;
  }

  #enqueue(task: (pc: RTCPeerConnection) => Promise<void>): void {
    this.#work = this.#work
      .then(async () => {
        const pc = await this.#ready;
        if (pc && !this.#closed) await task(pc);
      })
      .catch((error: unknown) => console.error('call negotiation failed', error));
  }

  async #offer(pc: RTCPeerConnection, iceRestart: boolean): Promise<void> {
    const offer = await pc.createOffer({ iceRestart });
    await pc.setLocalDescription(offer);
    this.#send({ kind: 'description', type: 'offer', sdp: pc.localDescription?.sdp ?? offer.sdp ?? '' });
  }

  async #apply(pc: RTCPeerConnection, negotiation: CallNegotiation): Promise<void> {
    switch (negotiation.kind) {
      case 'description':
        if (negotiation.type === 'offer') {
          if (this.role !== 'answer') return;
          await pc.setRemoteDescription({ type: 'offer', sdp: negotiation.sdp });
          await this.#takeOfferedTransceivers(pc);
          await this.#addEarlyCandidates(pc);
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          this.#send({ kind: 'description', type: 'answer', sdp: pc.localDescription?.sdp ?? answer.sdp ?? '' });
        } else {
          // An answer only means something to the offer we are waiting on.
          if (this.role !== 'offer' || pc.signalingState !== 'have-local-offer') return;
          await pc.setRemoteDescription({ type: 'answer', sdp: negotiation.sdp });
          await this.#addEarlyCandidates(pc);
        }
        return;
      case 'candidates':
        if (!pc.remoteDescription) {
          this.#earlyCandidates.push(...negotiation.candidates);
          return;
        }
        await this.#addCandidates(pc, negotiation.candidates);
        return;
    }
  }

  /** The answering side sends on the transceivers the offer made: one audio, one video. */
  async #takeOfferedTransceivers(pc: RTCPeerConnection): Promise<void> {
    if (this.#audioSender && this.#videoSender) return;
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      if (kind === 'audio' && !this.#audioSender) this.#audioSender = transceiver.sender;
      else if (kind === 'video' && !this.#videoSender) this.#videoSender = transceiver.sender;
      else continue;
      transceiver.direction = 'sendrecv';
    }
    this.#collectRemote(pc);
    await this.#attachTracks();
  }

  async #attachTracks(): Promise<void> {
    const { media } = this.#options;
    const wanted: Array<[RTCRtpSender | null, MediaStreamTrack | null]> = [
      [this.#audioSender, media.microphone],
      [this.#videoSender, media.videoTrack],
    ];
    for (const [sender, track] of wanted) {
      if (sender && sender.track !== track) await sender.replaceTrack(track);
    }
  }

  async #addEarlyCandidates(pc: RTCPeerConnection): Promise<void> {
    const early = this.#earlyCandidates.splice(0);
    if (early.length > 0) await this.#addCandidates(pc, early);
  }

  async #addCandidates(pc: RTCPeerConnection, candidates: readonly CallIceCandidate[]): Promise<void> {
    for (const candidate of candidates) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (error) {
        // One candidate the browser cannot use (another network's, a stale restart's) spoils nothing else.
        console.warn('ICE candidate not added', error);
      }
    }
  }

  #collectRemote(pc: RTCPeerConnection): void {
    for (const receiver of pc.getReceivers()) this.#addRemote(receiver.track);
  }

  #addRemote(track: MediaStreamTrack): void {
    if (this.remoteStream.getTrackById(track.id)) return;
    this.remoteStream.addTrack(track);
    this.#options.onRemoteMedia();
  }

  #send(negotiation: CallNegotiation): void {
    // One at a time, so the core carries them in the order they were made.
    this.#sends = this.#sends
      .then(async () => {
        if (!this.#closed) await this.#options.signals.sendNegotiation(negotiation);
      })
      .catch((error: unknown) => console.error('call negotiation not sent', error));
  }

  #report(state: string): void {
    const report = reportFor(state);
    if (!report || report === this.#lastReport || this.#closed) return;
    this.#lastReport = report;
    void this.#options.signals.reportMedia(report).catch((error: unknown) => console.error('call media not reported', error));
  }
}
