/**
 * The ringtone, made with WebAudio rather than shipped as a sound file: two short chords, a pause,
 * again (incoming), or one soft tone every few seconds while the other side rings (outgoing).
 * Nothing to load, and nothing that needs the page's policy loosened.
 */
export type RingKind = 'incoming' | 'outgoing';

interface Pattern {
  frequencies: readonly number[];
  /** Offsets (s) of the bursts within one cycle, each `burstS` long. */
  bursts: readonly number[];
  burstS: number;
  cycleS: number;
  gain: number;
}

const PATTERNS: Readonly<Record<RingKind, Pattern>> = {
  incoming: { frequencies: [440, 554], bursts: [0, 0.5], burstS: 0.4, cycleS: 3, gain: 0.18 },
  outgoing: { frequencies: [425], bursts: [0], burstS: 1, cycleS: 4, gain: 0.08 },
};

export interface Ringtone {
  stop(): void;
}

/** Starts ringing; stop() silences it and frees the audio context. */
export function startRingtone(kind: RingKind): Ringtone {
  const pattern = PATTERNS[kind];
  let context: AudioContext;
  try {
    context = new AudioContext();
  } catch {
    return { stop: () => {} };
  }
  // Without a click on the page yet the context starts suspended: ringing silently then is all we can do.
  void context.resume().catch(() => {});
  const output = context.createGain();
  output.gain.value = pattern.gain;
  output.connect(context.destination);

  const scheduleCycle = (startAt: number) => {
    for (const offset of pattern.bursts) {
      const envelope = context.createGain();
      const begin = startAt + offset;
      const end = begin + pattern.burstS;
      envelope.gain.setValueAtTime(0, begin);
      envelope.gain.linearRampToValueAtTime(1, begin + 0.02);
      envelope.gain.setValueAtTime(1, end - 0.05);
      envelope.gain.linearRampToValueAtTime(0, end);
      envelope.connect(output);
      for (const frequency of pattern.frequencies) {
        const oscillator = context.createOscillator();
        oscillator.frequency.value = frequency;
        oscillator.connect(envelope);
        oscillator.start(begin);
        oscillator.stop(end);
      }
    }
  };
  let next = context.currentTime + 0.05;
  scheduleCycle(next);
  // One cycle is scheduled ahead at a time, so stopping never leaves a long tail queued.
  const interval = setInterval(() => {
    next += pattern.cycleS;
    scheduleCycle(next);
  }, pattern.cycleS * 1000);

  return {
    stop() {
      clearInterval(interval);
      void context.close().catch(() => {});
    },
  };
}
