/**
 * Public keys as a device publishes them (key-frames.ts), with libsignal's real sizes: an EC
 * public key of 33 bytes, a Kyber-1024 public key of 1,569, a signature of 64. Random bytes: the
 * server never interprets them, so nothing here needs to be a real key.
 */
import { randomBytes } from 'node:crypto';
import type { EcPrekey, KyberPrekey, PublishKeysFrame, SignedPrekey } from '../../sync/protocol/key-frames.js';

const base64 = (bytes: number) => randomBytes(bytes).toString('base64');

export const ecKey = () => base64(33);
export const kyberKey = () => base64(1569);
export const signature = () => base64(64);

export function signedPrekey(keyId: number): SignedPrekey {
  return { keyId, publicKey: ecKey(), signature: signature() };
}

export function kyberPrekey(keyId: number): KyberPrekey {
  return { keyId, publicKey: kyberKey(), signature: signature() };
}

/** `count` one-time EC prekeys with ids from `firstId` up. */
export function ecPrekeys(firstId: number, count: number): EcPrekey[] {
  return Array.from({ length: count }, (_, i) => ({ keyId: firstId + i, publicKey: ecKey() }));
}

/** `count` one-time Kyber prekeys with ids from `firstId` up. */
export function kyberPrekeys(firstId: number, count: number): KyberPrekey[] {
  return Array.from({ length: count }, (_, i) => kyberPrekey(firstId + i));
}

/** A device's first publish, as a publish_keys frame without its rid: its identity, registration id and every key. */
export function firstPublish(
  identityKey: string,
  options: { registrationId?: number; ecCount?: number; kyberCount?: number } = {},
): Omit<PublishKeysFrame, 'rid'> {
  return {
    type: 'publish_keys',
    identityKey,
    registrationId: options.registrationId ?? 1234,
    signedPrekey: signedPrekey(1),
    kyberLastResortPrekey: kyberPrekey(1),
    ecPrekeys: ecPrekeys(1, options.ecCount ?? 10),
    kyberPrekeys: kyberPrekeys(2, options.kyberCount ?? 10),
  };
}
