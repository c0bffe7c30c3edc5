/**
 * The store's calls area (renderer/state/calls.ts) against a scripted core and a recording media
 * engine: it rings while the core says so, opens the media the person chose, makes the peer
 * connection in the role the core gives and hands it negotiation that came early, carries a call
 * over glare, lets the media go when the call ends and dismisses the ended call after a moment.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallView } from '../../../sync/app-api/calls-api.js';
import type { AppApiClient } from '../../../sync/app-api/client.js';
import type { CallNegotiation } from '../../../sync/common/call-negotiation.js';
import { createCalls, ENDED_SHOWN_MS } from '../../../renderer/state/calls.js';
import type { AppState } from '../../../renderer/state/types.js';
import { recordingCallMedia } from './recording-call-media.js';

const bob = { id: 'u-bob', username: 'bob', displayName: 'Bob Brown' };
const CALL = 'a1b2c3d4e5f6a7b8';
const OTHER_CALL = '0000000000000000';
const offer: CallNegotiation = { kind: 'description', type: 'offer', sdp: 'v=0 offer' };
const candidates: CallNegotiation = {
  kind: 'candidates',
  candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 }],
};

function view(overrides: Partial<CallView>): CallView {
  return {
    callId: CALL,
    conversationId: 'c1',
    peer: bob,
    media: 'video',
    direction: 'outgoing',
    phase: 'outgoing',
    negotiates: null,
    connectedAt: null,
    ended: null,
    peerSending: { audio: true, video: true, screen: false },
    ...overrides,
  };
}

function harness() {
  let current: CallView | null = null;
  const api = {
    getCall: vi.fn(async () => current),
    startCall: vi.fn(async () => {
      current = view({});
      return { callId: CALL };
    }),
    acceptCall: vi.fn(async () => {
      current = view({ direction: 'incoming', phase: 'connecting', negotiates: 'offer' });
      return null;
    }),
    declineCall: vi.fn(async () => null),
    hangUpCall: vi.fn(async () => null),
    dismissCall: vi.fn(async () => {
      current = null;
      return null;
    }),
    sendCallNegotiation: vi.fn(async () => null),
    reportCallMedia: vi.fn(async () => null),
    setCallSending: vi.fn(async () => null),
    getCallIceServers: vi.fn(async () => []),
  };
  const state = { call: null } as Pick<AppState, 'call'>;
  const { engine, log, ringing } = recordingCallMedia();
  const calls = createCalls(
    {
      api: api as unknown as AppApiClient,
      get: () => state as AppState,
      set: (partial) => Object.assign(state, partial),
      userId: () => 'u-alice',
    },
    engine,
  );
  return {
    api,
    state,
    log,
    ringing,
    calls,
    /** The core's call is now this: it says so ('call' event) and the store reads it back. */
    coreSays: async (next: CallView | null) => {
      current = next;
      await calls.refresh();
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the calls area of the store', () => {
  it('rings while a call rings here, and answers with the media chosen', async () => {
    const { api, state, log, ringing, calls, coreSays } = harness();
    await coreSays(view({ direction: 'incoming', phase: 'ringing' }));
    expect(ringing()).toBe('ring incoming');
    expect(state.call?.expanded).toBe(false);

    await calls.actions.acceptCall('audio');
    expect(api.acceptCall).toHaveBeenCalledWith({ callId: CALL, media: 'audio' });
    expect(ringing()).toBe('ring null');
    expect(log.slice(-2)).toEqual([`open ${CALL} audio`, 'connect peer offer']);
    expect(state.call?.expanded).toBe(true);
    await vi.waitFor(() =>
      expect(api.setCallSending).toHaveBeenCalledWith({ callId: CALL, sending: { audio: true, video: true, screen: false } }),
    );
  });

  it('keeps negotiation that came before the peer connection, and hands it over in order', async () => {
    const { state, log, ringing, calls, coreSays } = harness();
    await calls.actions.startCall('c1', 'video');
    expect(log).toContain(`open ${CALL} video`);
    expect(ringing()).toBe('ring outgoing');
    expect(state.call?.expanded).toBe(true);

    // The callee's offer and candidates overtake the re-read of the answered call.
    calls.onNegotiation({ type: 'call_negotiation', callId: CALL, negotiation: offer });
    calls.onNegotiation({ type: 'call_negotiation', callId: CALL, negotiation: candidates });
    calls.onNegotiation({ type: 'call_negotiation', callId: OTHER_CALL, negotiation: candidates });
    expect(log.filter((line) => line.startsWith('receive'))).toEqual([]);

    await coreSays(view({ phase: 'connecting', negotiates: 'answer' }));
    expect(log.slice(-3)).toEqual(['connect peer answer', 'receive peer description', 'receive peer candidates']);
    calls.onNegotiation({ type: 'call_negotiation', callId: CALL, negotiation: candidates });
    expect(log.at(-1)).toBe('receive peer candidates');
    calls.onRestartIce(CALL);
    expect(log.at(-1)).toBe('restart ice peer');
  });

  it('lets the media go when the call ends, shows the end for a moment, then dismisses it', async () => {
    const { api, state, log, calls, coreSays } = harness();
    await calls.actions.startCall('c1', 'video');
    await coreSays(view({ phase: 'connected', negotiates: 'answer', connectedAt: 1_000 }));
    await coreSays(view({ phase: 'ended', ended: { reason: 'completed', durationMs: 5_000 } }));
    expect(log.slice(-2)).toEqual(['close', 'ring null']);
    expect(state.call?.view.phase).toBe('ended');
    expect(api.dismissCall).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(ENDED_SHOWN_MS);
    expect(api.dismissCall).toHaveBeenCalledWith({ callId: CALL });
    await vi.waitFor(() => expect(state.call).toBeNull());
  });

  it('carries the person’s call over to the one that survived glare', async () => {
    const { state, log, calls, coreSays } = harness();
    await calls.actions.startCall('c1', 'audio');
    await coreSays(view({ callId: OTHER_CALL, direction: 'incoming', phase: 'connecting', negotiates: 'offer' }));
    expect(log).toContain(`adopt ${OTHER_CALL}`);
    expect(log).not.toContain('close');
    expect(log.at(-1)).toBe('connect peer offer');
    expect(state.call?.expanded).toBe(true);
  });

  it('shows the call as a bar while the person reads a conversation, and in full again', async () => {
    const { state, calls, coreSays } = harness();
    await calls.actions.startCall('c1', 'video');
    await coreSays(view({ phase: 'connected', negotiates: 'answer', connectedAt: 1_000 }));
    calls.actions.showCall(false);
    expect(state.call?.expanded).toBe(false);
    calls.actions.showCall(true);
    expect(state.call?.expanded).toBe(true);
  });
});
