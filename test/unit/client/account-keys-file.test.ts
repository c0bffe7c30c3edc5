import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identityKeyPairOf, newAccountKeys } from '../../../sync/client/crypto/account-keys.js';
import { AccountKeysFile, AccountKeysFileError } from '../../../sync/client/crypto/account-keys-file.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';

const { random } = realRuntime();
const signal = await loadSignal();
// A verifier as stored; these tests never check a password against it.
const verifier = { N: 2, r: 1, p: 1, salt: '0'.repeat(32), hash: '1'.repeat(64) };
const key = (byte: number) => new Uint8Array(32).fill(byte);

let profile: string;
beforeEach(() => {
  profile = mkdtempSync(join(tmpdir(), 'account-keys-'));
});
afterEach(() => rmSync(profile, { recursive: true, force: true }));

describe('account keys file', () => {
  it('keeps the identity and recovery key sealed with the mirror key, 0600 in a 0700 folder', () => {
    const file = new AccountKeysFile(profile, key(7), random, signal);
    const keys = newAccountKeys(signal, 'alice-id', verifier, 1_000);
    file.write(keys);

    expect(file.read('alice-id')).toEqual(keys);
    const path = file.pathFor('alice-id');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    // Nothing of the secret is readable on disk.
    const bytes = readFileSync(path);
    expect(bytes.includes(Buffer.from(keys.recoveryKey))).toBe(false);
    expect(bytes.includes(Buffer.from(keys.identityKeyPair))).toBe(false);
    // The identity round-trips into a usable libsignal key pair.
    const pair = identityKeyPairOf(signal, keys);
    const signature = pair.privateKey.sign(new Uint8Array([1, 2, 3]));
    expect(pair.publicKey.verify(new Uint8Array([1, 2, 3]), signature)).toBe(true);
  });

  it('answers null for an account this device has no keys for', () => {
    expect(new AccountKeysFile(profile, key(7), random, signal).read('nobody')).toBeNull();
  });

  it('refuses a file sealed with another key, and leaves it as it is', () => {
    new AccountKeysFile(profile, key(7), random, signal).write(newAccountKeys(signal, 'alice-id', verifier, 1));
    const other = new AccountKeysFile(profile, key(8), random, signal);
    const before = readFileSync(other.pathFor('alice-id'));
    expect(() => other.read('alice-id')).toThrow(AccountKeysFileError);
    expect(readFileSync(other.pathFor('alice-id'))).toEqual(before);
  });

  it("refuses one account's file put in the place of another's", () => {
    const file = new AccountKeysFile(profile, key(7), random, signal);
    file.write(newAccountKeys(signal, 'mallory-id', verifier, 1));
    file.write(newAccountKeys(signal, 'alice-id', verifier, 1));
    copyFileSync(file.pathFor('mallory-id'), file.pathFor('alice-id'));
    expect(() => file.read('alice-id')).toThrow(/cannot be opened/);
  });

  it('refuses a damaged or foreign file instead of making a new identity', () => {
    const file = new AccountKeysFile(profile, key(7), random, signal);
    file.write(newAccountKeys(signal, 'alice-id', verifier, 1));
    const path = file.pathFor('alice-id');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(path, bytes);
    expect(() => file.read('alice-id')).toThrow(AccountKeysFileError);
    writeFileSync(path, 'hello');
    expect(() => file.read('alice-id')).toThrow(/not an account keys file/);
  });

  it('keeps them plain without a key (as the mirror), and seals them on the first keyed read', () => {
    const keys = newAccountKeys(signal, 'alice-id', verifier, 1);
    const plain = new AccountKeysFile(profile, null, random, signal);
    plain.write(keys);
    expect(readFileSync(plain.pathFor('alice-id')).includes(Buffer.from(keys.recoveryKey))).toBe(true);

    const keyed = new AccountKeysFile(profile, key(3), random, signal);
    expect(keyed.read('alice-id')).toEqual(keys);
    expect(readFileSync(keyed.pathFor('alice-id')).includes(Buffer.from(keys.recoveryKey))).toBe(false);
    expect(() => plain.read('alice-id')).toThrow(/no key was given/);
    expect(keyed.read('alice-id')).toEqual(keys);
  });

  it('refuses to write keys that are not well formed', () => {
    const file = new AccountKeysFile(profile, key(7), random, signal);
    const keys = newAccountKeys(signal, 'alice-id', verifier, 1);
    expect(() => file.write({ ...keys, recoveryKey: 'not-a-recovery-key' })).toThrow();
    expect(file.read('alice-id')).toBeNull();
  });

  it('makes a different identity and recovery key each time', () => {
    const [a, b] = [newAccountKeys(signal, 'a', verifier, 1), newAccountKeys(signal, 'a', verifier, 1)];
    expect(a.recoveryKey).not.toBe(b.recoveryKey);
    expect(identityKeyPairOf(signal, a).publicKey.equals(identityKeyPairOf(signal, b).publicKey)).toBe(false);
    expect(signal.AccountEntropyPool.isValid(a.recoveryKey)).toBe(true);
  });
});
