/**
 * The key directory's frames (end-to-end encryption, docs/e2ee-design.md): each device publishes
 * the public keys others need to open a Signal session with it, and anyone signed in fetches a
 * person's bundles (one per device) to start one. The server stores these keys as opaque base64
 * text and never interprets them cryptographically; clients verify every signature themselves.
 *
 * A device is a session (the server gives a new device the lowest number from 1 its user's devices leave free; the
 * welcome tells a device its own). A session's end deletes its keys.
 */
import { z } from 'zod';
import { ACCOUNT_CAPS } from './limits.js';
import { base64, deviceNumber, id, rid } from './wire-types.js';

export const KEY_LIMITS = {
  /** libsignal's registration ids: 14 bits, never 0. */
  minRegistrationId: 1,
  maxRegistrationId: 16_380,
  /** Prekey ids: libsignal's clients hand them out from 1 up to 0xFFFFFF. */
  maxKeyId: 0xff_ff_ff,
  /** Serialised keys as base64: an EC public key is 33 bytes (44 chars), Kyber-1024's 1,569 (2,092 chars), a signature 64 (88). */
  maxEcPublicKeyChars: 64,
  maxKyberPublicKeyChars: 2_200,
  maxSignatureChars: 128,
  /** One-time EC prekeys in one publish_keys frame. */
  maxEcPrekeysPerPublish: 100,
  /** One-time Kyber prekeys in one publish_keys frame: each is over 2 KB, and a frame stays under LIMITS.maxFrameBytes. */
  maxKyberPrekeysPerPublish: 20,
  /** One-time prekeys of each kind a device may have stored at once; a publish past it is refused. */
  maxPrekeysStored: 200,
  /** Fewer one-time prekeys of a kind than this left after a fetch, and the device is told to refill (prekeys_low). */
  prekeysLowWater: 10,
} as const;

export const ecPublicKey = base64(KEY_LIMITS.maxEcPublicKeyChars);
export const kyberPublicKey = base64(KEY_LIMITS.maxKyberPublicKeyChars);
const signature = base64(KEY_LIMITS.maxSignatureChars);
const keyId = z.number().int().min(1).max(KEY_LIMITS.maxKeyId);
const count = z.number().int().min(0).max(KEY_LIMITS.maxPrekeysStored);
const userId = id;

/** The signed prekey: an EC key signed with the identity key. */
export const signedPrekeySchema = z.object({ keyId, publicKey: ecPublicKey, signature });
/** A Kyber prekey, signed with the identity key: the last-resort one, or a one-time one. */
export const kyberPrekeySchema = z.object({ keyId, publicKey: kyberPublicKey, signature });
export const ecPrekeySchema = z.object({ keyId, publicKey: ecPublicKey });
export type SignedPrekey = z.infer<typeof signedPrekeySchema>;
export type KyberPrekey = z.infer<typeof kyberPrekeySchema>;
export type EcPrekey = z.infer<typeof ecPrekeySchema>;

/** Key ids of one batch grow strictly: the server keeps only ids above the highest it has seen (see publish_keys). */
const increasingIds = (keys: ReadonlyArray<{ keyId: number }>) =>
  keys.every((key, i) => i === 0 || key.keyId > keys[i - 1]!.keyId);

// ---------------------------------------------------------------------------------------------
// Client → server

/**
 * Publishes the device's keys. The first publish of a device carries its signed prekey and Kyber
 * last-resort prekey (else keys_incomplete); later ones carry whichever it rotates, and refills of
 * one-time prekeys. `identityKey` is the person's, shared by their devices: the first one published
 * sticks, and a different one is refused (identity_key_mismatch) unless `replaceIdentity` says
 * that the person's identity changed (everyone who talks with them is to be told).
 *
 * One-time prekey ids only grow per device and kind: a key whose id is not above the highest the
 * device published before is skipped, so a publish sent again (its reply lost) stores nothing
 * twice, and a key handed out once never comes back. Past KEY_LIMITS.maxPrekeysStored of a kind
 * the whole publish is refused (too_many_prekeys), storing nothing. Answered by `key_counts`.
 */
export const publishKeysFrame = z.object({
  type: z.literal('publish_keys'),
  rid,
  identityKey: ecPublicKey,
  replaceIdentity: z.boolean().optional(),
  registrationId: z.number().int().min(KEY_LIMITS.minRegistrationId).max(KEY_LIMITS.maxRegistrationId),
  signedPrekey: signedPrekeySchema.optional(),
  kyberLastResortPrekey: kyberPrekeySchema.optional(),
  ecPrekeys: z
    .array(ecPrekeySchema)
    .max(KEY_LIMITS.maxEcPrekeysPerPublish)
    .refine(increasingIds, 'key ids must grow strictly')
    .optional(),
  kyberPrekeys: z
    .array(kyberPrekeySchema)
    .max(KEY_LIMITS.maxKyberPrekeysPerPublish)
    .refine(increasingIds, 'key ids must grow strictly')
    .optional(),
});
export type PublishKeysFrame = z.infer<typeof publishKeysFrame>;

/**
 * The person's bundles, one per device that published its keys (not the asking device itself):
 * each hands out, and so uses up, one one-time prekey of each kind. Refused with no_keys both for
 * nobody by that id and for somebody with no keys. Rate-limited per asker (rate_limited).
 */
export const fetchKeyBundlesFrame = z.object({ type: z.literal('fetch_key_bundles'), rid, userId });

/** How many one-time prekeys the asking device has left (`key_counts`). */
export const countKeysFrame = z.object({ type: z.literal('count_keys'), rid });

/**
 * A person's identity public key (`identity`), to compare safety numbers and notice a change:
 * unlike fetch_key_bundles it uses up nothing. Anyone signed in may ask about anyone, within the
 * asker's key fetch budget (rate_limited).
 */
export const fetchIdentityFrame = z.object({ type: z.literal('fetch_identity'), rid, userId });

export const keyClientFrames = [publishKeysFrame, fetchKeyBundlesFrame, countKeysFrame, fetchIdentityFrame] as const;

// ---------------------------------------------------------------------------------------------
// Server → client

/** A device's one-time prekeys left, of each kind. */
const prekeyCounts = { ecPrekeys: count, kyberPrekeys: count };

/**
 * The answer to publish_keys and count_keys: the asking device's one-time prekeys left; `published`
 * is false until the device first published its keys.
 */
export const keyCountsReply = z.object({ type: z.literal('key_counts'), rid, published: z.boolean(), ...prekeyCounts });

/** What a session with one device starts from (libsignal's PreKeyBundle). */
export const keyBundleSchema = z.object({
  deviceNumber,
  registrationId: z.number().int().min(KEY_LIMITS.minRegistrationId).max(KEY_LIMITS.maxRegistrationId),
  signedPrekey: signedPrekeySchema,
  /** Absent when the device has none left. */
  ecPrekey: ecPrekeySchema.optional(),
  /** A one-time Kyber prekey, or the last-resort one (`lastResort`) when none is left. */
  kyberPrekey: kyberPrekeySchema.extend({ lastResort: z.boolean() }),
});
export type KeyBundle = z.infer<typeof keyBundleSchema>;

export const keyBundlesReply = z.object({
  type: z.literal('key_bundles'),
  rid,
  userId,
  identityKey: ecPublicKey,
  /** In device number order. */
  bundles: z.array(keyBundleSchema).max(ACCOUNT_CAPS.maxDevicesPerAccount),
});

/**
 * The device numbered `deviceNumber` runs low on one-time prekeys (below KEY_LIMITS.prekeysLowWater
 * of a kind): it publishes more. Pushed to the user's connections when a fetch leaves it low, and to
 * the device itself when it connects while low; the user's other devices ignore it.
 */
export const prekeysLowPush = z.object({ type: z.literal('prekeys_low'), deviceNumber, ...prekeyCounts });

/** The answer to fetch_identity: null both for somebody with no keys published and for nobody by that id. */
export const identityReply = z.object({ type: z.literal('identity'), rid, userId, identityKey: ecPublicKey.nullable() });

export const keyServerFrames = [keyCountsReply, keyBundlesReply, prekeysLowPush, identityReply] as const;
