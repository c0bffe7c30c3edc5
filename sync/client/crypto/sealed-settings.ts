/**
 * Private settings (archive, mute, drafts: content/personal-settings.ts) as the server keeps them:
 * each register named by an opaque key and its setting sealed to the account's identity, so every
 * device that holds the identity reads them and the server, which orders and forwards them, reads
 * nothing. The key is derived from the identity and what the register is about (libsignal's HKDF),
 * so the same setting always lands in the same register and the server cannot tell a draft from a
 * mute, nor which conversation either is about. The seal is libsignal's HPKE to the identity's
 * public key, with the key and the register's `at` and `by` as associated data: the server cannot
 * move a value to another register nor give an old value a newer time.
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
    const sealed = this.identity.publicKey.seal(
      utf8(JSON.stringify(register.setting)),
      SEAL_INFO,
      associatedData(key, register.at, register.by),
    );
    const value = Buffer.from(sealed).toString('base64');
    if (value.length > LIMITS.maxSealedSettingChars) return null;
    return { setting: { kind: 'sealed', key, value }, at: register.at, by: register.by };
  }

  /**
   * A register from the server as this device keeps it: a sealed one opened, the others as they
   * are. null for a sealed one that does not open here (sealed under an identity the account no
   * longer has), that holds no private setting this version knows, or whose key is not its setting's.
   */
  open(stored: StoredSetting): StoredPersonalSetting | null {
    const { setting } = stored;
    if (setting.kind !== 'sealed') return inTheClear(stored);
    let plain: Uint8Array;
    try {
      plain = this.identity.privateKey.open(
        new Uint8Array(Buffer.from(setting.value, 'base64')),
        SEAL_INFO,
        associatedData(setting.key, stored.at, stored.by),
      );
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
