/**
 * This device's prekeys: made here, their private halves kept in the mirror (signal-tables.ts),
 * their public halves published to the server's key directory so others can start sessions with
 * this device while it is offline. A bundle fetched from the directory becomes libsignal's
 * PreKeyBundle here too.
 */
import type { IdentityKeyPair, PreKeyBundle } from '@signalapp/libsignal-client';
import type { KeyBundle } from '../../protocol/key-frames.js';
import type { SignalTables } from '../mirror/signal-tables.js';
import type { SignalLibrary } from './signal-library.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const bytesOf = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(text, 'base64'));

export interface PublicPreKey {
  keyId: number;
  publicKey: string;
}

export interface SignedPublicPreKey extends PublicPreKey {
  signature: string;
}

/** What a device publishes; each part present only when made anew. */
export interface PublishedKeys {
  identityKey: string;
  registrationId: number;
  signedPreKey?: SignedPublicPreKey;
  kyberLastResort?: SignedPublicPreKey;
  oneTimePreKeys: PublicPreKey[];
  kyberPreKeys: SignedPublicPreKey[];
}

export interface PreKeyBatch {
  /** A new signed prekey and last-resort Kyber key (at first, and when they are rotated). */
  rotate: boolean;
  oneTime: number;
  kyber: number;
}

/** What making prekeys writes: ids taken and private halves kept (the mirror's tables; a benchmark's device in memory). */
export type PreKeyTables = Pick<SignalTables, 'takeIds' | 'putPrekey' | 'putSignedPrekey' | 'putKyberPrekey'>;

/** A registration id as libsignal takes it: 14 bits, never 0. */
export function newRegistrationId(random: () => number): number {
  return 1 + Math.floor(random() * 16380);
}

/**
 * Makes a batch of prekeys, keeps their private halves in `tables` (the caller holds the mirror
 * transaction) and answers what to publish.
 */
export function makePreKeys(
  signal: SignalLibrary,
  tables: PreKeyTables,
  identity: IdentityKeyPair,
  registrationId: number,
  batch: PreKeyBatch,
  now: number,
): PublishedKeys {
  const published: PublishedKeys = {
    identityKey: b64(identity.publicKey.serialize()),
    registrationId,
    oneTimePreKeys: [],
    kyberPreKeys: [],
  };
  const signedKyber = (id: number) => {
    const pair = signal.KEMKeyPair.generate();
    const signature = identity.privateKey.sign(pair.getPublicKey().serialize());
    const record = signal.KyberPreKeyRecord.new(id, now, pair, signature);
    return { record, published: { keyId: id, publicKey: b64(pair.getPublicKey().serialize()), signature: b64(signature) } };
  };
  if (batch.rotate) {
    const id = tables.takeIds('signed', 1);
    const key = signal.PrivateKey.generate();
    const signature = identity.privateKey.sign(key.getPublicKey().serialize());
    tables.putSignedPrekey(id, signal.SignedPreKeyRecord.new(id, now, key.getPublicKey(), key, signature).serialize(), now);
    published.signedPreKey = { keyId: id, publicKey: b64(key.getPublicKey().serialize()), signature: b64(signature) };

    const lastResort = signedKyber(tables.takeIds('kyber', 1));
    tables.putKyberPrekey(lastResort.published.keyId, lastResort.record.serialize(), true, now);
    published.kyberLastResort = lastResort.published;
  }
  const firstPrekey = batch.oneTime > 0 ? tables.takeIds('prekey', batch.oneTime) : 0;
  for (let id = firstPrekey; id < firstPrekey + batch.oneTime; id++) {
    const key = signal.PrivateKey.generate();
    tables.putPrekey(id, signal.PreKeyRecord.new(id, key.getPublicKey(), key).serialize());
    published.oneTimePreKeys.push({ keyId: id, publicKey: b64(key.getPublicKey().serialize()) });
  }
  const firstKyber = batch.kyber > 0 ? tables.takeIds('kyber', batch.kyber) : 0;
  for (let id = firstKyber; id < firstKyber + batch.kyber; id++) {
    const kyber = signedKyber(id);
    tables.putKyberPrekey(id, kyber.record.serialize(), false, now);
    published.kyberPreKeys.push(kyber.published);
  }
  return published;
}

/** One device's bundle as the directory hands it out (key_bundles), as libsignal takes it: it checks the signatures against the identity key. */
export function toPreKeyBundle(signal: SignalLibrary, identityKey: string, bundle: KeyBundle): PreKeyBundle {
  return signal.PreKeyBundle.new(
    bundle.registrationId,
    bundle.deviceNumber,
    bundle.ecPrekey?.keyId ?? null,
    bundle.ecPrekey ? signal.PublicKey.deserialize(bytesOf(bundle.ecPrekey.publicKey)) : null,
    bundle.signedPrekey.keyId,
    signal.PublicKey.deserialize(bytesOf(bundle.signedPrekey.publicKey)),
    bytesOf(bundle.signedPrekey.signature),
    signal.PublicKey.deserialize(bytesOf(identityKey)),
    bundle.kyberPrekey.keyId,
    signal.KEMPublicKey.deserialize(bytesOf(bundle.kyberPrekey.publicKey)),
    bytesOf(bundle.kyberPrekey.signature),
  );
}
