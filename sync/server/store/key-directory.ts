import type { EcPrekey, KeyBundle, KyberPrekey, SignedPrekey } from '../../protocol/key-frames.js';

/**
 * The key directory (docs/e2ee-design.md): per user their identity public key, per device (a
 * session) its registration id, signed prekey, Kyber last-resort prekey and one-time prekeys. The
 * store keeps the keys as the client sent them (base64 text) and never interprets them.
 *
 * Rules every implementation keeps:
 * - a device's keys live on its session's database and go with it: ending a session (sign-out,
 *   revocation, expiry) deletes them in the same transaction (a cascade from sessions);
 * - the identity key first published sticks; a different one is refused unless the publish says it
 *   replaces it, which also sets identity_changed_at;
 * - one-time prekey ids only grow per device and kind: a key whose id is not above the highest the
 *   device published before is skipped, so a publish sent again stores nothing twice and a key
 *   handed out never comes back;
 * - a publish that would leave more than `maxStored` one-time prekeys of a kind stores nothing;
 * - a fetch hands out, and deletes in the same transaction, one one-time prekey of each kind per
 *   device: two fetches at once never hand out the same key (fetches of one user's bundles
 *   serialise: SQLite's one writer; PostgreSQL: locks on the user's device_keys rows).
 */
export interface KeyDirectoryStore {
  publishKeys(input: PublishKeys): Promise<PublishKeysResult>;
  /**
   * One bundle per device of `userId` that published its keys and whose session is not expired
   * (last used at or after `expiredBefore`), except `exceptSessionId` (the asking device), in device
   * number order. null when the user has no identity key or no such device.
   */
  fetchBundles(input: { userId: string; exceptSessionId: string; expiredBefore: number }): Promise<FetchedBundles | null>;
  /** The device's one-time prekeys left; null when it never published its keys. */
  countPrekeys(sessionId: string): Promise<PrekeyCounts | null>;
  /** The user's identity public key as published; null when they never published keys (or there is nobody by that id). */
  identityKey(userId: string): Promise<string | null>;
}

export interface PublishKeys {
  userId: string;
  sessionId: string;
  identityKey: string;
  replaceIdentity: boolean;
  registrationId: number;
  signedPrekey: SignedPrekey | undefined;
  kyberLastResortPrekey: KyberPrekey | undefined;
  ecPrekeys: readonly EcPrekey[];
  kyberPrekeys: readonly KyberPrekey[];
  /** One-time prekeys of each kind the device may have stored at once. */
  maxStored: number;
  now: number;
}

export type PublishKeysResult =
  | { status: 'stored'; counts: PrekeyCounts; identityChanged: boolean }
  | { status: 'refused'; reason: 'keys_incomplete' | 'identity_key_mismatch' | 'too_many_prekeys' };

export interface PrekeyCounts {
  ecPrekeys: number;
  kyberPrekeys: number;
}

export interface FetchedBundles {
  identityKey: string;
  bundles: KeyBundle[];
  /** Each device's one-time prekeys left after this fetch. */
  left: Array<{ deviceNumber: number } & PrekeyCounts>;
}

/** A device's row as both stores read it. */
export interface DeviceKeysRow {
  session_id: string;
  device_number: number;
  registration_id: number;
  signed_prekey_id: number;
  signed_prekey: string;
  signed_prekey_signature: string;
  kyber_last_resort_id: number;
  kyber_last_resort: string;
  kyber_last_resort_signature: string;
}

/** A one-time prekey's row as both stores read it. */
export interface PrekeyRow {
  session_id: string;
  kind: 'ec' | 'kyber';
  key_id: number;
  public_key: string;
  signature: string | null;
}

/** What a publish that is not refused stores of its one-time prekeys: those above the device's highest ids. */
export function newPrekeys(
  input: Pick<PublishKeys, 'ecPrekeys' | 'kyberPrekeys'>,
  last: { ec: number; kyber: number },
): { ec: EcPrekey[]; kyber: KyberPrekey[] } {
  return {
    ec: input.ecPrekeys.filter((key) => key.keyId > last.ec),
    kyber: input.kyberPrekeys.filter((key) => key.keyId > last.kyber),
  };
}

/** Why a device's first publish, or any publish, is refused before anything is written; null when it may go ahead. */
export function refusePublish(
  input: Pick<PublishKeys, 'identityKey' | 'replaceIdentity' | 'signedPrekey' | 'kyberLastResortPrekey'>,
  stored: { identityKey: string | null; devicePublished: boolean },
): 'keys_incomplete' | 'identity_key_mismatch' | null {
  if (stored.identityKey !== null && stored.identityKey !== input.identityKey && !input.replaceIdentity)
    return 'identity_key_mismatch';
  if (!stored.devicePublished && (!input.signedPrekey || !input.kyberLastResortPrekey)) return 'keys_incomplete';
  return null;
}

/** The bundle of one device, from its row and the one-time prekeys this fetch took of it. */
export function bundleOf(device: DeviceKeysRow, taken: readonly PrekeyRow[]): KeyBundle {
  const ec = taken.find((key) => key.session_id === device.session_id && key.kind === 'ec');
  const kyber = taken.find((key) => key.session_id === device.session_id && key.kind === 'kyber');
  return {
    deviceNumber: device.device_number,
    registrationId: device.registration_id,
    signedPrekey: {
      keyId: device.signed_prekey_id,
      publicKey: device.signed_prekey,
      signature: device.signed_prekey_signature,
    },
    ...(ec ? { ecPrekey: { keyId: ec.key_id, publicKey: ec.public_key } } : {}),
    kyberPrekey:
      kyber && kyber.signature !== null
        ? { keyId: kyber.key_id, publicKey: kyber.public_key, signature: kyber.signature, lastResort: false }
        : {
            keyId: device.kyber_last_resort_id,
            publicKey: device.kyber_last_resort,
            signature: device.kyber_last_resort_signature,
            lastResort: true,
          },
  };
}
