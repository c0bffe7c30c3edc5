/**
 * Group calls on this device (issue 32): the calls going on in groups, for "Join call", and the one
 * this device is in, re-read on every 'group_call' event. While in one, this area holds one peer
 * connection for each other device in it (a full mesh), all over this device's one microphone,
 * camera and screen (calls/media-engine.ts), each made in the part the core gives that pair and
 * closed when its device leaves. The core keeps who is in the call and carries the negotiation;
 * what this device sends is told to it on every change.
 */
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { GroupCallParticipantView, GroupCallsView } from '../../sync/app-api/group-calls-api.js';
import type { CallSending } from '../../sync/common/call-negotiation.js';
import type { IceServer } from '../../sync/protocol/call-frames.js';
import type { CallMediaEngine } from '../calls/media-engine.js';
import { MAX_EARLY_NEGOTIATIONS } from './calls.js';
import { coalesce } from './coalesce.js';
import { equal, keep, reuse } from './equal.js';
import type { GroupCallActions, GroupCallsState, StoreKit } from './types.js';

export const NO_GROUP_CALLS: GroupCallsState = { going: [], joined: null };

type NegotiationEvent = Extract<AppEvent, { type: 'group_call_negotiation' }>;

export function createGroupCalls({ api, get, set, userId }: StoreKit, engine: CallMediaEngine) {
  /** The core's answer last read. */
  let read: GroupCallsView = { going: [], joined: null };
  /** Negotiation from devices whose peer connection is not made yet: an offer can overtake the re-read that adds them. */
  let early: NegotiationEvent[] = [];
  /** A join asked of the core and not read back yet: negotiation for it may come first. */
  let joining = false;
  /**
   * Whether the call joined here fills the pane (until the person switches conversations), by its
   * group: the call's id can change under it when two were started there at once.
   */
  let expanded: { conversationId: string; on: boolean } | null = null;
  /** What the core was last told this device sends, so unchanged sending is not said to the whole group again. */
  let told: { callId: string; sending: CallSending } | null = null;

  /** Puts the calls and this device's media in the store. */
  const publish = () => {
    const previous = get().groupCalls;
    const going = reuse(previous.going, read.going, (call) => call.callId);
    const view = read.joined;
    if (!view) {
      set({ groupCalls: { going, joined: null } });
      return;
    }
    const { preview, remotes, sending, muted } = engine.snapshot();
    set({
      groupCalls: {
        going,
        joined: {
          view: keep(previous.joined?.view ?? view, view),
          preview,
          remotes,
          sending,
          muted,
          expanded: expanded?.conversationId === view.conversationId && expanded.on,
        },
      },
    });
  };

  /** Tells the core what this device sends now (it says so to the others), when that changed. */
  const tellSending = async () => {
    const callId = read.joined?.callId;
    if (!callId || engine.callId !== callId) return;
    const { sending } = engine.snapshot();
    if (told?.callId === callId && equal(told.sending, sending)) return;
    const telling = { callId, sending };
    told = telling;
    try {
      await api.setGroupCallSending(telling);
    } catch (error) {
      if (told === telling) told = null;
      console.error('group call sending not told', error);
    }
  };

  engine.onChange(() => {
    publish();
    void tellSending();
  });

  /** The peer connection with one other device, and the negotiation it sent before there was one. */
  const connect = (callId: string, participant: GroupCallParticipantView, iceServers: Promise<IceServer[]>) => {
    const { key } = participant;
    engine.connect(key, participant.negotiates, iceServers, {
      sendNegotiation: (negotiation) => api.sendGroupCallNegotiation({ callId, participantKey: key, negotiation }),
      // No core decides about one pair's media: after a loss, the side that makes the offers restarts ICE itself.
      reportMedia: async (status) => {
        if (status !== 'connected') engine.restartIce(key);
      },
    });
    const waiting = early.filter((event) => event.callId === callId && event.participantKey === key);
    early = early.filter((event) => !waiting.includes(event));
    for (const event of waiting) engine.receive(key, event.negotiation);
  };

  const apply = (calls: GroupCallsView) => {
    const previous = read.joined;
    read = calls;
    const joined = calls.joined;
    const moved = joined && previous?.conversationId === joined.conversationId && previous.callId !== joined.callId;
    if (moved && engine.callId === previous.callId) {
      // Two calls were started in the group at once and this device moved to the one that stays:
      // its microphone and camera go along, its peer connections (made under the other id) do not.
      for (const key of engine.peers) engine.disconnect(key);
      engine.adopt(joined.callId);
    }
    // Media belongs to the call this device is in; leaving it, or another call, lets it go.
    if (engine.callId !== null && engine.callId !== joined?.callId) engine.close();
    if (joined && engine.callId === null && !joining) {
      // The core is in a call this window has no media for (it was reloaded mid-call): joining again
      // tells the others, who make their peer connections with it anew.
      void actions.joinGroupCall(joined.conversationId, joined.media).catch((error: unknown) => {
        console.error('group call not joined again', error);
      });
      return;
    }
    if (joined) {
      engine.open(joined.callId, joined.media);
      const present = new Set(joined.participants.map((participant) => participant.key));
      for (const key of engine.peers) if (!present.has(key)) engine.disconnect(key);
      const fresh = joined.participants.filter((participant) => !engine.peers.includes(participant.key));
      if (fresh.length > 0) {
        const iceServers = api.getCallIceServers({}).catch(() => []);
        for (const participant of fresh) connect(joined.callId, participant, iceServers);
      }
      early = early.filter((event) => event.callId === joined.callId);
    } else if (!joining) {
      early = [];
      expanded = null;
    }
    publish();
  };

  const refresh = coalesce(async () => {
    const asked = userId();
    if (asked === null) return;
    const calls = await api.getGroupCalls({});
    if (userId() === asked) apply(calls);
  });

  const onNegotiation = (event: NegotiationEvent) => {
    // By the participant it comes from: one that joined again is a new peer connection, not its old one.
    if (engine.callId === event.callId && engine.peers.includes(event.participantKey)) {
      engine.receive(event.participantKey, event.negotiation);
    } else if (early.length < MAX_EARLY_NEGOTIATIONS) early.push(event);
  };

  const actions: GroupCallActions = {
    async joinGroupCall(conversationId, media) {
      joining = true;
      try {
        await api.joinGroupCall({ conversationId, media });
        expanded = { conversationId, on: true };
        await refresh();
      } finally {
        joining = false;
      }
    },
    async leaveGroupCall() {
      const callId = read.joined?.callId;
      if (!callId) return;
      await api.leaveGroupCall({ callId });
      await refresh();
    },
    setGroupCallMuted: async (muted) => engine.setMuted(muted),
    setGroupCallCamera: (on) => engine.setCamera(on),
    setGroupCallScreenShared: (on) => engine.setScreenShared(on),
    showGroupCall(on) {
      const conversationId = read.joined?.conversationId;
      if (!conversationId) return;
      expanded = { conversationId, on };
      publish();
    },
    readGroupCallStats: (participantKey) => engine.stats(participantKey),
  };

  const reset = () => {
    read = { going: [], joined: null };
    engine.close();
    early = [];
    expanded = null;
    told = null;
    set({ groupCalls: NO_GROUP_CALLS });
  };

  return { refresh, onNegotiation, reset, actions };
}
