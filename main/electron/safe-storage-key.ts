/**
 * The mirror's key in Electron: 32 random bytes wrapped by the operating system's keychain
 * (safeStorage: Keychain on macOS, DPAPI on Windows, libsecret/KWallet on Linux) and kept wrapped
 * in `<profile>/mirror.key.safe`; unwrapped only into the memory of this process and the core worker.
 *
 * Where the OS offers no keychain, safeStorage would still "encrypt", on Linux with a password
 * hardcoded in Chromium (the `basic_text` backend): no protection, only the look of it. Then the
 * key is kept as the browser host keeps it, in a 0600 key file (main/common/mirror-key-file.ts),
 * and the log says so. A profile keeps the keeper it started with: a wrapped key that cannot be
 * unwrapped now (keychain locked or gone) is an error, never a reason to make a new key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SafeStorage } from 'electron';
import { DATABASE_KEY_BYTES } from '../../sync/node/database-key.js';
import { loadOrCreateKeyFile, MIRROR_KEY_FILE, writeNewPrivateFile } from '../common/mirror-key-file.js';

export const WRAPPED_KEY_FILE = 'mirror.key.safe';

export type KeychainAccess = Pick<
  SafeStorage,
  'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync' | 'getSelectedStorageBackend'
>;

export interface MirrorKey {
  key: Buffer;
  /** Who keeps it: the OS keychain, or a 0600 key file (no keychain here). */
  keeper: 'keychain' | 'file';
}

export class WrappedKeyError extends Error {
  constructor(path: string, reason: string) {
    super(`The key of this profile's local data (${path}) cannot be unwrapped: ${reason}.`);
    this.name = 'WrappedKeyError';
  }
}

/** Whether safeStorage protects anything here (on Linux `basic_text` is a hardcoded password). Call after app ready. */
export async function keychainIsUsable(keychain: KeychainAccess, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  if (!(await keychain.isAsyncEncryptionAvailable())) return false;
  return platform !== 'linux' || keychain.getSelectedStorageBackend() !== 'basic_text';
}

/**
 * The profile's mirror key: unwrapped from mirror.key.safe, or read from mirror.key, or made now
 * (wrapped by the keychain when it is usable, otherwise in a key file). Call after app ready.
 */
export async function loadMirrorKey(
  profileDir: string,
  keychain: KeychainAccess,
  options: { platform?: NodeJS.Platform; random?: (size: number) => Buffer; log?: (message: string) => void } = {},
): Promise<MirrorKey> {
  const { platform = process.platform, random = randomBytes, log = (message: string) => console.warn(message) } = options;
  const wrappedPath = join(profileDir, WRAPPED_KEY_FILE);
  if (existsSync(wrappedPath)) return { key: await unwrap(wrappedPath, keychain, platform), keeper: 'keychain' };
  if (existsSync(join(profileDir, MIRROR_KEY_FILE))) return { key: loadOrCreateKeyFile(profileDir), keeper: 'file' };
  if (!(await keychainIsUsable(keychain, platform))) {
    log(
      'No OS keychain is available (on Linux: no Secret Service or KWallet); the key of the local data is kept in a ' +
        `0600 file in ${profileDir} instead.`,
    );
    return { key: loadOrCreateKeyFile(profileDir, random), keeper: 'file' };
  }
  const wrapped = await keychain.encryptStringAsync(random(DATABASE_KEY_BYTES).toString('hex'));
  // Another start may have won the race: its key is the one, so read back what is there.
  writeNewPrivateFile(wrappedPath, wrapped);
  return { key: await unwrap(wrappedPath, keychain, platform), keeper: 'keychain' };
}

async function unwrap(path: string, keychain: KeychainAccess, platform: NodeJS.Platform): Promise<Buffer> {
  if (!(await keychainIsUsable(keychain, platform))) throw new WrappedKeyError(path, 'the OS keychain is not available');
  let text: string;
  try {
    text = (await keychain.decryptStringAsync(readFileSync(path))).result;
  } catch (error) {
    throw new WrappedKeyError(path, error instanceof Error ? error.message : String(error));
  }
  if (!/^[0-9a-f]{64}$/.test(text)) throw new WrappedKeyError(path, 'it does not hold a key');
  return Buffer.from(text, 'hex');
}
