/**
 * What the client core asks of this device's account keys (account-keys.ts): made at sign-up, the
 * recovery key shown until the person says they saved it and again given the password, and the
 * password's verifier kept current. libsignal is loaded on the first call that needs it, never at
 * start: a start after the recovery key was saved only looks whether a marker file exists.
 */
import { existsSync, rmSync } from 'node:fs';
import { AppApiError } from '../../app-api/contract.js';
import type { RevealedRecoveryKey } from '../../app-api/account-keys-api.js';
import type { RestoreOutcome } from '../../app-api/key-backup-api.js';
import type { StoredKeyBackup } from '../../protocol/backup-frames.js';
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import { ensurePrivateDir, writeFileAtomically } from '../../node/private-files.js';
import { identityKeyPairOf, newAccountKeys, type AccountKeys } from './account-keys.js';
import { accountKeysDir, accountKeysPath, AccountKeysFile } from './account-keys-file.js';
import { normaliseRecoveryKey, openKeyBackup } from './key-backup.js';
import type { BackupSource } from './key-backup-sync.js';
import type { LocalIdentity } from './key-publisher.js';
import { newPasswordVerifier, passwordMatches, type PasswordVerifier } from './password-verifier.js';
import { loadSignal, type SignalLibrary } from './signal-library.js';

export class AccountKeyring {
  private readonly dir: string;
  private opening: Promise<{ signal: SignalLibrary; file: AccountKeysFile }> | null = null;
  /**
   * The password's check for accounts signed in to here without keys: kept, for this run, for the
   * keys this device gets (linked, restored from the key backup, or made for an account that had
   * none), whose file keeps it; never written by itself.
   */
  private readonly verifiersWithoutKeys = new Map<string, PasswordVerifier>();
  /**
   * Each account's identity as first read in this run. Nothing writes over an identity once its
   * file exists or removes the file, and opening it, or even looking for it, for every unit of
   * ratchet work (a live envelope, a seal) cost more than the ratchet work.
   */
  private readonly identities = new Map<string, LocalIdentity>();
  /** Each account's keys file, named by a hash of its id: worked out once, not for every unit of ratchet work. */
  private readonly paths = new Map<string, string>();

  constructor(
    private readonly profileDir: string,
    /** The mirror's key, which seals the keys file (plain without one, as the mirror is). */
    private readonly mirrorKey: Uint8Array | null,
    private readonly runtime: Runtime,
    private readonly log: Logger,
    private readonly load: () => Promise<SignalLibrary> = loadSignal,
  ) {
    this.dir = accountKeysDir(profileDir);
  }

  /**
   * At sign-up: a new identity and recovery key, the recovery key still to be saved. The account
   * exists on the server by now, so a failure here is logged, not thrown: the sign-up stands, and
   * this device then has no keys, as after signing in to an account made elsewhere.
   */
  async createForNewAccount(userId: string, password: string): Promise<void> {
    try {
      const verifier = await newPasswordVerifier(password, this.runtime.random);
      const { signal, file } = await this.open();
      // Never a second identity for an account: that would change its safety number.
      if (file.read(userId)) return;
      ensurePrivateDir(this.dir);
      // The marker first: one left without a keys file is harmless (see unsavedRecoveryKey).
      writeFileAtomically(this.unsavedMarker(userId), '');
      file.write(newAccountKeys(signal, userId, verifier, this.runtime.clock.now()));
    } catch (error) {
      this.log.error('could not make the account keys at sign-up', errorFields(error));
    }
  }

  /** After signing in or changing the password here: the verifier checks the password now in force. */
  async rememberPassword(userId: string, password: string): Promise<void> {
    try {
      const verifier = await newPasswordVerifier(password, this.runtime.random);
      if (!existsSync(this.keysPath(userId))) {
        this.verifiersWithoutKeys.set(userId, verifier);
        return;
      }
      const { file } = await this.open();
      const keys = file.read(userId);
      if (keys) file.write({ ...keys, passwordVerifier: verifier });
    } catch (error) {
      this.log.warn('could not keep the new password’s verifier with the account keys', errorFields(error));
    }
  }

  /** Makes the account's identity here with the password held at sign-in; false when none is held. */
  async createFromHeldPassword(userId: string): Promise<boolean> {
    const verifier = this.verifiersWithoutKeys.get(userId);
    if (!verifier) return false;
    const { signal, file } = await this.open();
    if (!file.read(userId)) {
      ensurePrivateDir(this.dir);
      writeFileAtomically(this.unsavedMarker(userId), '');
      file.write(newAccountKeys(signal, userId, verifier, this.runtime.clock.now()));
    }
    this.verifiersWithoutKeys.delete(userId);
    return true;
  }

  /**
   * "Start with a new identity": no other device and no recovery key, so this device makes a new
   * identity that replaces the account's, with a new recovery key to save. Needs the password
   * signed in with in this run (the keys file keeps its check).
   */
  async createReplacingIdentity(userId: string): Promise<'made' | 'password_needed'> {
    const verifier = this.verifiersWithoutKeys.get(userId);
    if (!verifier) return 'password_needed';
    const { signal, file } = await this.open();
    if (!file.read(userId)) {
      ensurePrivateDir(this.dir);
      writeFileAtomically(this.unsavedMarker(userId), '');
      file.write({ ...newAccountKeys(signal, userId, verifier, this.runtime.clock.now()), replacesIdentity: true });
    }
    this.verifiersWithoutKeys.delete(userId);
    return 'made';
  }

  /** Whether this device has the account's keys (without loading libsignal). */
  hasKeys(userId: string): boolean {
    return existsSync(this.keysPath(userId));
  }

  /** The account's keys as this device holds them, to hand over to a device being linked; null without them. */
  keysToHandOver(userId: string): Promise<AccountKeys | null> {
    return this.read(userId);
  }

  /**
   * The keys another device of the account handed over (linking): kept as they came, the recovery
   * key's "saved" included (it was shown on that device), but for the password's verifier, which
   * is this device's own when it holds one (the password it signed in with is the one in force).
   * Never over keys this device has.
   */
  async adoptHandedOver(keys: AccountKeys): Promise<void> {
    const { file } = await this.open();
    if (file.read(keys.userId)) return;
    ensurePrivateDir(this.dir);
    if (!keys.recoveryKeySaved) writeFileAtomically(this.unsavedMarker(keys.userId), '');
    const passwordVerifier = this.verifiersWithoutKeys.get(keys.userId) ?? keys.passwordVerifier;
    file.write({ ...keys, passwordVerifier, createdAt: this.runtime.clock.now() });
    this.verifiersWithoutKeys.delete(keys.userId);
  }

  /** The recovery key while it is still to be saved, else null. */
  async unsavedRecoveryKey(userId: string): Promise<string | null> {
    if (!existsSync(this.unsavedMarker(userId))) return null;
    const keys = await this.read(userId);
    if (keys && !keys.recoveryKeySaved) return keys.recoveryKey;
    rmSync(this.unsavedMarker(userId), { force: true });
    return null;
  }

  /** "I have saved it". */
  async confirmSaved(userId: string): Promise<void> {
    const keys = await this.read(userId);
    if (keys && !keys.recoveryKeySaved) (await this.open()).file.write({ ...keys, recoveryKeySaved: true });
    rmSync(this.unsavedMarker(userId), { force: true });
  }

  /** The recovery key, given the password; 'unauthorized' when the password is wrong. */
  async reveal(userId: string, password: string): Promise<RevealedRecoveryKey> {
    const keys = await this.read(userId);
    if (!keys) return { kind: 'none' };
    if (!(await passwordMatches(password, keys.passwordVerifier))) {
      throw new AppApiError('unauthorized', 'The password is wrong.');
    }
    return { kind: 'key', recoveryKey: keys.recoveryKey };
  }

  /** The account's identity on this device, for publishing its keys; null while it has none (not linked yet). */
  async localIdentity(userId: string): Promise<LocalIdentity | null> {
    const held = this.identities.get(userId);
    if (held) return held;
    const keys = await this.read(userId);
    if (!keys) return null;
    const { signal } = await this.open();
    const local = { signal, identity: identityKeyPairOf(signal, keys), replacesIdentity: keys.replacesIdentity ?? false };
    this.identities.set(userId, local);
    return local;
  }

  /** What this device backs up for the account (crypto/key-backup-sync.ts); null while it has no keys. */
  async backupSource(userId: string): Promise<BackupSource | null> {
    const keys = await this.read(userId);
    return keys ? { signal: (await this.open()).signal, keys } : null;
  }

  /**
   * Takes up the account's keys from its backup (`stored`, as fetched), opened with the recovery
   * key as typed: the keys file sign-up writes, with the recovery key marked saved (it was just
   * typed in). Writes nothing unless the outcome is `restored`; an identity already here is never
   * replaced (restoring the one it holds again is `restored`).
   */
  async restoreFromBackup(userId: string, typedRecoveryKey: string, stored: StoredKeyBackup | null): Promise<RestoreOutcome> {
    if (!stored) return 'no_key_backup';
    const recoveryKey = normaliseRecoveryKey(typedRecoveryKey);
    const { signal, file } = await this.open();
    const content = openKeyBackup(signal, userId, recoveryKey, stored.ciphertext);
    if (typeof content === 'string') return content;
    const here = await this.read(userId);
    if (here) return here.identityKeyPair === content.identityKeyPair ? 'restored' : 'other_identity';
    const verifier = this.verifiersWithoutKeys.get(userId);
    if (!verifier) return 'password_needed';
    file.write({
      userId,
      identityKeyPair: content.identityKeyPair,
      recoveryKey,
      recoveryKeySaved: true,
      passwordVerifier: verifier,
      createdAt: this.runtime.clock.now(),
    });
    this.verifiersWithoutKeys.delete(userId);
    return 'restored';
  }

  private async read(userId: string): Promise<AccountKeys | null> {
    if (!existsSync(this.keysPath(userId))) return null;
    return (await this.open()).file.read(userId);
  }

  private open(): Promise<{ signal: SignalLibrary; file: AccountKeysFile }> {
    this.opening ??= this.load().then((signal) => ({
      signal,
      file: new AccountKeysFile(this.profileDir, this.mirrorKey, this.runtime.random, signal),
    }));
    return this.opening;
  }

  private keysPath(userId: string): string {
    let path = this.paths.get(userId);
    if (path === undefined) {
      path = accountKeysPath(this.dir, userId);
      this.paths.set(userId, path);
    }
    return path;
  }

  /** Beside the keys file while its recovery key is still to be saved: found without opening the file (libsignal). */
  private unsavedMarker(userId: string): string {
    return `${this.keysPath(userId)}.unsaved`;
  }
}
