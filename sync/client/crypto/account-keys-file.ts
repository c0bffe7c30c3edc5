/**
 * The account keys' file (account-keys.ts): one per account, in the profile's `account-keys`
 * folder (0700), each 0600 and written atomically. With the mirror's key it is sealed with
 * AES-256-GCM-SIV (libsignal), the account's id bound in as associated data so one account's file
 * cannot stand in for another's; without one (tests, a plain mirror) it is plain, as the mirror is,
 * and sealed on the first keyed read. A file that cannot be read is an error and is never replaced:
 * a new identity would cut the person off from their history and change their safety number.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Aes256GcmSiv } from '@signalapp/libsignal-client';
import type { Random } from '../../common/runtime.js';
import { assertDatabaseKey } from '../../node/database-key.js';
import { ensurePrivateDir, restrictFiles, writeFileAtomically } from '../../node/private-files.js';
import { accountKeysSchema, type AccountKeys } from './account-keys.js';
import type { SignalLibrary } from './signal-library.js';

export const ACCOUNT_KEYS_DIR = 'account-keys';
const SEALED_MAGIC = Buffer.from('MSGKEYS1', 'latin1');
const PLAIN_MAGIC = Buffer.from('MSGKEYS0', 'latin1');
const NONCE_BYTES = 12;

export class AccountKeysFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`The account keys file ${path} ${reason}; it was left as it is, since the account's identity is in it.`);
    this.name = 'AccountKeysFileError';
  }
}

export class AccountKeysFile {
  private readonly dir: string;

  constructor(
    profileDir: string,
    /** The mirror's key; without it the file is plain, as the mirror is. */
    private readonly key: Uint8Array | null,
    private readonly random: Random,
    private readonly signal: SignalLibrary,
  ) {
    if (key) assertDatabaseKey(key);
    this.dir = accountKeysDir(profileDir);
  }

  pathFor(userId: string): string {
    return accountKeysPath(this.dir, userId);
  }

  /** The account's keys, or null when this device has none for it. Throws AccountKeysFileError when the file is unreadable. */
  read(userId: string): AccountKeys | null {
    const path = this.pathFor(userId);
    if (!existsSync(path)) return null;
    const bytes = readFileSync(path);
    const magic = bytes.subarray(0, SEALED_MAGIC.length);
    let json: Buffer;
    if (magic.equals(SEALED_MAGIC)) {
      if (!this.key) throw new AccountKeysFileError(path, 'is sealed, and no key was given to open it');
      json = this.open(path, bytes.subarray(SEALED_MAGIC.length), userId);
    } else if (magic.equals(PLAIN_MAGIC)) {
      json = bytes.subarray(PLAIN_MAGIC.length);
    } else {
      throw new AccountKeysFileError(path, 'is not an account keys file');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.toString('utf8'));
    } catch {
      throw new AccountKeysFileError(path, 'does not hold JSON');
    }
    const keys = accountKeysSchema.safeParse(parsed);
    if (!keys.success || keys.data.userId !== userId) throw new AccountKeysFileError(path, 'does not hold this account’s keys');
    restrictFiles(path);
    if (this.key && magic.equals(PLAIN_MAGIC)) this.write(keys.data);
    return keys.data;
  }

  /** Keeps the account's keys, replacing what was there (atomically: the old file or the new, never neither). */
  write(keys: AccountKeys): void {
    const checked = accountKeysSchema.parse(keys);
    ensurePrivateDir(this.dir);
    const json = Buffer.from(JSON.stringify(checked), 'utf8');
    const content = this.key
      ? Buffer.concat([SEALED_MAGIC, this.seal(json, checked.userId)])
      : Buffer.concat([PLAIN_MAGIC, json]);
    writeFileAtomically(this.pathFor(checked.userId), content);
  }

  private cipher(): Aes256GcmSiv {
    return this.signal.Aes256GcmSiv.new(new Uint8Array(this.key!));
  }

  private seal(json: Buffer, userId: string): Buffer {
    const nonce = new Uint8Array(Buffer.from(this.random.hex(NONCE_BYTES), 'hex'));
    const sealed = this.cipher().encrypt(new Uint8Array(json), nonce, associatedData(userId));
    return Buffer.concat([nonce, sealed]);
  }

  private open(path: string, body: Buffer, userId: string): Buffer {
    const nonce = new Uint8Array(body.subarray(0, NONCE_BYTES));
    try {
      return Buffer.from(this.cipher().decrypt(new Uint8Array(body.subarray(NONCE_BYTES)), nonce, associatedData(userId)));
    } catch {
      throw new AccountKeysFileError(path, 'cannot be opened with this device’s key (damaged, or sealed with another key)');
    }
  }
}

export function accountKeysDir(profileDir: string): string {
  return join(profileDir, ACCOUNT_KEYS_DIR);
}

/** The file's name is a digest of the account's id: ids come from the server, and never become paths. */
export function accountKeysPath(dir: string, userId: string): string {
  return join(dir, `${createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 32)}.keys`);
}

function associatedData(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(`messenger account keys\0${userId}`, 'utf8'));
}
