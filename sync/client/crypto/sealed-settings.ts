/**
 * Private settings (archive, mute, drafts: content/personal-settings.ts) as the server keeps them:
 * each register named by an opaque key and its setting sealed to the account's identity, so every
 * device that holds the identity reads them and the server, which orders and forwards them, reads
 * nothing. The key is derived from the identity and what the register is about (libsignal's HKDF),
 * so the same setting always lands in the same register and the server cannot tell a draft from a
 * mute, nor which conversation either is about. The seal is libsignal's HPKE to the identity's
 * public key, with the key and the register's `at` and `by` as associated data: the server cannot
 * move a value to another register nor give an old value a newer time. The seal is signed with
 * the identity's private key (XEdDSA) over that associated data and the sealed bytes: anyone can
 * seal to a public key, the server included, so only a signed register is one of the account's
 * devices wrote (a forged sender key would let the server write as someone else).
 */
import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import {
  isPrivateSetting,
  personalSettingKey,
  personalSettingSchema,
  type PrivateRegister,
  type PrivateSetting,
  type StoredPersonalSetting,
} from '../../content/personal-settings.js';
import type { SettingRegister, StoredSetting } from '../../protocol/frames.js';
import { LIMITS } from '../../protocol/limits.js';
import type { SignalLibrary } from './signal-library.js';

/** HPKE's `info`, and the HKDF label of the naming key: what the identity's key is used for here. */
const SEAL_INFO = 'messenger private setting';
const NAMING_LABEL = 'messenger private setting names';
/** An XEdDSA signature's length: the value is the signature, then the sealed setting. */
const SIGNATURE_BYTES = 64;

export class SettingsSeal {
  private readonly namingKey: Uint8Array<ArrayBuffer>;

  constructor(
    private readonly signal: SignalLibrary,
    private readonly identity: IdentityKeyPair,
  ) {
    this.namingKey = signal.hkdf(32, identity.privateKey.serialize(), utf8(NAMING_LABEL), null);
  }

  /** The opaque key of a private setting's register. */
  keyOf(setting: PrivateSetting): string {
    return Buffer.from(this.signal.hkdf(32, this.namingKey, utf8(personalSettingKey(setting)), null)).toString('base64url');
  }

  /** The register as it goes to the server; null when its seal would not fit a frame. */
  seal(register: PrivateRegister): SettingRegister | null {
    const key = this.keyOf(register.setting);
    const bound = associatedData(key, register.at, register.by);
    const sealed = this.identity.publicKey.seal(utf8(JSON.stringify(register.setting)), SEAL_INFO, bound);
    const signature = this.identity.privateKey.sign(signedBytes(bound, sealed));
    const value = Buffer.concat([signature, sealed]).toString('base64');
    if (value.length > LIMITS.maxSealedSettingChars) return null;
    return { setting: { kind: 'sealed', key, value }, at: register.at, by: register.by };
  }

  private signedByIdentity(message: Uint8Array<ArrayBuffer>, signature: Uint8Array<ArrayBuffer>): boolean {
    try {
      return this.identity.publicKey.verify(message, signature);
    } catch {
      // Not a signature at all (too short): as unsigned.
      return false;
    }
  }

  /**
   * A register from the server as this device keeps it: a sealed one opened, the others as they
   * are. null for a sealed one that is not signed by the account's identity (forged, or sealed
   * under an identity the account no longer has), that does not open here, that holds no private
   * setting this version knows, or whose key is not its setting's.
   */
  open(stored: StoredSetting): StoredPersonalSetting | null {
    const { setting } = stored;
    if (setting.kind !== 'sealed') return inTheClear(stored);
    const bytes = new Uint8Array(Buffer.from(setting.value, 'base64'));
    const bound = associatedData(setting.key, stored.at, stored.by);
    const signature = bytes.slice(0, SIGNATURE_BYTES);
    const sealed = bytes.slice(SIGNATURE_BYTES);
    if (sealed.length === 0 || !this.signedByIdentity(signedBytes(bound, sealed), signature)) return null;
    let plain: Uint8Array;
    try {
      plain = this.identity.privateKey.open(sealed, SEAL_INFO, bound);
    } catch {
      return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(plain).toString('utf8'));
    } catch {
      return null;
    }
    const opened = personalSettingSchema.safeParse(parsed);
    if (!opened.success || !isPrivateSetting(opened.data) || this.keyOf(opened.data) !== setting.key) return null;
    return { setting: opened.data, at: stored.at, by: stored.by, version: stored.version };
  }
}

/** A register the server reads as it is, as this device keeps it; null for a sealed one. */
export function inTheClear(stored: StoredSetting): StoredPersonalSetting | null {
  const { setting } = stored;
  return setting.kind === 'sealed' ? null : { setting, at: stored.at, by: stored.by, version: stored.version };
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function associatedData(key: string, at: number, by: string): Uint8Array<ArrayBuffer> {
  return utf8(`${key}\0${at}\0${by}`);
}

function signedBytes(bound: Uint8Array, sealed: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.concat([bound, new Uint8Array([0]), sealed]));
}
