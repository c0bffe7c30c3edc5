/**
 * The store's group calls area (renderer/state/group-calls.ts) against a scripted core and a
 * recording media engine: it follows the calls going on, opens this device's media once for the
 * call it joined and a peer connection per other device in the part the core gives, hands each
 * the negotiation that came before it, closes the one of a device that left and everything on
 * leaving, tells the core what this device sends only when that changed, and restarts ICE itself
 * on the side that makes the offers.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AppApiClient } from '../../../sync/app-api/client.js';
import type { GroupCallParticipantView, GroupCallsView, GroupCallView } from '../../../sync/app-api/group-calls-api.js';
import type { CallNegotiation } from '../../../sync/common/call-negotiation.js';
import { createGroupCalls, NO_GROUP_CALLS } from '../../../renderer/state/group-calls.js';
import type { AppState } from '../../../renderer/state/types.js';
import { recordingCallMedia } from './recording-call-media.js';

const CALL = 'c0ffee00c0ffee00';
const GROUP = 'g-trip';
const offer: CallNegotiation = { kind: 'description', type: 'offer', sdp: 'v=0 offer' };
const candidates: CallNegotiation = {
  kind: 'candidates',
  candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 }],
};

function participant(name: string, negotiates: 'offer' | 'answer', audio = true): GroupCallParticipantView {
  const userId = `u-${name}`;
  return {
    key: `${userId}.1#1`,
    userId,
    deviceNumber: 1,
    user: { id: userId, username: name, displayName: name },
    sending: { audio, video: true, screen: false },
    negotiates,
  };
}
const bob = participant('bob', 'answer');
const carol = participant('carol', 'offer');

/** Carol's device's description or candidates, from the participant `participantKey` (one of her joins). */
function negotiationFrom(participantKey: string, negotiation: CallNegotiation, callId = CALL) {
  return {
    type: 'group_call_negotiation' as const,
    callId,
    from: { userId: carol.userId, deviceNumber: 1 },
    participantKey,
    negotiation,
  };
}

function joinedView(participants: GroupCallParticipantView[]): GroupCallView {
  return { callId: CALL, conversationId: GROUP, media: 'video', joinedAt: 1_000, participants };
}

function harness() {
  let current: GroupCallsView = { going: [], joined: null };
  const api = {
    getGroupCalls: vi.fn(async () => current),
    joinGroupCall: vi.fn(async () => {
      current = { going: [{ conversationId: GROUP, callId: CALL, deviceCount: 1, full: false }], joined: joinedView([]) };
      return { callId: CALL };
    }),
    leaveGroupCall: vi.fn(async () => {
      current = { going: [], joined: null };
      return null;
    }),
    sendGroupCallNegotiation: vi.fn(async () => null),
    setGroupCallSending: vi.fn(async () => null),
    getCallIceServers: vi.fn(async () => []),
  };
  const state = { groupCalls: NO_GROUP_CALLS } as Pick<AppState, 'groupCalls'>;
  const media = recordingCallMedia();
  const groupCalls = createGroupCalls(
    {
      api: api as unknown as AppApiClient,
      get: () => state as AppState,
      set: (partial) => Object.assign(state, partial),
      userId: () => 'u-alice',
    },
    media.engine,
  );
  return {
    api,
    state,
    media,
    groupCalls,
    /** The core's group calls are now these: it says so ('group_call' event) and the store reads them back. */
    coreSays: async (next: GroupCallsView) => {
      current = next;
      await groupCalls.refresh();
    },
    /** The call this device is in now has these other devices. */
    inCallWith: async (participants: GroupCallParticipantView[]) => {
      current = { ...current, joined: joinedView(participants) };
      await groupCalls.refresh();
    },
  };
}

describe('the group calls area of the store', () => {
  it('follows the calls going on without opening any media', async () => {
    const { state, media, coreSays } = harness();
    await coreSays({ going: [{ conversationId: GROUP, callId: CALL, deviceCount: 2, full: false }], joined: null });
    expect(state.groupCalls.going).toEqual([{ conversationId: GROUP, callId: CALL, deviceCount: 2, full: false }]);
    expect(state.groupCalls.joined).toBeNull();
    expect(media.log).toEqual([]);
  });

  it('opens the media once on joining, shows the call in full, and waits alone for the others', async () => {
    const { api, state, media, groupCalls } = harness();
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    expect(api.joinGroupCall).toHaveBeenCalledWith({ conversationId: GROUP, media: 'video' });
    expect(media.log).toEqual([`open ${CALL} video`]);
    expect(state.groupCalls.joined?.expanded).toBe(true);
    expect(state.groupCalls.joined?.view.participants).toEqual([]);

    groupCalls.actions.showGroupCall(false);
    expect(state.groupCalls.joined?.expanded).toBe(false);
  });

  it('makes a peer connection per device in the part the core gives, and closes the one of a device that left', async () => {
    const { api, media, groupCalls, inCallWith } = harness();
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    await inCallWith([bob, carol]);
    expect(media.log.slice(1)).toEqual([`connect ${bob.key} answer`, `connect ${carol.key} offer`]);

    // Each peer connection's negotiation goes to its own device.
    await media.signalsOf(carol.key)?.sendNegotiation(offer);
    expect(api.sendGroupCallNegotiation).toHaveBeenCalledWith({
      callId: CALL,
      participantKey: carol.key,
      negotiation: offer,
    });

    // A re-read with the same people makes nothing new; Carol leaving closes only hers.
    await inCallWith([bob, carol]);
    await inCallWith([bob]);
    expect(media.log.slice(3)).toEqual([`disconnect ${carol.key}`]);
    expect(media.engine.peers).toEqual([bob.key]);
  });

  it('keeps negotiation from a device not in the call yet, and hands it over once its peer connection is made', async () => {
    const { media, groupCalls, inCallWith } = harness();
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    // Carol's offer and candidates overtake the re-read that adds her; another call's are not hers.
    groupCalls.onNegotiation(negotiationFrom(carol.key, offer));
    groupCalls.onNegotiation(negotiationFrom(carol.key, candidates));
    groupCalls.onNegotiation(negotiationFrom(carol.key, candidates, 'ffffffffffffffff'));
    expect(media.log.filter((line) => line.startsWith('receive'))).toEqual([]);

    await inCallWith([{ ...carol, negotiates: 'answer' }]);
    expect(media.log.slice(-3)).toEqual([
      `connect ${carol.key} answer`,
      `receive ${carol.key} description`,
      `receive ${carol.key} candidates`,
    ]);
    groupCalls.onNegotiation(negotiationFrom(carol.key, candidates));
    expect(media.log.at(-1)).toBe(`receive ${carol.key} candidates`);

    // Carol's window reloads and she joins again: a new participant, whose offer (ahead of the
    // re-read) never reaches the peer connection made with her before.
    const again = { ...carol, key: `${carol.userId}.1#2`, negotiates: 'answer' as const };
    groupCalls.onNegotiation(negotiationFrom(again.key, offer));
    expect(media.log.at(-1)).toBe(`receive ${carol.key} candidates`);
    await inCallWith([again]);
    expect(media.log.slice(-3)).toEqual([
      `disconnect ${carol.key}`,
      `connect ${again.key} answer`,
      `receive ${again.key} description`,
    ]);
  });

  it('tells the core what this device sends when it changes, once per change', async () => {
    const { api, media, groupCalls } = harness();
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    media.send({ audio: true, video: true, screen: false });
    await vi.waitFor(() => expect(api.setGroupCallSending).toHaveBeenCalledTimes(1));
    media.send({ audio: true, video: true, screen: false });
    await groupCalls.actions.setGroupCallMuted(true);
    await vi.waitFor(() => expect(api.setGroupCallSending).toHaveBeenCalledTimes(2));
    expect(api.setGroupCallSending).toHaveBeenLastCalledWith({
      callId: CALL,
      sending: { audio: false, video: true, screen: false },
    });
  });

  it('restarts ICE with a device after its media was lost, without asking the core', async () => {
    const { media, groupCalls, inCallWith } = harness();
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    await inCallWith([carol]);
    await media.signalsOf(carol.key)?.reportMedia('connected');
    expect(media.log.at(-1)).toBe(`connect ${carol.key} offer`);
    await media.signalsOf(carol.key)?.reportMedia('disconnected');
    expect(media.log.at(-1)).toBe(`restart ice ${carol.key}`);
  });

  it('keeps the media and the full view when the group’s two calls started at once become one', async () => {
    const { state, media, groupCalls, coreSays } = harness();
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    await coreSays({ going: [], joined: joinedView([bob]) });
    const SURVIVOR = '0000aaaa0000aaaa';
    await coreSays({ going: [], joined: { ...joinedView([bob]), callId: SURVIVOR } });
    expect(media.log.slice(-3)).toEqual([`disconnect ${bob.key}`, `adopt ${SURVIVOR}`, `connect ${bob.key} answer`]);
    expect(media.log).not.toContain('close');
    expect(state.groupCalls.joined?.expanded).toBe(true);
  });

  it('lets all the media go on leaving, and forgets negotiation from the call it left', async () => {
    const { api, state, media, groupCalls, inCallWith, coreSays } = harness();
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    await inCallWith([bob]);
    await groupCalls.actions.leaveGroupCall();
    expect(api.leaveGroupCall).toHaveBeenCalledWith({ callId: CALL });
    expect(media.log.at(-1)).toBe('close');
    expect(state.groupCalls.joined).toBeNull();

    // Late negotiation from the call left is dropped at the next re-read, not replayed on rejoining.
    groupCalls.onNegotiation(negotiationFrom(carol.key, offer));
    await coreSays({ going: [], joined: null });
    await groupCalls.actions.joinGroupCall(GROUP, 'video');
    await inCallWith([{ ...carol, negotiates: 'answer' }]);
    expect(media.log.filter((line) => line.startsWith('receive'))).toEqual([]);
  });
});
