/**
 * Page scripts for timing WebRTC media inside Chromium (call-media.ts). They are plain JavaScript
 * strings, not transformed by tsx, so nothing is injected into the page; every time is the page's
 * own performance.now(), so no clock is compared across processes.
 *
 * PEER_WATCH, added with page.addInitScript before the app loads, replaces RTCPeerConnection with a
 * subclass that notes, for each connection: when it was made, when its own and the other side's
 * descriptions and the other's first candidate were set, when its connectionState became
 * 'connected' (ICE and DTLS done), and when getStats() (asked every POLL_MS) first showed an
 * inbound audio packet and a decoded inbound video frame; and the candidate pair it connected on.
 * It also notes every click's event timestamp and the name of the button clicked.
 *
 * PEER_PAIR adds window.__benchPair(video): two bare connections in the page, signalled directly
 * (no server, no core), each sending the fake microphone (and camera) as the app's peers do; the
 * offerer's connection is watched as above, timed from createOffer. The floor WebRTC itself sets.
 */

/** How often a watched connection's getStats() is read until its media has arrived. */
export const POLL_MS = 10;

/** One watched peer connection (times in the page's performance.now(), ms). */
export interface WatchedPeer {
  createdAt: number;
  wantVideo: boolean;
  /** Its own offer or answer set (setLocalDescription resolved). */
  localDescriptionAt: number | null;
  /** The other side's description handed to it (setRemoteDescription called). */
  remoteDescriptionAt: number | null;
  firstRemoteCandidateAt: number | null;
  connectedAt: number | null;
  firstAudioAt: number | null;
  firstVideoAt: number | null;
  /** The candidate pair it connected on, e.g. "host udp → prflx udp". */
  pair: string | null;
  polls: number;
}

export interface PageClick {
  name: string;
  at: number;
}

/** What __benchPair reports: ms from createOffer, null for what did not arrive. */
export interface PairTiming {
  connectedMs: number | null;
  firstAudioMs: number | null;
  firstVideoMs: number | null;
  pair: string | null;
}

export const PEER_WATCH = String.raw`
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native || window.__benchPeers) return;
  const state = { watching: true, wantVideo: false, records: [], clicks: [] };
  window.__benchPeers = state;
  const done = (r) => r.connectedAt !== null && r.pair !== null && r.firstAudioAt !== null && (!r.wantVideo || r.firstVideoAt !== null);
  // Chromium leaves the addresses out of its stats (empty): the candidates' types and protocol say enough.
  const describe = (c) => c ? [c.candidateType, c.address, c.protocol].filter(Boolean).join(' ') : '?';
  const poll = async (pc, r) => {
    const stopAt = performance.now() + 60000;
    while (pc.connectionState !== 'closed' && !done(r) && performance.now() < stopAt) {
      // The time the stats were asked for: they are collected right after, so the first packet
      // arrived within one poll before it.
      const askedAt = performance.now();
      try {
        const report = await pc.getStats();
        r.polls += 1;
        report.forEach((s) => {
          if (s.type !== 'inbound-rtp') return;
          if (s.kind === 'audio' && s.packetsReceived > 0 && r.firstAudioAt === null) r.firstAudioAt = askedAt;
          if (s.kind === 'video' && s.framesDecoded > 0 && r.firstVideoAt === null) r.firstVideoAt = askedAt;
        });
        if (r.connectedAt !== null && r.pair === null) {
          report.forEach((s) => {
            const chosen = s.type === 'transport' && s.selectedCandidatePairId ? report.get(s.selectedCandidatePairId) : null;
            if (chosen && r.pair === null) {
              r.pair = describe(report.get(chosen.localCandidateId)) + ' → ' + describe(report.get(chosen.remoteCandidateId));
            }
          });
        }
      } catch {
        // Closed while asked: the loop ends on the next check.
      }
      await new Promise((resolve) => setTimeout(resolve, ${POLL_MS}));
    }
  };
  class WatchedPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      if (!state.watching) return;
      const r = {
        createdAt: performance.now(), wantVideo: state.wantVideo, localDescriptionAt: null, remoteDescriptionAt: null,
        firstRemoteCandidateAt: null, connectedAt: null, firstAudioAt: null, firstVideoAt: null, pair: null, polls: 0,
      };
      state.records.push(r);
      this.__benchRecord = r;
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected' && r.connectedAt === null) r.connectedAt = performance.now();
      });
      void poll(this, r);
    }
    // Where the time goes between made and connected: its own description set, the other's
    // arrived, the other's first candidate arrived (the first of each only).
    async setLocalDescription(...args) {
      const result = await super.setLocalDescription(...args);
      if (this.__benchRecord && this.__benchRecord.localDescriptionAt === null) this.__benchRecord.localDescriptionAt = performance.now();
      return result;
    }
    setRemoteDescription(...args) {
      if (this.__benchRecord && this.__benchRecord.remoteDescriptionAt === null) this.__benchRecord.remoteDescriptionAt = performance.now();
      return super.setRemoteDescription(...args);
    }
    addIceCandidate(...args) {
      if (this.__benchRecord && this.__benchRecord.firstRemoteCandidateAt === null) this.__benchRecord.firstRemoteCandidateAt = performance.now();
      return super.addIceCandidate(...args);
    }
  }
  window.RTCPeerConnection = WatchedPeerConnection;
  window.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button') : null;
    const name = button ? (button.getAttribute('aria-label') ?? button.textContent ?? '').trim() : '';
    state.clicks.push({ name, at: event.timeStamp });
    if (state.clicks.length > 50) state.clicks.shift();
  }, { capture: true });
})();
`;

export const PEER_PAIR = String.raw`
window.__benchPair = async (video) => {
  const media = window.__benchMedia ?? (window.__benchMedia = await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
  const tracks = media.getTracks().filter((t) => video || t.kind === 'audio');
  window.__benchPeers.wantVideo = video;
  const offerer = new RTCPeerConnection({ iceServers: [] });
  const answerer = new RTCPeerConnection({ iceServers: [] });
  offerer.addEventListener('icecandidate', ({ candidate }) => { if (candidate) void answerer.addIceCandidate(candidate); });
  answerer.addEventListener('icecandidate', ({ candidate }) => { if (candidate) void offerer.addIceCandidate(candidate); });
  for (const track of tracks) offerer.addTransceiver(track, { direction: 'sendrecv' });
  const r = offerer.__benchRecord;
  const t0 = performance.now();
  try {
    const offer = await offerer.createOffer();
    await offerer.setLocalDescription(offer);
    await answerer.setRemoteDescription(offer);
    // The answering side sends on the offered transceivers, as the app's does.
    for (const transceiver of answerer.getTransceivers()) {
      const track = tracks.find((t) => t.kind === transceiver.receiver.track.kind);
      transceiver.direction = 'sendrecv';
      if (track) await transceiver.sender.replaceTrack(track);
    }
    const answer = await answerer.createAnswer();
    await answerer.setLocalDescription(answer);
    await offerer.setRemoteDescription(answer);
    const stopAt = performance.now() + 30000;
    while (performance.now() < stopAt && !(r.connectedAt !== null && r.firstAudioAt !== null && (!video || r.firstVideoAt !== null))) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const since = (at) => (at === null ? null : at - t0);
    return { connectedMs: since(r.connectedAt), firstAudioMs: since(r.firstAudioAt), firstVideoMs: since(r.firstVideoAt), pair: r.pair };
  } finally {
    offerer.close();
    answerer.close();
  }
};
`;
