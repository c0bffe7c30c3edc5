/**
 * Calls' frames (issue 32, docs/protocol.md §25). Media never passes through the server: the two
 * devices connect directly, or through a TURN relay the operator runs beside it. The server hands
 * each signed-in device short-lived credentials for that relay (the TURN REST scheme coturn's
 * `use-auth-secret` takes: the username is the expiry time and the account, the password an HMAC
 * of the username under a secret only the server and the relay hold), so the relay serves only
 * this server's people and a credential stops working soon after it was given.
 *
 * What a call says (offers, answers, ICE candidates, hang-ups, "answered elsewhere") goes between
 * devices as pairwise-encrypted envelopes, addressed as the device inbox's are, that the server
 * only forwards: `send_ephemeral` reaches the devices connected now and is stored nowhere, so a
 * device offline misses it (a call it missed reaches it through the conversation's log instead).
 */
import { z } from 'zod';
import { ENVELOPE_KINDS, deviceEnvelopeSchema, outgoingEnvelopesSchema } from './inbox-frames.js';
import { ACCOUNT_CAPS } from './limits.js';
import { rid } from './wire-types.js';

export const CALL_LIMITS = {
  /** URLs of one relay server as the operator configures them (turn:, turns:, stun:). */
  maxIceUrls: 8,
  maxIceUrlChars: 256,
  /** A TURN username (expiry:account) and its HMAC as base64 stay well under this. */
  maxCredentialChars: 256,
} as const;

// ---------------------------------------------------------------------------------------------
// Client → server

/** Credentials for the relay to use in a call now (`turn_credentials`). */
export const fetchTurnCredentialsFrame = z.object({ type: z.literal('fetch_turn_credentials'), rid });

/**
 * Envelopes for the devices of some people, forwarded to those connected now and stored nowhere.
 * Addressed as send_to_devices is (exactly each person's devices with keys, or `devices_changed`;
 * only contacts, or `not_a_contact`), and counted in the same budget of device envelopes. Answered
 * by `ephemeral_sent`. Not exactly-once: a frame sent again is forwarded again (the pairwise
 * session refuses the replay).
 */
export const sendEphemeralFrame = z.object({
  type: z.literal('send_ephemeral'),
  rid,
  envelopes: outgoingEnvelopesSchema,
});
export type SendEphemeralFrame = z.infer<typeof sendEphemeralFrame>;

export const callClientFrames = [fetchTurnCredentialsFrame, sendEphemeralFrame] as const;

// ---------------------------------------------------------------------------------------------
// Server → client

/** One relay as RTCPeerConnection takes it (an RTCIceServer). */
export const iceServerSchema = z.object({
  urls: z.array(z.string().min(1).max(CALL_LIMITS.maxIceUrlChars)).min(1).max(CALL_LIMITS.maxIceUrls),
  username: z.string().min(1).max(CALL_LIMITS.maxCredentialChars),
  credential: z.string().min(1).max(CALL_LIMITS.maxCredentialChars),
});
export type IceServer = z.infer<typeof iceServerSchema>;

/**
 * The relays to use, none when the server has none configured (calls then use the devices' own
 * addresses only, which is enough on one network); `expiresAt` (ms) is when the credentials stop
 * working, null with none.
 */
export const turnCredentialsReply = z.object({
  type: z.literal('turn_credentials'),
  rid,
  iceServers: z.array(iceServerSchema).max(1),
  expiresAt: z.number().int().nonnegative().nullable(),
});

export const ephemeralSentReply = z.object({ type: z.literal('ephemeral_sent'), rid });

/** An envelope forwarded at once and stored nowhere: as a device inbox's, without an id (there is nothing to acknowledge). */
export const ephemeralEnvelopeSchema = deviceEnvelopeSchema.omit({ id: true }).extend({ kind: z.enum(ENVELOPE_KINDS) });
export type EphemeralEnvelope = z.infer<typeof ephemeralEnvelopeSchema>;

/** Envelopes of send_ephemeral for some of the user's devices, pushed to each of the user's connections: a device takes its own. */
export const ephemeralPush = z.object({
  type: z.literal('ephemeral_push'),
  envelopes: z.array(ephemeralEnvelopeSchema).min(1).max(ACCOUNT_CAPS.maxDevicesPerAccount),
});

export const callServerFrames = [turnCredentialsReply, ephemeralSentReply, ephemeralPush] as const;
