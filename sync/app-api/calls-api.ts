/**
 * The app API's calls about calls (issue 32): ringing, answering and hanging up are the client
 * core's (it carries them end-to-end encrypted and keeps the call's state, sync/common/
 * call-machine.ts); the peer connection and its media are the renderer's, which hands its
 * negotiation to the core to carry and reports how the media fares. Declared here and spread into
 * contract.ts, as linking-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import type { User } from '../protocol/frames.js';
import type { IceServer } from '../protocol/call-frames.js';
import type { CallDirection, CallEndReason, CallMedia } from '../common/call-machine.js';
import {
  callIdSchema,
  callMediaSchema,
  callNegotiationSchema,
  callSendingSchema,
  type CallSending,
} from '../common/call-negotiation.js';
import { LIMITS } from '../protocol/limits.js';
import type { CallOutcome } from '../common/call-entry.js';

/**
 * A call's entry in the conversation, as a notice carries it (NoticeView.call): how it ended as its
 * caller saw it, and whether this person was the caller, so the renderer words it from this side.
 */
export interface CallEntryView {
  callId: string;
  media: CallMedia;
  outcome: CallOutcome;
  /** How long it was connected; null when it never was. */
  durationMs: number | null;
  /** This person made the call (on this device or another of theirs). */
  outgoing: boolean;
}

const conversationId = z.string().min(1).max(LIMITS.maxIdChars);
const oneCall = z.object({ callId: callIdSchema }).strict();

export const callsApiArgs = {
  /**
   * Rings the other person of a direct conversation on each of their devices connected now.
   * Refused: 'offline' without a connection, 'conflict' while another call is on, 'invalid_argument'
   * for a group, 'refused' for someone blocked or a message request not accepted yet.
   */
  startCall: z.object({ conversationId, media: callMediaSchema }).strict(),
  /** Answers the call ringing here, with the microphone only or with the camera too. */
  acceptCall: z.object({ callId: callIdSchema, media: callMediaSchema }).strict(),
  declineCall: oneCall,
  /** Ends the call: cancels it while it rings, hangs up once answered. */
  hangUpCall: oneCall,
  /** The ended call was shown: the core forgets it (getCall says null). */
  dismissCall: oneCall,
  /** The call on this device now (ringing, going on, or just ended), or null. */
  getCall: z.object({}).strict(),
  /** This device's peer connection's description or candidates, for the other device in the call. */
  sendCallNegotiation: z.object({ callId: callIdSchema, negotiation: callNegotiationSchema }).strict(),
  /** How the peer connection's media fares: connected, lost for now (a network change), or failed for good. */
  reportCallMedia: z.object({ callId: callIdSchema, status: z.enum(['connected', 'disconnected', 'failed']) }).strict(),
  /** What this side sends now (muted, camera off, screen shared), for the other side to show. */
  setCallSending: z.object({ callId: callIdSchema, sending: callSendingSchema }).strict(),
  /** The relays for a peer connection now (none when the server has none, or without a connection). */
  getCallIceServers: z.object({}).strict(),
} as const;

export type CallPhase = 'outgoing' | 'ringing' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

export interface CallView {
  callId: string;
  conversationId: string;
  /** The other person. */
  peer: User;
  media: CallMedia;
  direction: CallDirection;
  phase: CallPhase;
  /**
   * This device's part in setting up the media, once answered: the device that answered makes the
   * offer (and restarts ICE after a network change), the calling device answers it.
   */
  negotiates: 'offer' | 'answer' | null;
  /** When media first connected (ms), for the duration shown. */
  connectedAt: number | null;
  ended: { reason: CallEndReason; durationMs: number | null } | null;
  /** What the other side says it sends now. */
  peerSending: CallSending;
}

export interface CallsApiResults {
  startCall: { callId: string };
  acceptCall: null;
  declineCall: null;
  hangUpCall: null;
  dismissCall: null;
  getCall: CallView | null;
  sendCallNegotiation: null;
  reportCallMedia: null;
  setCallSending: null;
  getCallIceServers: IceServer[];
}

/** Pushed to the renderer about calls (spread into contract.ts's appEventSchema). */
export const CALL_EVENT_SCHEMAS = [
  /** The call's state changed (it rings, was answered, connected, ended; the other side's sending changed): re-read getCall. */
  z.object({ type: z.literal('call') }),
  /** The other device's description or candidates, for this device's peer connection, in the order they were sent. */
  z.object({ type: z.literal('call_negotiation'), callId: callIdSchema, negotiation: callNegotiationSchema }),
  /** The media was lost mid-call and this device makes the offers: restart ICE. */
  z.object({ type: z.literal('call_restart_ice'), callId: callIdSchema }),
  /**
   * A call this person missed reached this device live (its entry in the conversation, written by
   * the caller): the host may notify as for a message. Never for history a catch-up brings.
   */
  z.object({
    type: z.literal('missed_call'),
    conversationId: conversationId,
    callId: callIdSchema,
    media: callMediaSchema,
  }),
] as const;
