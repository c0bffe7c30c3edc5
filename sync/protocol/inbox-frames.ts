/**
 * The device inbox's frames (end-to-end encryption, docs/e2ee-design.md): envelopes from one device
 * to others, each sealed by a pairwise Signal session for one (user, device). They carry what only
 * devices may read and no conversation orders: sender-key distribution, linking hand-over,
 * decryption-error receipts, personal settings to one's own devices.
 *
 * The server is blind to them: it checks the sender, the addressing and the limits, stores each
 * envelope until its device acknowledges it, and never learns what one says. `kind` only names
 * which libsignal message an envelope holds, so the receiver knows how to open it.
 */
import { z } from 'zod';
import { KEY_LIMITS } from './key-frames.js';
import { ACCOUNT_CAPS } from './limits.js';
import { base64, deviceNumber, id, rid } from './wire-types.js';

export const INBOX_LIMITS = {
  /** Envelopes in one send_to_devices frame (a frame stays under LIMITS.maxFrameBytes anyway). */
  maxEnvelopesPerSend: 100,
  /** One envelope's ciphertext as base64: a first message carries a Kyber ciphertext (1,568 bytes) besides its own. */
  maxCiphertextChars: 48_000,
  /** Envelopes one fetch_inbox page holds at most. */
  maxPage: 100,
  /** Envelopes one device may have waiting from one sender; past it that sender's envelopes to it are not stored (see envelopes_sent). */
  maxWaitingFromOneSender: 1_000,
  /** Envelopes one device may have waiting in all; past it no envelope to it is stored. */
  maxWaitingPerDevice: 10_000,
  /** An envelope nobody acknowledged this long is dropped, and a send's client id forgotten. */
  keepForMs: 30 * 24 * 60 * 60 * 1000,
} as const;

/** The server's id of a stored envelope: a decimal integer. */
const envelopeId = z.string().regex(/^[1-9][0-9]{0,17}$/, 'an envelope id');
const registrationId = z.number().int().min(KEY_LIMITS.minRegistrationId).max(KEY_LIMITS.maxRegistrationId);
const ciphertext = base64(INBOX_LIMITS.maxCiphertextChars);

/** Which libsignal message an envelope holds: a PreKeySignalMessage (the first of a session) or a SignalMessage. */
export const ENVELOPE_KINDS = ['prekey', 'whisper'] as const;
export type EnvelopeKind = (typeof ENVELOPE_KINDS)[number];
const envelopeKind = z.enum(ENVELOPE_KINDS);
/**
 * What a device may find in its inbox: besides pairwise envelopes, a linking hand-over (`link`,
 * link-frames.ts), sealed to a key its link code showed. Only link_device stores one.
 */
export const DELIVERED_ENVELOPE_KINDS = [...ENVELOPE_KINDS, 'link'] as const;
export type DeliveredEnvelopeKind = (typeof DELIVERED_ENVELOPE_KINDS)[number];

// ---------------------------------------------------------------------------------------------
// Client → server

/** One envelope as sent: for the device numbered `deviceNumber` of `userId`, whose registration id the sender's session has. */
export const outgoingEnvelopeSchema = z.object({
  userId: id,
  deviceNumber,
  registrationId,
  kind: envelopeKind,
  ciphertext,
});
export type OutgoingEnvelope = z.infer<typeof outgoingEnvelopeSchema>;

/** A send's envelopes: at least one, at most INBOX_LIMITS.maxEnvelopesPerSend, one per device. */
export const outgoingEnvelopesSchema = z
  .array(outgoingEnvelopeSchema)
  .min(1)
  .max(INBOX_LIMITS.maxEnvelopesPerSend)
  .refine(
    (envelopes) => new Set(envelopes.map((envelope) => `${envelope.deviceNumber} ${envelope.userId}`)).size === envelopes.length,
    'one envelope per device',
  );

/**
 * Envelopes for the devices of some people, sent as one: all stored or none.
 *
 * For each person named the envelopes must go to exactly their devices that have published keys
 * (the sender's own device left out when that person is the sender), each with its current
 * registration id; otherwise nothing is stored and the answer is `devices_changed`, saying what
 * differs, so the sender fetches the bundles it lacks, forgets the sessions it should not have and
 * sends again. Everyone named must be the sender or share a conversation with them
 * (not_a_contact).
 *
 * An envelope for a device whose inbox is full (INBOX_LIMITS' waiting caps) is not stored while the
 * others are, and the answer names it: a full inbox of one device, which strangers could fill,
 * must not stop everyone else's.
 *
 * Exactly once by `clientId`: a frame sent again after a lost answer stores nothing twice and gets
 * the same `envelopes_sent`. Answered by `envelopes_sent`.
 */
export const sendToDevicesFrame = z.object({
  type: z.literal('send_to_devices'),
  rid,
  clientId: id,
  envelopes: outgoingEnvelopesSchema,
});
export type SendToDevicesFrame = z.infer<typeof sendToDevicesFrame>;

/** A page of the asking device's waiting envelopes, oldest first, after `after` (an envelope id) when given. */
export const fetchInboxFrame = z.object({
  type: z.literal('fetch_inbox'),
  rid,
  after: envelopeId.optional(),
  limit: z.number().int().min(1).max(INBOX_LIMITS.maxPage).optional(),
});

/** The asking device has dealt with these envelopes: the server deletes them (ids not its own are ignored). Answered by `ok`. */
export const ackInboxFrame = z.object({
  type: z.literal('ack_inbox'),
  rid,
  ids: z.array(envelopeId).min(1).max(INBOX_LIMITS.maxPage),
});

export const inboxClientFrames = [sendToDevicesFrame, fetchInboxFrame, ackInboxFrame] as const;

// ---------------------------------------------------------------------------------------------
// Server → client

/** An envelope as delivered: the server attests who sent it, from which device, and when. */
export const deviceEnvelopeSchema = z.object({
  id: envelopeId,
  senderUserId: id,
  senderDevice: deviceNumber,
  deviceNumber,
  kind: z.enum(DELIVERED_ENVELOPE_KINDS),
  ciphertext,
  sentAt: z.number().int().nonnegative(),
});
export type DeviceEnvelope = z.infer<typeof deviceEnvelopeSchema>;

/**
 * send_to_devices stored its envelopes (now or, for a frame sent again, before), but for the
 * devices in `full`, whose inboxes had no room (absent when none, and in the answer to a frame
 * sent again).
 */
export const envelopesSentReply = z.object({
  type: z.literal('envelopes_sent'),
  rid,
  clientId: id,
  full: z
    .array(z.object({ userId: id, deviceNumber }))
    .max(INBOX_LIMITS.maxEnvelopesPerSend)
    .optional(),
});

/** How one person's devices differ from those a send_to_devices frame addressed. */
export const deviceMismatchSchema = z.object({
  userId: id,
  /** Devices with keys the frame left out: fetch their bundles. */
  missing: z.array(deviceNumber),
  /** Devices the frame named that have no keys (signed out, or never published): forget their sessions. */
  extra: z.array(deviceNumber),
  /** Devices whose registration id is not the frame's: a new device took the number; start a new session. */
  stale: z.array(deviceNumber),
});
export type DeviceMismatch = z.infer<typeof deviceMismatchSchema>;

/** send_to_devices stored nothing: some people's devices are not the ones it addressed. */
export const devicesChangedReply = z.object({
  type: z.literal('devices_changed'),
  rid,
  mismatches: z.array(deviceMismatchSchema).min(1).max(INBOX_LIMITS.maxEnvelopesPerSend),
});

/** A page of fetch_inbox; `hasMore` when more envelopes wait after the last one. */
export const inboxReply = z.object({
  type: z.literal('inbox'),
  rid,
  envelopes: z.array(deviceEnvelopeSchema).max(INBOX_LIMITS.maxPage),
  hasMore: z.boolean(),
});

/**
 * Envelopes just stored for some of the user's devices, pushed to each of the user's connections:
 * a device takes those addressed to its number and leaves the rest to its siblings.
 */
export const inboxPush = z.object({
  type: z.literal('inbox_push'),
  envelopes: z
    .array(deviceEnvelopeSchema)
    .min(1)
    .max(ACCOUNT_CAPS.maxDevicesPerAccount * INBOX_LIMITS.maxEnvelopesPerSend),
});

export const inboxServerFrames = [envelopesSentReply, devicesChangedReply, inboxReply, inboxPush] as const;

/**
 * How the devices a frame addressed differ from a person's devices with keys now: one entry per
 * person whose devices differ, none when the frame may be stored. Both stores and the client
 * (which tests what it sends) judge by this.
 */
export function deviceMismatches(
  addressed: ReadonlyArray<Pick<OutgoingEnvelope, 'userId' | 'deviceNumber' | 'registrationId'>>,
  current: ReadonlyMap<string, ReadonlyArray<{ deviceNumber: number; registrationId: number }>>,
): DeviceMismatch[] {
  const byUser = new Map<string, Map<number, number>>();
  for (const envelope of addressed) {
    const devices = byUser.get(envelope.userId) ?? new Map<number, number>();
    devices.set(envelope.deviceNumber, envelope.registrationId);
    byUser.set(envelope.userId, devices);
  }
  const mismatches: DeviceMismatch[] = [];
  for (const [userId, devices] of byUser) {
    const now = new Map((current.get(userId) ?? []).map((device) => [device.deviceNumber, device.registrationId]));
    const missing = [...now.keys()].filter((number) => !devices.has(number));
    const extra = [...devices.keys()].filter((number) => !now.has(number));
    const stale = [...devices].filter(([number, registration]) => now.has(number) && now.get(number) !== registration);
    if (missing.length + extra.length + stale.length === 0) continue;
    mismatches.push({
      userId,
      missing: missing.sort((a, b) => a - b),
      extra: extra.sort((a, b) => a - b),
      stale: stale.map(([number]) => number).sort((a, b) => a - b),
    });
  }
  return mismatches;
}
