/**
 * The pure pieces of the renderer's calls: the duration shown, how ICE candidates are batched into
 * signals, what getStats reports are summed into, and the words for a call's status and end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CandidateBatcher, type BatchTimers } from '../../../renderer/calls/candidate-batcher.js';
import { summarizeCallStats } from '../../../renderer/calls/call-stats.js';
import { formatCallDuration } from '../../../renderer/calls/duration.js';
import { callStatusWords } from '../../../renderer/format/calls.js';
import { setLanguage } from '../../../renderer/i18n/index.js';
import type { CallIceCandidate } from '../../../sync/common/call-negotiation.js';

afterEach(() => setLanguage('en'));

describe('a call’s duration', () => {
  it('reads m:ss, then h:mm:ss from the first hour', () => {
    expect(formatCallDuration(0)).toBe('0:00');
    expect(formatCallDuration(999)).toBe('0:00');
    expect(formatCallDuration(1_000)).toBe('0:01');
    expect(formatCallDuration(59_999)).toBe('0:59');
    expect(formatCallDuration(60_000)).toBe('1:00');
    expect(formatCallDuration(192_000)).toBe('3:12');
    expect(formatCallDuration(3_599_000)).toBe('59:59');
    expect(formatCallDuration(3_600_000)).toBe('1:00:00');
    expect(formatCallDuration(3_723_000)).toBe('1:02:03');
  });

  it('never goes below zero (clocks a little apart)', () => {
    expect(formatCallDuration(-1_500)).toBe('0:00');
  });
});

/** Timers driven by the test: `fire()` runs what is due. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 1;
  const timers: BatchTimers = {
    set: (callback) => {
      const handle = next++;
      pending.set(handle, callback);
      return handle;
    },
    clear: (handle) => void pending.delete(handle as number),
  };
  return {
    timers,
    count: () => pending.size,
    fire: () => {
      const due = [...pending.values()];
      pending.clear();
      due.forEach((callback) => callback());
    },
  };
}

const candidate = (n: number): CallIceCandidate => ({
  candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${50_000 + n} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});

describe('candidate batching', () => {
  it('sends candidates gathered close together as one signal, after a pause', () => {
    const sent: CallIceCandidate[][] = [];
    const clock = manualTimers();
    const batcher = new CandidateBatcher((batch) => sent.push(batch), { timers: clock.timers });
    batcher.add(candidate(1));
    batcher.add(candidate(2));
    batcher.add(candidate(3));
    expect(sent).toEqual([]);
    expect(clock.count()).toBe(1);
    clock.fire();
    expect(sent).toEqual([[candidate(1), candidate(2), candidate(3)]]);
    batcher.add(candidate(4));
    clock.fire();
    expect(sent).toEqual([[candidate(1), candidate(2), candidate(3)], [candidate(4)]]);
  });

  it('sends a full batch at once, never more than a signal holds', () => {
    const sent: CallIceCandidate[][] = [];
    const clock = manualTimers();
    const batcher = new CandidateBatcher((batch) => sent.push(batch), { timers: clock.timers });
    for (let n = 0; n < 70; n++) batcher.add(candidate(n));
    expect(sent.map((batch) => batch.length)).toEqual([32, 32]);
    clock.fire();
    expect(sent.map((batch) => batch.length)).toEqual([32, 32, 6]);
    expect(sent.flat()).toEqual(Array.from({ length: 70 }, (_, n) => candidate(n)));
  });

  it('sends what waits when gathering ends, and nothing after it was cancelled', () => {
    const sent: CallIceCandidate[][] = [];
    const clock = manualTimers();
    const batcher = new CandidateBatcher((batch) => sent.push(batch), { timers: clock.timers });
    batcher.add(candidate(1));
    batcher.flush();
    expect(sent).toEqual([[candidate(1)]]);
    expect(clock.count()).toBe(0);
    batcher.flush();
    expect(sent).toHaveLength(1);
    batcher.add(candidate(2));
    batcher.cancel();
    clock.fire();
    batcher.flush();
    expect(sent).toHaveLength(1);
  });
});

describe('call stats', () => {
  it('sums what arrives and leaves by kind, from a getStats report', () => {
    const stats = summarizeCallStats([
      { type: 'inbound-rtp', kind: 'video', framesDecoded: 120, frameWidth: 640 },
      { type: 'inbound-rtp', kind: 'audio', audioLevel: 0.25, totalAudioEnergy: 1.5, bytesReceived: 4_000 },
      { type: 'outbound-rtp', kind: 'video', framesEncoded: 118 },
      { type: 'outbound-rtp', kind: 'audio', bytesSent: 3_900 },
      { type: 'candidate-pair', state: 'succeeded' },
      // After an ICE restart a second stream of a kind may be listed: counted too.
      { type: 'inbound-rtp', kind: 'video', framesDecoded: 5 },
    ]);
    expect(stats).toEqual({
      inboundVideoFramesDecoded: 125,
      inboundVideoFrameWidth: 640,
      inboundAudioLevel: 0.25,
      inboundAudioEnergy: 1.5,
      inboundAudioBytes: 4_000,
      outboundVideoFramesEncoded: 118,
      outboundAudioBytes: 3_900,
    });
  });

  it('says nothing arrived before anything did', () => {
    expect(summarizeCallStats([{ type: 'inbound-rtp', kind: 'audio', audioLevel: Number.NaN }])).toMatchObject({
      inboundVideoFramesDecoded: 0,
      inboundAudioLevel: null,
      inboundAudioEnergy: 0,
    });
  });
});

describe('a call’s status words', () => {
  it('say what the call waits for, nothing while connected, and how it ended', () => {
    expect(callStatusWords({ phase: 'outgoing', ended: null })).toBe('Calling…');
    expect(callStatusWords({ phase: 'connecting', ended: null })).toBe('Connecting…');
    expect(callStatusWords({ phase: 'reconnecting', ended: null })).toBe('Reconnecting…');
    expect(callStatusWords({ phase: 'connected', ended: null })).toBeNull();
    expect(callStatusWords({ phase: 'ended', ended: { reason: 'answered_elsewhere', durationMs: null } })).toBe(
      'Answered on another device',
    );
    expect(callStatusWords({ phase: 'ended', ended: { reason: 'no_answer', durationMs: null } })).toBe('No answer');
    expect(callStatusWords({ phase: 'ended', ended: { reason: 'completed', durationMs: 5_000 } })).toBe('Call ended');
  });

  it('are translated', () => {
    setLanguage('uk');
    expect(callStatusWords({ phase: 'ended', ended: { reason: 'declined', durationMs: null } })).toBe('Відхилено');
    setLanguage('ru');
    expect(callStatusWords({ phase: 'outgoing', ended: null })).toBe('Вызов…');
  });
});
