/**
 * What a call says between devices (issue 32), inside the pairwise encryption, sent as ephemeral
 * envelopes the server forwards to the devices connected now and stores nowhere
 * (protocol/call-frames.ts: send_ephemeral). A device offline misses them: a call it missed
 * reaches it through the conversation's log instead.
 *
 * The server takes a send for all of a person's devices or none, so a signal meant for the one
 * device in the call names it (`forDevice`); the person's other devices drop it.
 */
import { z } from 'zod';
import { callIdSchema, callMediaSchema, callNegotiationSchema, callSendingSchema } from '../common/call-negotiation.js';
import { GROUP_CALL_LIMITS } from '../common/group-call-limits.js';
import { deviceNumber, id } from '../protocol/wire-types.js';
import { isHotCallSignal } from './call-signal-validator.js';

const callId = callIdSchema;
const forDevice = deviceNumber.optional();
/** One join of a device to a group's call: random, new each time it joins (again, after a reload). */
const joinId = z.string().regex(/^[0-9a-f]{16,64}$/, 'a join id');

export const callSignalSchema = z.discriminatedUnion('kind', [
  /** Rings every device of the other person of a direct conversation. */
  z.object({ kind: z.literal('call_offer'), callId, conversationId: id, media: callMediaSchema }),
  /** Answered on the device that sends it: from here on the call is between that device and the caller's. */
  z.object({ kind: z.literal('call_answer'), callId, forDevice, media: callMediaSchema }),
  z.object({ kind: z.literal('call_decline'), callId, forDevice }),
  /** Already in a call: this one is refused. */
  z.object({ kind: z.literal('call_busy'), callId, forDevice }),
  /** Cancelled while it rang, hung up once answered, or given up for good. */
  z.object({ kind: z.literal('call_hang_up'), callId, forDevice }),
  /** To the sender's own other devices: it was answered or declined here, so they stop ringing. */
  z.object({ kind: z.literal('call_handled'), callId, outcome: z.enum(['answered', 'declined']) }),
  /**
   * The peer connection's description or candidates, for the other device's. In a group call,
   * `forJoin` names the join of that device the sender's peer connection was made with: a device
   * that joined again since drops it, as it was meant for a peer connection that is gone.
   */
  z.object({
    kind: z.literal('call_negotiation'),
    callId,
    forDevice,
    forJoin: joinId.optional(),
    negotiation: callNegotiationSchema,
  }),
  /** What the sender sends now (muted, camera, screen). */
  z.object({ kind: z.literal('call_sending'), callId, forDevice, sending: callSendingSchema }),
  /**
   * The sender's device is in the group's call, sending this (group-call-driver.ts): to the whole
   * group on joining and now and then, to the others in the call on every change of what it sends
   * and as a heartbeat; with `forDevice`, the answer to one device that just joined.
   */
  z.object({
    kind: z.literal('group_call_present'),
    callId,
    conversationId: id,
    sending: callSendingSchema,
    joined: z.boolean(),
    joinId,
    forDevice,
    /** To the whole group: the devices in the call as the sender knows them, itself included, for those not in it. */
    inCall: z
      .array(z.object({ userId: id, deviceNumber }).strict())
      .max(GROUP_CALL_LIMITS.maxDevices)
      .optional(),
  }),
  /** To every member of a group: the sender's device left the group's call. */
  z.object({ kind: z.literal('group_call_leave'), callId, conversationId: id }),
]);
export type CallSignal = z.infer<typeof callSignalSchema>;

/** Whether the device numbered `deviceNumber` is the one a signal is for (one without `forDevice` is for all). */
export function isCallSignalFor(signal: CallSignal, deviceNumber: number): boolean {
  return !('forDevice' in signal) || signal.forDevice === undefined || signal.forDevice === deviceNumber;
}

export function encodeCallSignal(signal: CallSignal): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(JSON.stringify(signal), 'utf8'));
}

/** A decrypted call signal, checked against its schema; throws when it is not one this client knows. */
export function decodeCallSignal(bytes: Uint8Array): CallSignal {
  const json: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
  return isHotCallSignal(json) ? (json as CallSignal) : callSignalSchema.parse(json);
}
