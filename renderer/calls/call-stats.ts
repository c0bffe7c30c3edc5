/**
 * What a call's media is doing, read from the peer connection's getStats(): whether frames and
 * sound arrive and leave. The call region publishes it (data-call-stats) for the end-to-end tests
 * and for anyone debugging a call with the developer tools.
 */
export interface CallStats {
  inboundVideoFramesDecoded: number;
  inboundVideoFrameWidth: number | null;
  /** The latest level of the sound received, 0..1 (null before any arrived). */
  inboundAudioLevel: number | null;
  /** All the sound energy received so far: grows while the other side's microphone sends. */
  inboundAudioEnergy: number;
  inboundAudioBytes: number;
  outboundVideoFramesEncoded: number;
  outboundAudioBytes: number;
}

type StatsEntry = Readonly<Record<string, unknown>>;

const numberOr = <T>(value: unknown, otherwise: T): number | T =>
  typeof value === 'number' && Number.isFinite(value) ? value : otherwise;

/** Sums the rtp streams of each kind (an ICE restart or a replaced track may leave more than one). */
export function summarizeCallStats(entries: Iterable<StatsEntry>): CallStats {
  const stats: CallStats = {
    inboundVideoFramesDecoded: 0,
    inboundVideoFrameWidth: null,
    inboundAudioLevel: null,
    inboundAudioEnergy: 0,
    inboundAudioBytes: 0,
    outboundVideoFramesEncoded: 0,
    outboundAudioBytes: 0,
  };
  for (const entry of entries) {
    if (entry.type === 'inbound-rtp' && entry.kind === 'video') {
      stats.inboundVideoFramesDecoded += numberOr(entry.framesDecoded, 0);
      stats.inboundVideoFrameWidth = numberOr(entry.frameWidth, stats.inboundVideoFrameWidth);
    } else if (entry.type === 'inbound-rtp' && entry.kind === 'audio') {
      stats.inboundAudioLevel = numberOr(entry.audioLevel, stats.inboundAudioLevel);
      stats.inboundAudioEnergy += numberOr(entry.totalAudioEnergy, 0);
      stats.inboundAudioBytes += numberOr(entry.bytesReceived, 0);
    } else if (entry.type === 'outbound-rtp' && entry.kind === 'video') {
      stats.outboundVideoFramesEncoded += numberOr(entry.framesEncoded, 0);
    } else if (entry.type === 'outbound-rtp' && entry.kind === 'audio') {
      stats.outboundAudioBytes += numberOr(entry.bytesSent, 0);
    }
  }
  return stats;
}
