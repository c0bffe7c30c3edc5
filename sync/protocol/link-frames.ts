/**
 * Linking a device (end-to-end encryption, docs/e2ee-design.md, docs/protocol.md §23): a device
 * signed in with the password alone has no identity; one of the account's devices that has it
 * hands it over. The new device shows a link code (its device number and a fresh public key), the
 * person types or pastes it on the old device, and the old device seals the hand-over to that key
 * and sends it through the server to that device's inbox.
 *
 * The server is blind to the hand-over: it checks that both devices are the same account's and
 * that the new one has no keys yet, stores the sealed text in its inbox (kind `link`, delivered
 * like any inbox envelope) and reads none of it. The public key travels screen to screen, never
 * through the server, so the server cannot put its own key in its place.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { base64, deviceNumber, id, rid } from './wire-types.js';

export const LINK_LIMITS = {
  /** A sealed hand-over as base64: the identity, the recovery key and the password's verifier, with room to grow. */
  maxHandOverChars: 16_000,
} as const;

// ---------------------------------------------------------------------------------------------
// Client → server

/**
 * What the old device asks before it asks the person "Link <device name>?": one of the account's
 * own devices, by number. Refused with no_such_device when the account has no such device signed
 * in. Answered by `own_device`.
 */
export const describeOwnDeviceFrame = z.object({ type: z.literal('describe_own_device'), rid, deviceNumber });

/**
 * The hand-over for one of the account's own devices, sealed to the key its link code showed.
 * Refused with no_such_device (no such device of the account signed in) or device_already_linked
 * (that device has published keys: it has an identity). Exactly once by `clientId`, as
 * send_to_devices is. Answered by `device_link_sent`; the device gets it as an inbox envelope of
 * kind `link`, pushed at once when it is connected.
 */
export const linkDeviceFrame = z.object({
  type: z.literal('link_device'),
  rid,
  clientId: id,
  deviceNumber,
  handOver: base64(LINK_LIMITS.maxHandOverChars),
});

export const linkClientFrames = [describeOwnDeviceFrame, linkDeviceFrame] as const;

// ---------------------------------------------------------------------------------------------
// Server → client

/** One of the account's devices: its name (null when it gave none) and whether it has published keys. */
export const ownDeviceReply = z.object({
  type: z.literal('own_device'),
  rid,
  deviceNumber,
  deviceName: z.string().max(LIMITS.maxDeviceNameChars).nullable(),
  linked: z.boolean(),
});

export const deviceLinkSentReply = z.object({ type: z.literal('device_link_sent'), rid, clientId: id });

export const linkServerFrames = [ownDeviceReply, deviceLinkSentReply] as const;
