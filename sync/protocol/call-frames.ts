/**
 * Calls' frames (issue 32, docs/protocol.md §25). Media never passes through the server: the two
 * devices connect directly, or through a TURN relay the operator runs beside it. The server hands
 * each signed-in device short-lived credentials for that relay (the TURN REST scheme coturn's
 * `use-auth-secret` takes: the username is the expiry time and the account, the password an HMAC
 * of the username under a secret only the server and the relay hold), so the relay serves only
 * this server's people and a credential stops working soon after it was given.
 */
import { z } from 'zod';
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

export const callClientFrames = [fetchTurnCredentialsFrame] as const;

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

export const callServerFrames = [turnCredentialsReply] as const;
