/**
 * The entry a call leaves in the conversation's log (calls/call-log.ts): written by the caller's
 * device only, with the outcome it saw; 60 s of ringing make it "No answer".
 */
import { describe, expect, it } from 'vitest';
import { callContentOf } from '../../../sync/client/calls/call-log.js';
import { CALL_TIMEOUTS, IDLE, step, type CallEffect, type CallEntry } from '../../../sync/common/call-machine.js';
import { contentSchema } from '../../../sync/content/content.js';

const callId = 'c'.repeat(32);
const recorded = (effects: CallEffect[]): CallEntry | undefined =>
  effects.flatMap((effect) => (effect.type === 'record' ? [effect.entry] : []))[0];

describe('a call’s entry', () => {
  it('is "No answer" once a call to devices that never rang has rung for the ringing time, and is content as sealed', () => {
    const started = step(IDLE, { type: 'start', callId, peerId: 'bob', media: 'audio' }, 1_000);
    const early = step(started.state, { type: 'tick' }, 1_000 + CALL_TIMEOUTS.ringingMs - 1);
    expect(recorded(early.effects)).toBeUndefined();
    const timedOut = step(started.state, { type: 'tick' }, 1_000 + CALL_TIMEOUTS.ringingMs);
    const content = callContentOf(recorded(timedOut.effects)!);
    expect(content).toEqual({ kind: 'call', callId, media: 'audio', outcome: 'no_answer', durationMs: null });
    expect(contentSchema.parse(content)).toEqual(content);
  });

  it('is written by the caller only: a call that rang here leaves none from this device', () => {
    const base = { callId, peerId: 'ann', media: 'video' as const, durationMs: null };
    expect(callContentOf({ ...base, direction: 'incoming', reason: 'missed' })).toBeNull();
    expect(callContentOf({ ...base, direction: 'incoming', reason: 'completed', durationMs: 5_000 })).toBeNull();
    expect(callContentOf({ ...base, direction: 'outgoing', reason: 'completed', durationMs: 5_000.6 })).toEqual({
      kind: 'call',
      callId,
      media: 'video',
      outcome: 'completed',
      durationMs: 5_001,
    });
  });
});
