/**
 * Valid key directory frames (key-frames.ts) for the hostile-input fuzzers: one arbitrary per
 * frame type, keyed by the type as the schema declares it, so a new key frame cannot be left out
 * (the Record's keys are the schema's types; keyFrameTypes() reads them from the schema at run time).
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { KEY_LIMITS, keyClientFrames, type PublishKeysFrame } from '../../../sync/protocol/key-frames.js';
import { validRid } from './hostile-input.js';

export type KeyFrameType = (typeof keyClientFrames)[number]['shape']['type']['value'];
export type KeyFrame = z.infer<(typeof keyClientFrames)[number]>;

/** The key frames' types, read from the schema. */
export function keyFrameTypes(): string[] {
  return keyClientFrames.map((frame) => frame.shape.type.value);
}

/** Base64 of `min`..`max` random bytes: valid key material as far as the server can tell. */
const keyBytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((bytes) => Buffer.from(bytes).toString('base64'));
const ecKey = keyBytes(3, 45);
const kyberKey = fc.oneof(keyBytes(3, 64), keyBytes(1569, 1569));
const signature = keyBytes(3, 90);
const keyId = fc.integer({ min: 1, max: KEY_LIMITS.maxKeyId });
const increasingIds = (max: number) => fc.uniqueArray(keyId, { maxLength: max }).map((ids) => [...ids].sort((a, b) => a - b));

/** A publish_keys frame; `complete` decides whether it carries both keys a device's first publish needs. */
export function publishKeysArbitrary(complete: boolean): fc.Arbitrary<PublishKeysFrame> {
  const signedPrekey = fc.record({ keyId, publicKey: ecKey, signature });
  const kyberPrekey = fc.record({ keyId, publicKey: kyberKey, signature });
  return fc
    .record(
      {
        rid: validRid,
        identityKey: ecKey,
        replaceIdentity: fc.boolean(),
        registrationId: fc.integer({ min: KEY_LIMITS.minRegistrationId, max: KEY_LIMITS.maxRegistrationId }),
        signedPrekey,
        kyberLastResortPrekey: kyberPrekey,
        ecIds: increasingIds(KEY_LIMITS.maxEcPrekeysPerPublish),
        kyberIds: increasingIds(4),
        drop: fc.constantFrom('signedPrekey', 'kyberLastResortPrekey', 'both'),
        ecKeys: fc.array(ecKey, { minLength: KEY_LIMITS.maxEcPrekeysPerPublish, maxLength: KEY_LIMITS.maxEcPrekeysPerPublish }),
        kyberKeys: fc.array(fc.record({ publicKey: kyberKey, signature }), { minLength: 4, maxLength: 4 }),
      },
      { requiredKeys: ['rid', 'identityKey', 'registrationId', 'ecIds', 'kyberIds', 'drop', 'ecKeys', 'kyberKeys'] },
    )
    .map(({ ecIds, kyberIds, drop, ecKeys, kyberKeys, signedPrekey: signed, kyberLastResortPrekey: lastResort, ...rest }) => {
      const frame: PublishKeysFrame = {
        type: 'publish_keys',
        ...rest,
        ...(ecIds.length > 0 ? { ecPrekeys: ecIds.map((id, i) => ({ keyId: id, publicKey: ecKeys[i]! })) } : {}),
        ...(kyberIds.length > 0 ? { kyberPrekeys: kyberIds.map((id, i) => ({ keyId: id, ...kyberKeys[i]! })) } : {}),
      };
      const keepSigned = complete || drop === 'kyberLastResortPrekey';
      const keepLastResort = complete || drop === 'signedPrekey';
      if (keepSigned && signed) frame.signedPrekey = signed;
      if (keepLastResort && lastResort) frame.kyberLastResortPrekey = lastResort;
      return frame;
    })
    .filter((frame) => complete === (frame.signedPrekey !== undefined && frame.kyberLastResortPrekey !== undefined));
}

/**
 * One valid frame per key frame type. Publishes are incomplete (a first publish without both of its
 * keys), so on a device that never published they change nothing; fetches aim at `userIds`.
 */
export function validKeyFrames(userIds: fc.Arbitrary<string>): Record<KeyFrameType, fc.Arbitrary<KeyFrame>> {
  return {
    publish_keys: publishKeysArbitrary(false),
    fetch_key_bundles: fc.record({ type: fc.constant('fetch_key_bundles' as const), rid: validRid, userId: userIds }),
    count_keys: fc.record({ type: fc.constant('count_keys' as const), rid: validRid }),
    fetch_identity: fc.record({ type: fc.constant('fetch_identity' as const), rid: validRid, userId: userIds }),
  };
}
