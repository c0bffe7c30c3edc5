/**
 * The call on this device (issue 32): the core's view of it (ringing, answered, connected, ended),
 * re-read on every 'call' event, and this device's media for it through the media engine
 * (calls/media-engine.ts: the ringtone, microphone, camera, screen and the peer connection). The
 * core keeps the call's state and carries the signalling; this area only follows it: it opens the
 * media when the person starts or answers, makes the peer connection when the core says this
 * device negotiates, hands it the other device's negotiation, and lets it all go when the call ends.
 */
import type { CallView } from '../../sync/app-api/calls-api.js';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { CallMedia } from '../../sync/common/call-machine.js';
import type { CallNegotiation } from '../../sync/common/call-negotiation.js';
import type { CallMediaEngine } from '../calls/media-engine.js';
import { coalesce } from './coalesce.js';
import type { CallActions, StoreKit } from './types.js';

/** How long an ended call stays on screen ("Call ended", "Declined") before it is dismissed. */
export const ENDED_SHOWN_MS = 2_500;
/** Negotiation that came before its call was read back, kept for the peer connection (a bound, not a budget). */
export const MAX_EARLY_NEGOTIATIONS = 256;
/** A one-to-one call has one peer connection, under this key of the media engine's. */
const PEER = 'peer';

type NegotiationEvent = Extract<AppEvent, { type: 'call_negotiation' }>;

/** Phases in which the peer connection exists. */
function negotiating(view: CallView): boolean {
  return view.phase === 'connecting' || view.phase === 'connected' || view.phase === 'reconnecting';
}

export function createCalls({ api, get, set, userId }: StoreKit, engine: CallMediaEngine) {
  let early: Array<{ callId: string; negotiation: CallNegotiation }> = [];
  /** The call the person started or answered here, shown in full until they switch conversations. */
  let expanded: { callId: string; on: boolean } | null = null;
  /** What the person chose here: a voice call, or "Accept with video". */
  const chosen = new Map<string, CallMedia>();
  let dismissing: string | null = null;

  /** Puts the view and this device's media in the store. */
  const publish = (view: CallView | null = get().call?.view ?? null) => {
    if (!view) {
      set({ call: null });
      return;
    }
    const { preview, remotes, sending, muted } = engine.snapshot();
    const remote = remotes.get(PEER) ?? null;
    set({ call: { view, preview, remote, sending, muted, expanded: expanded?.callId === view.callId && expanded.on } });
  };

  const connected = () => engine.peers.includes(PEER);

  /** What this device sends, told to the other side once the call is answered. */
  const pushSending = async () => {
    const view = get().call?.view;
    if (!view || engine.callId !== view.callId || !connected() || !negotiating(view)) return;
    try {
      await api.setCallSending({ callId: view.callId, sending: engine.snapshot().sending });
    } catch (error) {
      console.error('call sending not told', error);
    }
  };

  engine.onChange(() => {
    publish();
    void pushSending();
  });

  /** Opens the microphone (and camera) for a call going on, and shows the preview. */
  const openMedia = (callId: string, choice: CallMedia) => {
    const view = get().call?.view;
    if (!view || view.callId !== callId || view.phase === 'ended') return;
    engine.open(callId, choice);
    publish();
  };

  const connect = (view: CallView, role: 'offer' | 'answer') => {
    const callId = view.callId;
    engine.open(callId, chosen.get(callId) ?? view.media);
    engine.connect(
      PEER,
      role,
      api.getCallIceServers({}).catch(() => []),
      {
        sendNegotiation: (negotiation) => api.sendCallNegotiation({ callId, negotiation }),
        reportMedia: (status) => api.reportCallMedia({ callId, status }),
      },
    );
    for (const waiting of early) if (waiting.callId === callId) engine.receive(PEER, waiting.negotiation);
    early = [];
  };

  const scheduleDismiss = (callId: string) => {
    if (dismissing === callId) return;
    dismissing = callId;
    setTimeout(() => {
      if (get().call?.view.callId !== callId) return;
      void api
        .dismissCall({ callId })
        .catch(() => {})
        .finally(() => void refresh());
    }, ENDED_SHOWN_MS);
  };

  const apply = (view: CallView | null) => {
    const previous = get().call?.view ?? null;
    if (view && previous && previous.callId !== view.callId && previous.phase !== 'ended' && view.phase !== 'ringing') {
      // Glare: both rang at once and the other call survived, answered here at once. It is the
      // same conversation the person started, so its media and place on screen carry over.
      if (expanded?.callId === previous.callId) expanded = { callId: view.callId, on: expanded.on };
      if (engine.callId === previous.callId) engine.adopt(view.callId);
      const choice = chosen.get(previous.callId);
      if (choice) chosen.set(view.callId, choice);
    }
    // Media belongs to the call going on; an ended call, or another one, lets it go.
    const going = view && view.phase !== 'ended' ? view.callId : null;
    if (engine.callId !== null && engine.callId !== going) engine.close();
    engine.ring(view?.phase === 'ringing' ? 'incoming' : view?.phase === 'outgoing' ? 'outgoing' : null);
    const role = view && negotiating(view) && !(engine.callId === view.callId && connected()) ? view.negotiates : null;
    if (view && role) connect(view, role);
    publish(view);
    // The other side learns what this one sends (again once the devices open: engine.onChange).
    if (role) void pushSending();
    if (view?.phase === 'ended') scheduleDismiss(view.callId);
  };

  const refresh = coalesce(async () => {
    const asked = userId();
    if (asked === null) return;
    const view = await api.getCall({});
    if (userId() === asked) apply(view);
  });

  const onNegotiation = (event: NegotiationEvent) => {
    if (engine.callId === event.callId && connected()) {
      engine.receive(PEER, event.negotiation);
      return;
    }
    // The offer can come before the 'call' event's re-read has made the peer connection.
    if (early.length < MAX_EARLY_NEGOTIATIONS) early.push({ callId: event.callId, negotiation: event.negotiation });
  };

  const onRestartIce = (callId: string) => {
    if (engine.callId === callId) engine.restartIce(PEER);
  };

  /** An ended call still shown goes first, so a new one starts at once. */
  const dismissEnded = async () => {
    const view = get().call?.view;
    if (view?.phase !== 'ended') return;
    await api.dismissCall({ callId: view.callId }).catch(() => {});
  };

  const actions: CallActions = {
    async startCall(conversationId, choice) {
      await dismissEnded();
      const { callId } = await api.startCall({ conversationId, media: choice });
      expanded = { callId, on: true };
      chosen.set(callId, choice);
      // Opened once the call was read back: a re-read begun before it started would let it go.
      await refresh();
      if (get().call?.view.callId === callId) openMedia(callId, choice);
    },
    async acceptCall(choice) {
      const view = get().call?.view;
      if (!view || view.phase !== 'ringing') return;
      engine.ring(null);
      await api.acceptCall({ callId: view.callId, media: choice });
      expanded = { callId: view.callId, on: true };
      chosen.set(view.callId, choice);
      await refresh();
      if (get().call?.view.callId === view.callId) openMedia(view.callId, choice);
    },
    async declineCall() {
      const view = get().call?.view;
      if (!view) return;
      engine.ring(null);
      await api.declineCall({ callId: view.callId });
      await refresh();
    },
    async hangUpCall() {
      const view = get().call?.view;
      if (!view) return;
      await api.hangUpCall({ callId: view.callId });
      await refresh();
    },
    async setCallMuted(muted) {
      engine.setMuted(muted);
    },
    setCallCamera: (on) => engine.setCamera(on),
    setCallScreenShared: (on) => engine.setScreenShared(on),
    showCall(on) {
      const view = get().call?.view;
      if (!view) return;
      expanded = { callId: view.callId, on };
      publish();
    },
    readCallStats: () => engine.stats(PEER),
  };

  const reset = () => {
    engine.close();
    engine.ring(null);
    early = [];
    expanded = null;
    chosen.clear();
    set({ call: null });
  };

  return { refresh, onNegotiation, onRestartIce, reset, actions };
}
