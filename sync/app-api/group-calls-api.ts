/**
 * The app API's calls about group calls (issue 32): up to GROUP_CALL_LIMITS.maxDevices devices of a
 * group's members in one call, as a full mesh of peer connections. The client core keeps who is in
 * the call (from their end-to-end encrypted announcements) and carries each pair's negotiation; the
 * renderer holds one peer connection per other device. A selective forwarding unit could later
 * stand behind the same calls: the participants would stay, the peer connections would become one.
 * Declared here and spread into contract.ts, as calls-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import type { User } from '../protocol/frames.js';
import type { CallMedia } from '../common/call-machine.js';
import {
  callIdSchema,
  callMediaSchema,
  callNegotiationSchema,
  callSendingSchema,
  type CallSending,
} from '../common/call-negotiation.js';
import { deviceNumber } from '../protocol/wire-types.js';
import { LIMITS } from '../protocol/limits.js';
import { GROUP_CALL_LIMITS } from '../common/group-call-limits.js';

export { GROUP_CALL_LIMITS };

const conversationId = z.string().min(1).max(LIMITS.maxIdChars);
const userId = z.string().min(1).max(LIMITS.maxIdChars);
export const groupCallDeviceSchema = z.object({ userId, deviceNumber }).strict();
/** GroupCallParticipantView.key: one pairing of another device's join with this device's. */
const participantKey = z.string().min(1).max(200);
export type GroupCallDevice = z.infer<typeof groupCallDeviceSchema>;

export const groupCallsApiArgs = {
  /**
   * Joins the call going on in a group, or starts one. Refused: 'offline' without a connection,
   * 'conflict' while another call is on here, 'invalid_argument' for a direct conversation,
   * 'refused' for a group this person is not in, a message request not accepted yet, or a call
   * that is full.
   */
  joinGroupCall: z.object({ conversationId, media: callMediaSchema }).strict(),
  /** Leaves the group call this device is in (the call goes on for the others). */
  leaveGroupCall: z.object({ callId: callIdSchema }).strict(),
  /** The group calls going on that this device knows of, and the one it is in. */
  getGroupCalls: z.object({}).strict(),
  /**
   * This device's peer connection's description or candidates, for the one with a participant.
   * Refused ('not_found') once that participant is no longer in the call, as it left or either side
   * joined again: what a peer connection made for it says is meant for nobody now.
   */
  sendGroupCallNegotiation: z.object({ callId: callIdSchema, participantKey, negotiation: callNegotiationSchema }).strict(),
  /** What this device sends now (muted, camera off, screen shared), for the others to show. */
  setGroupCallSending: z.object({ callId: callIdSchema, sending: callSendingSchema }).strict(),
} as const;

export interface GroupCallParticipantView extends GroupCallDevice {
  /**
   * This participant's, for as long as the device stays in the call: a device that joins again
   * (its window reloaded mid-call) is a new participant with a new key, and the pair's peer
   * connection starts over.
   */
  key: string;
  user: User;
  /** What the device says it sends now. */
  sending: CallSending;
  /** This device's part in the pair's peer connection: the device whose `userId.deviceNumber` sorts first makes the offers. */
  negotiates: 'offer' | 'answer';
}

export interface GroupCallView {
  callId: string;
  conversationId: string;
  /** What this device joined with. */
  media: CallMedia;
  /** When this device joined (ms). */
  joinedAt: number;
  /** The other devices in the call, this person's own others included; empty while alone in it. */
  participants: GroupCallParticipantView[];
}

/** A call going on in a group, as this device has heard. */
export interface GroupCallGoing {
  conversationId: string;
  callId: string;
  /** Devices in it, this one included when it joined. */
  deviceCount: number;
  /** Whether another device may join (fewer than GROUP_CALL_LIMITS.maxDevices in it). */
  full: boolean;
}

export interface GroupCallsView {
  going: GroupCallGoing[];
  /** The group call this device is in, or null. */
  joined: GroupCallView | null;
}

export interface GroupCallsApiResults {
  joinGroupCall: { callId: string };
  leaveGroupCall: null;
  getGroupCalls: GroupCallsView;
  sendGroupCallNegotiation: null;
  setGroupCallSending: null;
}

/** Pushed to the renderer about group calls (spread into contract.ts's appEventSchema). */
export const GROUP_CALL_EVENT_SCHEMAS = [
  /** Who is in a group call, or what they send, changed; or a call began or ended: re-read getGroupCalls. */
  z.object({ type: z.literal('group_call') }),
  /**
   * Someone else started a call in a group, and its entry reached this device live: the host may
   * notify as for a message. Never for history a catch-up brings.
   */
  z.object({
    type: z.literal('group_call_started'),
    conversationId,
    callId: callIdSchema,
    media: callMediaSchema,
  }),
  /** Another device's description or candidates, for this device's peer connection with it, in the order sent. */
  z.object({
    type: z.literal('group_call_negotiation'),
    callId: callIdSchema,
    from: groupCallDeviceSchema,
    /** The participant it comes from (GroupCallParticipantView.key): what came from an earlier join is not this one's. */
    participantKey,
    negotiation: callNegotiationSchema,
  }),
] as const;
