/**
 * The call state machine (sync/common/call-machine.ts): every phase's transitions, the timeouts,
 * glare between two devices ringing each other, a network change mid-call, and events about
 * another call ignored.
 */
import { describe, expect, it } from 'vitest';
import {
  CALL_TIMEOUTS,
  dueAt,
  IDLE,
  step,
  type CallEffect,
  type CallEvent,
  type CallState,
} from '../../../sync/common/call-machine.js';

const T0 = 1_700_000_000_000;
const ANN = 'ann';
const BOB = 'bob';

/** Runs events from `state`, each at its time; the last state and every effect, in order. */
function run(state: CallState, events: Array<[number, CallEvent]>): { state: CallState; effects: CallEffect[] } {
  const effects: CallEffect[] = [];
  for (const [at, event] of events) {
    const next = step(state, event, at);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

const types = (effects: readonly CallEffect[]) => effects.map((effect) => effect.type);
const ringingFromBob = () => step(IDLE, { type: 'offer', callId: 'c1', peerId: BOB, media: 'video' }, T0).state;
const callingBob = () => step(IDLE, { type: 'start', callId: 'c1', peerId: BOB, media: 'audio' }, T0).state;
const connectedTo = (direction: 'outgoing' | 'incoming') =>
  direction === 'outgoing'
    ? run(callingBob(), [
        [T0 + 1_000, { type: 'answered', callId: 'c1' }],
        [T0 + 1_500, { type: 'media_connected' }],
      ]).state
    : run(ringingFromBob(), [
        [T0 + 1_000, { type: 'accept', media: 'audio' }],
        [T0 + 1_500, { type: 'media_connected' }],
      ]).state;

describe('the call state machine', () => {
  it('an outgoing call: offer, answer, media, and hanging up after 3:12 records "completed" with its duration', () => {
    const started = step(IDLE, { type: 'start', callId: 'c1', peerId: BOB, media: 'video' }, T0);
    expect(started.state).toMatchObject({ phase: 'outgoing', callId: 'c1', peerId: BOB, direction: 'outgoing' });
    expect(started.effects).toEqual([{ type: 'send_offer', callId: 'c1', peerId: BOB, media: 'video' }]);

    const { state, effects } = run(started.state, [
      [T0 + 2_000, { type: 'answered', callId: 'c1' }],
      [T0 + 2_400, { type: 'media_connected' }],
      [T0 + 2_400 + 192_000, { type: 'hang_up' }],
    ]);
    expect(state).toMatchObject({ phase: 'ended', reason: 'completed', durationMs: 192_000 });
    expect(effects).toEqual([
      { type: 'send_hang_up', callId: 'c1', peerId: BOB },
      {
        type: 'record',
        entry: { callId: 'c1', peerId: BOB, media: 'video', direction: 'outgoing', reason: 'completed', durationMs: 192_000 },
      },
    ]);
  });

  it('an incoming call rings, and accepting stops the ringing, answers and tells the person’s other devices', () => {
    const offered = step(IDLE, { type: 'offer', callId: 'c1', peerId: BOB, media: 'video' }, T0);
    expect(offered.state).toMatchObject({ phase: 'ringing', direction: 'incoming', media: 'video' });
    expect(offered.effects).toEqual([{ type: 'ring' }]);

    const accepted = step(offered.state, { type: 'accept', media: 'audio' }, T0 + 3_000);
    expect(accepted.state).toMatchObject({ phase: 'connecting', media: 'audio', since: T0 + 3_000 });
    expect(accepted.effects).toEqual([
      { type: 'stop_ringing' },
      { type: 'send_answer', callId: 'c1', peerId: BOB, media: 'audio' },
      { type: 'tell_own_devices', callId: 'c1', outcome: 'answered' },
    ]);
    const { state, effects } = run(accepted.state, [
      [T0 + 3_500, { type: 'media_connected' }],
      [T0 + 63_500, { type: 'remote_hang_up', callId: 'c1' }],
    ]);
    expect(state).toMatchObject({ phase: 'ended', reason: 'completed', durationMs: 60_000 });
    // The caller hung up: nothing to send back.
    expect(types(effects)).toEqual(['record']);
  });

  it('declining ends it as declined here, tells the caller and the other devices; the caller records "declined"', () => {
    const declined = step(ringingFromBob(), { type: 'decline' }, T0 + 1_000);
    expect(declined.state).toMatchObject({ phase: 'ended', reason: 'declined', durationMs: null });
    expect(declined.effects).toEqual([
      { type: 'stop_ringing' },
      { type: 'send_decline', callId: 'c1', peerId: BOB },
      { type: 'tell_own_devices', callId: 'c1', outcome: 'declined' },
      expect.objectContaining({ type: 'record' }),
    ]);
    // Hanging up while it rings is declining.
    expect(step(ringingFromBob(), { type: 'hang_up' }, T0 + 1_000)).toEqual(declined);

    const caller = step(callingBob(), { type: 'remote_declined', callId: 'c1' }, T0 + 1_000);
    expect(caller.state).toMatchObject({ phase: 'ended', reason: 'declined' });
    expect(types(caller.effects)).toEqual(['record']);
  });

  it('rings for 60 s: "No answer" for the caller (who hangs up) and "Missed" for the callee, at the due time and not before', () => {
    const calling = callingBob();
    expect(dueAt(calling)).toBe(T0 + CALL_TIMEOUTS.ringingMs);
    expect(step(calling, { type: 'tick' }, T0 + 59_999)).toEqual({ state: calling, effects: [] });
    const noAnswer = step(calling, { type: 'tick' }, T0 + 60_000);
    expect(noAnswer.state).toMatchObject({ phase: 'ended', reason: 'no_answer' });
    expect(types(noAnswer.effects)).toEqual(['send_hang_up', 'record']);

    const ringing = ringingFromBob();
    expect(dueAt(ringing)).toBe(T0 + CALL_TIMEOUTS.ringingMs);
    const missed = step(ringing, { type: 'tick' }, T0 + 61_000);
    expect(missed.state).toMatchObject({ phase: 'ended', reason: 'missed', direction: 'incoming' });
    expect(types(missed.effects)).toEqual(['stop_ringing', 'record']);
    expect(dueAt(missed.state)).toBeNull();
  });

  it('a caller who hangs up before an answer: "cancelled" on their side, "Missed" on the callee’s', () => {
    const cancelled = step(callingBob(), { type: 'hang_up' }, T0 + 5_000);
    expect(cancelled.state).toMatchObject({ phase: 'ended', reason: 'cancelled' });
    expect(types(cancelled.effects)).toEqual(['send_hang_up', 'record']);

    const missed = step(ringingFromBob(), { type: 'remote_hang_up', callId: 'c1' }, T0 + 5_000);
    expect(missed.state).toMatchObject({ phase: 'ended', reason: 'missed' });
    expect(types(missed.effects)).toEqual(['stop_ringing', 'record']);
    // A caller whose callee's devices all went away before answering: no answer.
    expect(step(callingBob(), { type: 'remote_hang_up', callId: 'c1' }, T0 + 5_000).state).toMatchObject({
      reason: 'no_answer',
    });
  });

  it('answered or declined on another of the person’s devices: the ringing stops here, and a later word about another call changes nothing', () => {
    const answered = step(ringingFromBob(), { type: 'answered_elsewhere', callId: 'c1' }, T0 + 2_000);
    expect(answered.state).toMatchObject({ phase: 'ended', reason: 'answered_elsewhere' });
    expect(types(answered.effects)).toEqual(['stop_ringing', 'record']);
    const declined = step(ringingFromBob(), { type: 'declined_elsewhere', callId: 'c1' }, T0 + 2_000);
    expect(declined.state).toMatchObject({ phase: 'ended', reason: 'declined_elsewhere' });

    for (const event of [
      { type: 'answered_elsewhere', callId: 'c0' },
      { type: 'declined_elsewhere', callId: 'c0' },
      { type: 'remote_hang_up', callId: 'c0' },
    ] as const) {
      expect(step(ringingFromBob(), event, T0 + 2_000).effects).toEqual([]);
      expect(step(ringingFromBob(), event, T0 + 2_000).state).toEqual(ringingFromBob());
    }
    for (const event of [
      { type: 'answered', callId: 'c0' },
      { type: 'remote_declined', callId: 'c0' },
      { type: 'remote_busy', callId: 'c0' },
      { type: 'remote_hang_up', callId: 'c0' },
    ] as const) {
      expect(step(callingBob(), event, T0 + 2_000)).toEqual({ state: callingBob(), effects: [] });
    }
    const connected = connectedTo('outgoing');
    expect(step(connected, { type: 'remote_hang_up', callId: 'c0' }, T0 + 9_000)).toEqual({ state: connected, effects: [] });
  });

  it('is busy in a call or while ringing: another caller is told so and nothing changes; a busy callee ends the call as busy', () => {
    for (const state of [callingBob(), ringingFromBob(), connectedTo('incoming')]) {
      const other = step(state, { type: 'offer', callId: 'c9', peerId: 'carol', media: 'audio' }, T0 + 9_000);
      expect(other).toEqual({ state, effects: [{ type: 'send_busy', callId: 'c9', peerId: 'carol' }] });
      // Starting another call while in one does nothing.
      expect(step(state, { type: 'start', callId: 'c8', peerId: 'carol', media: 'audio' }, T0 + 9_000)).toEqual({
        state,
        effects: [],
      });
    }
    // The same offer delivered twice rings once.
    expect(step(ringingFromBob(), { type: 'offer', callId: 'c1', peerId: BOB, media: 'video' }, T0 + 1)).toEqual({
      state: ringingFromBob(),
      effects: [],
    });
    const busy = step(callingBob(), { type: 'remote_busy', callId: 'c1' }, T0 + 300);
    expect(busy.state).toMatchObject({ phase: 'ended', reason: 'busy' });
  });

  it('glare: two people ringing each other at once end in the same one call on both sides, without ringing', () => {
    // Each side's offer crosses the other's; their devices see both in opposite orders.
    let ann = step(IDLE, { type: 'start', callId: 'call-b', peerId: BOB, media: 'video' }, T0).state;
    let bob = step(IDLE, { type: 'start', callId: 'call-a', peerId: ANN, media: 'audio' }, T0 + 5).state;
    const atAnn = step(ann, { type: 'offer', callId: 'call-a', peerId: BOB, media: 'audio' }, T0 + 40);
    const atBob = step(bob, { type: 'offer', callId: 'call-b', peerId: ANN, media: 'video' }, T0 + 45);
    ann = atAnn.state;
    bob = atBob.state;
    // "call-a" sorts first: Ann's own call gives way, and her device answers Bob's at once.
    expect(ann).toMatchObject({ phase: 'connecting', callId: 'call-a', direction: 'incoming' });
    // Bob's other devices, ringing for her lost call, stop; so do her own others, ringing for his.
    expect(atAnn.effects).toEqual([
      { type: 'send_answer', callId: 'call-a', peerId: BOB, media: 'audio' },
      { type: 'withdraw', callId: 'call-b', peerId: BOB },
      { type: 'tell_own_devices', callId: 'call-a', outcome: 'answered' },
    ]);
    expect(types(atAnn.effects)).not.toContain('ring');
    // Bob keeps his call and ignores Ann's offer.
    expect(atBob).toEqual({ state: bob, effects: [] });
    expect(bob).toMatchObject({ phase: 'outgoing', callId: 'call-a' });
    // Ann's answer reaches Bob: one call, connecting on both sides.
    bob = step(bob, { type: 'answered', callId: 'call-a' }, T0 + 80).state;
    expect(bob).toMatchObject({ phase: 'connecting', callId: 'call-a' });
    // Bob's device would answer nothing for Ann's lost call; a late hang-up of it changes nothing.
    expect(step(bob, { type: 'remote_hang_up', callId: 'call-b' }, T0 + 90)).toEqual({ state: bob, effects: [] });
  });

  it('a network change mid-call: "Reconnecting", the side that answered restarts ICE, and the call goes on with its duration from the first connection', () => {
    const callee = connectedTo('incoming');
    const lost = step(callee, { type: 'media_disconnected' }, T0 + 30_000);
    expect(lost.state).toMatchObject({ phase: 'reconnecting', since: T0 + 30_000, connectedAt: T0 + 1_500 });
    expect(lost.effects).toEqual([{ type: 'restart_ice', callId: 'c1' }]);
    expect(dueAt(lost.state)).toBe(T0 + 30_000 + CALL_TIMEOUTS.reconnectingMs);
    const back = step(lost.state, { type: 'media_connected' }, T0 + 33_000);
    expect(back.state).toMatchObject({ phase: 'connected', connectedAt: T0 + 1_500 });
    expect(step(back.state, { type: 'hang_up' }, T0 + 61_500).state).toMatchObject({ reason: 'completed', durationMs: 60_000 });

    // The caller waits for the new offer of the side that answered: it restarts nothing itself.
    const caller = step(connectedTo('outgoing'), { type: 'media_disconnected' }, T0 + 30_000);
    expect(caller.state).toMatchObject({ phase: 'reconnecting' });
    expect(caller.effects).toEqual([]);
    // Media that never comes back ends it, with the time it was connected.
    const gone = step(caller.state, { type: 'tick' }, T0 + 60_000);
    expect(gone.state).toMatchObject({ phase: 'ended', reason: 'connection_lost', durationMs: 58_500 });
    expect(types(gone.effects)).toEqual(['send_hang_up', 'record']);
    // Hanging up while reconnecting is an ordinary end.
    expect(step(lost.state, { type: 'hang_up' }, T0 + 31_500).state).toMatchObject({ reason: 'completed', durationMs: 30_000 });
  });

  it('media that never connects, or fails for good, ends the call as failed or lost', () => {
    const connecting = step(callingBob(), { type: 'answered', callId: 'c1' }, T0 + 1_000).state;
    expect(dueAt(connecting)).toBe(T0 + 1_000 + CALL_TIMEOUTS.connectingMs);
    expect(step(connecting, { type: 'tick' }, T0 + 30_999).state).toBe(connecting);
    const timedOut = step(connecting, { type: 'tick' }, T0 + 31_000);
    expect(timedOut.state).toMatchObject({ phase: 'ended', reason: 'failed', durationMs: null });
    expect(types(timedOut.effects)).toEqual(['send_hang_up', 'record']);
    expect(step(connecting, { type: 'media_failed' }, T0 + 2_000).state).toMatchObject({ reason: 'failed' });
    expect(step(connectedTo('incoming'), { type: 'media_failed' }, T0 + 11_500).state).toMatchObject({
      reason: 'connection_lost',
      durationMs: 10_000,
    });
    // Hanging up before media connected: cancelled, no duration.
    expect(step(connecting, { type: 'hang_up' }, T0 + 2_000).state).toMatchObject({ reason: 'cancelled', durationMs: null });
    // Disconnected before ever connecting is nothing new.
    expect(step(connecting, { type: 'media_disconnected' }, T0 + 2_000)).toEqual({ state: connecting, effects: [] });
  });

  it('an ended call shows until dismissed, then is idle; a new call may start or ring meanwhile', () => {
    const ended = step(callingBob(), { type: 'hang_up' }, T0 + 1_000).state;
    expect(step(ended, { type: 'dismiss' }, T0 + 2_000)).toEqual({ state: IDLE, effects: [] });
    expect(step(ended, { type: 'tick' }, T0 + 120_000)).toEqual({ state: ended, effects: [] });
    expect(step(ended, { type: 'offer', callId: 'c2', peerId: 'carol', media: 'audio' }, T0 + 3_000).state).toMatchObject({
      phase: 'ringing',
      callId: 'c2',
    });
    expect(step(ended, { type: 'start', callId: 'c3', peerId: 'carol', media: 'audio' }, T0 + 3_000).state).toMatchObject({
      phase: 'outgoing',
      callId: 'c3',
    });
    expect(step(callingBob(), { type: 'dismiss' }, T0 + 1)).toEqual({ state: callingBob(), effects: [] });
    // Nothing happens to an idle device but a call.
    for (const event of [
      { type: 'accept', media: 'audio' },
      { type: 'decline' },
      { type: 'hang_up' },
      { type: 'media_connected' },
      { type: 'tick' },
    ] as const) {
      expect(step(IDLE, event, T0)).toEqual({ state: IDLE, effects: [] });
    }
    expect(dueAt(IDLE)).toBeNull();
  });
});
