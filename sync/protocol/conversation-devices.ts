/**
 * Which devices a conversation envelope is sealed for (docs/e2ee-design.md, "A holder's new
 * device"): a sender hands its sender key to every device of the conversation's members before it
 * seals under it, and starts a new key when a device that held it is gone. Envelopes go to the
 * conversation, not to devices, so the server keeps a **devices version** per conversation, raised
 * in the transaction of every change to the set of its members' devices with published keys (a
 * device publishes keys or is signed out, a member joins or leaves). `send_envelope` names the
 * version the sender sealed for; the server compares one number, and refuses a stale or missing
 * one (`conversation_devices_changed`) with the current version and every member's devices, so
 * the sender hands its key to the new ones (or starts a new key) and seals again.
 */
import { z } from 'zod';
import { KEY_LIMITS } from './key-frames.js';
import { ACCOUNT_CAPS, LIMITS } from './limits.js';
import { deviceNumber, id, rid } from './wire-types.js';

/** A conversation's devices version as send_envelope names it: counts up from 1. */
export const devicesVersion = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One device with published keys: its number, and the registration id its keys were published with. */
export const memberDeviceSchema = z.object({
  deviceNumber,
  registrationId: z.number().int().min(KEY_LIMITS.minRegistrationId).max(KEY_LIMITS.maxRegistrationId),
});
export type MemberDevice = z.infer<typeof memberDeviceSchema>;

/**
 * A conversation's members and their devices with keys as of `version` (a member with none has an
 * empty list). Carried by the `conversation_devices_changed` refusal: 1,000 members of two devices
 * make about 120 KB, well within what a client accepts from the server (LIMITS.maxServerFrameBytes).
 */
export const conversationDevicesSchema = z.object({
  version: devicesVersion,
  members: z
    .array(
      z.object({
        userId: id,
        devices: z.array(memberDeviceSchema).max(ACCOUNT_CAPS.maxDevicesPerAccount),
      }),
    )
    .max(LIMITS.maxGroupMembers),
});
export type ConversationDevices = z.infer<typeof conversationDevicesSchema>;

/**
 * A member asks for the conversation's devices before its first seal there (it knows none yet), so
 * that first envelope is sealed for them instead of being refused once. Answered by
 * `conversation_devices`; a non-member gets conversation_not_found.
 */
export const fetchConversationDevicesFrame = z.object({ type: z.literal('fetch_conversation_devices'), rid, conversationId: id });
export const conversationDevicesReply = z.object({
  type: z.literal('conversation_devices'),
  rid,
  devices: conversationDevicesSchema,
});

export const conversationDevicesClientFrames = [fetchConversationDevicesFrame] as const;
export const conversationDevicesServerFrames = [conversationDevicesReply] as const;
