/**
 * One device's view of a one-to-one call (issue 32), as a pure state machine: `step` takes the
 * state, what happened and the time, and gives the next state and what to do about it (send a
 * signalling message, ring, restart ICE, write the call's entry). It owns no timer: `dueAt` says
 * when the driver's one timer should bring a `tick`. Pure, so the client core (which carries the
 * encrypted signalling) and the renderer (which holds the peer connection) judge a call alike.
 *
 * Glare (both ring each other at once) ends with one call on both sides without another round
 * trip: the call whose id sorts first survives, the other side's device answers it at once. A
 * network change mid-call is "reconnecting": the side that answered restarts ICE, and the call ends only if
 * media does not come back in time.
 */

export type CallMedia = 'audio' | 'video';
export type CallDirection = 'outgoing' | 'incoming';

/** Why a call ended, as this device saw it. */
export type CallEndReason =
  /** It was connected, and someone hung up. */
  | 'completed'
  /** The caller hung up before anyone answered. */
  | 'cancelled'
  /** The callee declined (on this device, or the caller heard so). */
  | 'declined'
  /** Another device of this person answered, or declined. */
  | 'answered_elsewhere'
  | 'declined_elsewhere'
  /** Nobody answered within the ringing time (the caller's side). */
  | 'no_answer'
  /** It rang here and was not answered: the caller gave up, or the ringing time ran out. */
  | 'missed'
  /** The callee was in another call. */
  | 'busy'
  /** Media never connected, or never came back after a network change. */
  | 'failed'
  | 'connection_lost';

interface CallOf {
  callId: string;
  peerId: string;
  media: CallMedia;
  direction: CallDirection;
  /** When it was started (outgoing) or began ringing here (incoming). */
  startedAt: number;
}

export type CallState =
  | { phase: 'idle' }
  | ({ phase: 'outgoing' } & CallOf)
  | ({ phase: 'ringing' } & CallOf)
  | ({ phase: 'connecting'; since: number } & CallOf)
  | ({ phase: 'connected'; connectedAt: number } & CallOf)
  | ({ phase: 'reconnecting'; connectedAt: number; since: number } & CallOf)
  | ({ phase: 'ended'; reason: CallEndReason; durationMs: number | null; endedAt: number } & CallOf);

export type CallEvent =
  /** This device rings `peerId`. */
  | { type: 'start'; callId: string; peerId: string; media: CallMedia }
  /** `peerId` rings this person. */
  | { type: 'offer'; callId: string; peerId: string; media: CallMedia }
  /** Answered here ("Accept", or "Accept with video"). */
  | { type: 'accept'; media: CallMedia }
  | { type: 'decline' }
  | { type: 'hang_up' }
  /** The callee's answer arrived. */
  | { type: 'answered'; callId: string }
  | { type: 'remote_hang_up'; callId: string }
  | { type: 'remote_declined'; callId: string }
  | { type: 'remote_busy'; callId: string }
  /** Another device of this person answered or declined the call ringing here. */
  | { type: 'answered_elsewhere'; callId: string }
  | { type: 'declined_elsewhere'; callId: string }
  /** The peer connection's media: connected, lost (a network change), or failed for good. */
  | { type: 'media_connected' }
  | { type: 'media_disconnected' }
  | { type: 'media_failed' }
  /** Time passed: whatever was due by now happens. */
  | { type: 'tick' }
  /** The ended call was shown: back to idle. */
  | { type: 'dismiss' };

/** A call's entry in the conversation ("Voice call, 3:12", "Missed voice call", "No answer"…). */
export interface CallEntry {
  callId: string;
  peerId: string;
  media: CallMedia;
  direction: CallDirection;
  reason: CallEndReason;
  durationMs: number | null;
}

export type CallEffect =
  | { type: 'send_offer'; callId: string; peerId: string; media: CallMedia }
  | { type: 'send_answer'; callId: string; peerId: string; media: CallMedia }
  | { type: 'send_hang_up'; callId: string; peerId: string }
  | { type: 'send_decline'; callId: string; peerId: string }
  | { type: 'send_busy'; callId: string; peerId: string }
  /** This device's own call lost glare: each of the other person's devices that rang for it stops. */
  | { type: 'withdraw'; callId: string; peerId: string }
  /** To this person's other devices: stop ringing, it was answered or declined here. */
  | { type: 'tell_own_devices'; callId: string; outcome: 'answered' | 'declined' }
  | { type: 'ring' }
  | { type: 'stop_ringing' }
  | { type: 'restart_ice'; callId: string }
  | { type: 'record'; entry: CallEntry };

export interface CallStep {
  state: CallState;
  effects: CallEffect[];
}

export const CALL_TIMEOUTS = {
  /** How long a call rings before it is "No answer" for the caller and "Missed" for the callee. */
  ringingMs: 60_000,
  /** How long answered media may take to connect. */
  connectingMs: 30_000,
  /** How long media may stay away after a network change before the call ends. */
  reconnectingMs: 30_000,
} as const;

export const IDLE: CallState = { phase: 'idle' };

/** When the driver's timer should bring a `tick`; null when nothing is due. */
export function dueAt(state: CallState, timeouts = CALL_TIMEOUTS): number | null {
  switch (state.phase) {
    case 'outgoing':
    case 'ringing':
      return state.startedAt + timeouts.ringingMs;
    case 'connecting':
      return state.since + timeouts.connectingMs;
    case 'reconnecting':
      return state.since + timeouts.reconnectingMs;
    case 'idle':
    case 'connected':
    case 'ended':
      return null;
  }
}

export function step(state: CallState, event: CallEvent, now: number, timeouts = CALL_TIMEOUTS): CallStep {
  if (event.type === 'offer') return offered(state, event, now);
  if (event.type === 'start') return started(state, event, now);
  if (event.type === 'tick') return ticked(state, now, timeouts);
  if (event.type === 'dismiss') return state.phase === 'ended' ? { state: IDLE, effects: [] } : unchanged(state);
  switch (state.phase) {
    case 'outgoing':
      return fromOutgoing(state, event, now);
    case 'ringing':
      return fromRinging(state, event, now);
    case 'connecting':
    case 'connected':
    case 'reconnecting':
      return fromLive(state, event, now);
    case 'idle':
    case 'ended':
      return unchanged(state);
  }
}

function started(state: CallState, event: Extract<CallEvent, { type: 'start' }>, now: number): CallStep {
  if (isBusy(state)) return unchanged(state);
  const call: CallOf = { callId: event.callId, peerId: event.peerId, media: event.media, direction: 'outgoing', startedAt: now };
  return { state: { phase: 'outgoing', ...call }, effects: [{ type: 'send_offer', ...pick(call), media: call.media }] };
}

function offered(state: CallState, event: Extract<CallEvent, { type: 'offer' }>, now: number): CallStep {
  if (isBusy(state) && state.callId === event.callId) return unchanged(state); // the same offer again
  if (state.phase === 'outgoing' && state.peerId === event.peerId) {
    // Glare: both rang each other. The call whose id sorts first survives on both sides; the
    // side whose own call lost answers the other at once (it wanted the call too).
    if (state.callId < event.callId) return unchanged(state);
    const call: CallOf = {
      callId: event.callId,
      peerId: event.peerId,
      media: event.media,
      direction: 'incoming',
      startedAt: now,
    };
    // Their other devices rang for the call that lost, and this person's others for the one that
    // survives: both stop, as when a call is cancelled or answered elsewhere.
    return {
      state: { phase: 'connecting', since: now, ...call },
      effects: [
        { type: 'send_answer', ...pick(call), media: state.media === 'video' ? event.media : 'audio' },
        { type: 'withdraw', callId: state.callId, peerId: state.peerId },
        { type: 'tell_own_devices', callId: call.callId, outcome: 'answered' },
      ],
    };
  }
  if (isBusy(state)) return { state, effects: [{ type: 'send_busy', callId: event.callId, peerId: event.peerId }] };
  const call: CallOf = { callId: event.callId, peerId: event.peerId, media: event.media, direction: 'incoming', startedAt: now };
  return { state: { phase: 'ringing', ...call }, effects: [{ type: 'ring' }] };
}

function fromOutgoing(state: Extract<CallState, { phase: 'outgoing' }>, event: CallEvent, now: number): CallStep {
  switch (event.type) {
    case 'hang_up':
      return ended(state, 'cancelled', now, null, [{ type: 'send_hang_up', ...pick(state) }]);
    case 'answered':
      return ours(state, event) ? { state: { ...state, phase: 'connecting', since: now }, effects: [] } : unchanged(state);
    case 'remote_declined':
      return ours(state, event) ? ended(state, 'declined', now) : unchanged(state);
    case 'remote_busy':
      return ours(state, event) ? ended(state, 'busy', now) : unchanged(state);
    case 'remote_hang_up':
      // The callee's devices all went away before answering.
      return ours(state, event) ? ended(state, 'no_answer', now) : unchanged(state);
    case 'accept':
    case 'decline':
    case 'answered_elsewhere':
    case 'declined_elsewhere':
    case 'media_connected':
    case 'media_disconnected':
    case 'media_failed':
    case 'offer':
    case 'start':
    case 'tick':
    case 'dismiss':
      return unchanged(state);
  }
}

function fromRinging(state: Extract<CallState, { phase: 'ringing' }>, event: CallEvent, now: number): CallStep {
  switch (event.type) {
    case 'accept':
      return {
        state: { ...state, phase: 'connecting', since: now, media: event.media },
        effects: [
          { type: 'stop_ringing' },
          { type: 'send_answer', ...pick(state), media: event.media },
          { type: 'tell_own_devices', callId: state.callId, outcome: 'answered' },
        ],
      };
    case 'decline':
      return ended(state, 'declined', now, null, [
        { type: 'stop_ringing' },
        { type: 'send_decline', ...pick(state) },
        { type: 'tell_own_devices', callId: state.callId, outcome: 'declined' },
      ]);
    case 'hang_up':
      return fromRinging(state, { type: 'decline' }, now);
    case 'remote_hang_up':
      return ours(state, event) ? ended(state, 'missed', now, null, [{ type: 'stop_ringing' }]) : unchanged(state);
    case 'answered_elsewhere':
      return ours(state, event) ? ended(state, 'answered_elsewhere', now, null, [{ type: 'stop_ringing' }]) : unchanged(state);
    case 'declined_elsewhere':
      return ours(state, event) ? ended(state, 'declined_elsewhere', now, null, [{ type: 'stop_ringing' }]) : unchanged(state);
    case 'answered':
    case 'remote_declined':
    case 'remote_busy':
    case 'media_connected':
    case 'media_disconnected':
    case 'media_failed':
    case 'offer':
    case 'start':
    case 'tick':
    case 'dismiss':
      return unchanged(state);
  }
}

type Live = Extract<CallState, { phase: 'connecting' | 'connected' | 'reconnecting' }>;

function fromLive(state: Live, event: CallEvent, now: number): CallStep {
  const connectedAt = state.phase === 'connecting' ? null : state.connectedAt;
  const duration = connectedAt === null ? null : now - connectedAt;
  const over = connectedAt === null ? 'cancelled' : 'completed';
  switch (event.type) {
    case 'hang_up':
      return ended(state, over, now, duration, [{ type: 'send_hang_up', ...pick(state) }]);
    case 'remote_hang_up':
      return ours(state, event) ? ended(state, over, now, duration) : unchanged(state);
    case 'media_connected':
      if (state.phase === 'connected') return unchanged(state);
      return { state: { ...state, phase: 'connected', connectedAt: connectedAt ?? now }, effects: [] };
    case 'media_disconnected':
      if (state.phase !== 'connected') return unchanged(state);
      // Only the side that answered restarts ICE (it made the media's first offer, and makes every
      // one after), so the two sides never both offer anew.
      return {
        state: { ...state, phase: 'reconnecting', since: now },
        effects: state.direction === 'incoming' ? [{ type: 'restart_ice', callId: state.callId }] : [],
      };
    case 'media_failed':
      return ended(state, connectedAt === null ? 'failed' : 'connection_lost', now, duration, [
        { type: 'send_hang_up', ...pick(state) },
      ]);
    case 'accept':
    case 'decline':
    case 'answered':
    case 'remote_declined':
    case 'remote_busy':
    case 'answered_elsewhere':
    case 'declined_elsewhere':
    case 'offer':
    case 'start':
    case 'tick':
    case 'dismiss':
      return unchanged(state);
  }
}

function ticked(state: CallState, now: number, timeouts: typeof CALL_TIMEOUTS): CallStep {
  const due = dueAt(state, timeouts);
  if (due === null || now < due || state.phase === 'idle' || state.phase === 'ended') return unchanged(state);
  switch (state.phase) {
    case 'outgoing':
      return ended(state, 'no_answer', now, null, [{ type: 'send_hang_up', ...pick(state) }]);
    case 'ringing':
      return ended(state, 'missed', now, null, [{ type: 'stop_ringing' }]);
    case 'connecting':
      return ended(state, 'failed', now, null, [{ type: 'send_hang_up', ...pick(state) }]);
    case 'reconnecting':
      return ended(state, 'connection_lost', now, now - state.connectedAt, [{ type: 'send_hang_up', ...pick(state) }]);
    case 'connected':
      return unchanged(state);
  }
}

function ended(
  state: CallOf,
  reason: CallEndReason,
  now: number,
  durationMs: number | null = null,
  effects: CallEffect[] = [],
): CallStep {
  const { callId, peerId, media, direction, startedAt } = state;
  const entry: CallEntry = { callId, peerId, media, direction, reason, durationMs };
  return {
    state: { phase: 'ended', callId, peerId, media, direction, startedAt, reason, durationMs, endedAt: now },
    effects: [...effects, { type: 'record', entry }],
  };
}

/** In a call, or ringing: a new call is refused as busy. */
function isBusy(state: CallState): state is Exclude<CallState, { phase: 'idle' | 'ended' }> {
  return state.phase !== 'idle' && state.phase !== 'ended';
}

/** Whether a remote event is about this call (a late one about an earlier call is not). */
const ours = (state: CallOf, event: { callId: string }) => state.callId === event.callId;

const pick = (call: CallOf) => ({ callId: call.callId, peerId: call.peerId });

const unchanged = (state: CallState): CallStep => ({ state, effects: [] });
