/**
 * Electron's keeper of the mirror key, with a stand-in for safeStorage (electron itself is never
 * loaded): wrapped by the OS keychain when there is one, a 0600 key file where there is none
 * (Linux's basic_text backend counts as none), and never a new key for a profile that has one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIRROR_KEY_FILE } from '../../../main/common/mirror-key-file.js';
import {
  loadMirrorKey,
  WRAPPED_KEY_FILE,
  WrappedKeyError,
  type KeychainAccess,
} from '../../../main/electron/safe-storage-key.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'safe-storage-key-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A stand-in keychain: wraps with a XOR of its own secret, so a wrapped key is not the key. */
function keychain(options: { available?: boolean; backend?: ReturnType<KeychainAccess['getSelectedStorageBackend']> } = {}) {
  const secret = 0x5a;
  const xor = (bytes: Buffer) => Buffer.from(bytes.map((byte) => byte ^ secret));
  const stand: KeychainAccess = {
    isAsyncEncryptionAvailable: async () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptStringAsync: async (text) => xor(Buffer.from(`wrapped:${text}`)),
    decryptStringAsync: async (wrapped) => {
      const text = xor(wrapped).toString();
      if (!text.startsWith('wrapped:'))
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return { shouldReEncrypt: false, result: text.slice('wrapped:'.length) };
    },
  };
  return stand;
}

describe('the mirror key under Electron', () => {
  it('is wrapped by the OS keychain in mirror.key.safe, never stored bare, and unwrapped the same next time', async () => {
    const profile = tempDir();
    const first = await loadMirrorKey(profile, keychain(), { platform: 'linux' });
    expect(first.keeper).toBe('keychain');
    expect(first.key).toHaveLength(32);
    const stored = readFileSync(join(profile, WRAPPED_KEY_FILE));
    expect(stored.includes(Buffer.from(first.key.toString('hex')))).toBe(false);
    expect(existsSync(join(profile, MIRROR_KEY_FILE))).toBe(false);
    const second = await loadMirrorKey(profile, keychain(), { platform: 'linux' });
    expect(second.key.equals(first.key)).toBe(true);
  });

  it.each([
    ['no keychain at all', { available: false }, 'darwin' as const],
    ['Linux basic_text (a hardcoded password)', { backend: 'basic_text' as const }, 'linux' as const],
  ])('keeps it in a 0600 key file when there is %s, and says so', async (_what, options, platform) => {
    const profile = tempDir();
    const logged: string[] = [];
    const loaded = await loadMirrorKey(profile, keychain(options), { platform, log: (message) => logged.push(message) });
    expect(loaded.keeper).toBe('file');
    expect(readFileSync(join(profile, MIRROR_KEY_FILE), 'latin1')).toBe(loaded.key.toString('hex'));
    expect(existsSync(join(profile, WRAPPED_KEY_FILE))).toBe(false);
    expect(logged.join('\n')).toMatch(/No OS keychain/);
  });

  it('keeps using the key file of a profile that started without a keychain, once one appears', async () => {
    const profile = tempDir();
    writeFileSync(join(profile, MIRROR_KEY_FILE), 'ab'.repeat(32));
    const loaded = await loadMirrorKey(profile, keychain(), { platform: 'linux' });
    expect(loaded).toEqual({ key: Buffer.from('ab'.repeat(32), 'hex'), keeper: 'file' });
    expect(existsSync(join(profile, WRAPPED_KEY_FILE))).toBe(false);
  });

  it('fails clearly, replacing nothing, when the wrapped key cannot be unwrapped', async () => {
    const profile = tempDir();
    await loadMirrorKey(profile, keychain(), { platform: 'linux' });
    const wrapped = readFileSync(join(profile, WRAPPED_KEY_FILE));
    await expect(loadMirrorKey(profile, keychain({ available: false }), { platform: 'linux' })).rejects.toThrow(WrappedKeyError);
    await expect(loadMirrorKey(profile, keychain({ backend: 'basic_text' }), { platform: 'linux' })).rejects.toThrow(
      WrappedKeyError,
    );
    writeFileSync(join(profile, WRAPPED_KEY_FILE), 'garbage');
    await expect(loadMirrorKey(profile, keychain(), { platform: 'linux' })).rejects.toThrow(WrappedKeyError);
    expect(readFileSync(join(profile, WRAPPED_KEY_FILE), 'latin1')).toBe('garbage');
    expect(existsSync(join(profile, MIRROR_KEY_FILE))).toBe(false);
    expect(wrapped.length).toBeGreaterThan(0);
  });
});
