/**
 * The key backup end to end (crypto/key-backup.ts, key-backup-sync.ts): after sign-up the device
 * backs up the account's identity, sealed so only the recovery key opens it; a second device signed
 * in with the password alone restores it with the recovery key, takes up the same identity and
 * publishes its keys with it. A wrong recovery key restores nothing, and nothing the server keeps
 * holds the identity's private key.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { formatRecoveryKey } from '../../../sync/app-api/account-keys-api.js';
import { identityKeyPairOf, type AccountKeys } from '../../../sync/client/crypto/account-keys.js';
import { AccountKeysFile } from '../../../sync/client/crypto/account-keys-file.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { ecKey, firstPublish } from '../../support/key-material.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServer } from '../../support/server-harness.js';

const signal = await loadSignal();
const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function online(core: TestCore) {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === 'online',
    'online',
  );
}

function keysOf(profileDir: string, userId: string): AccountKeys | null {
  return new AccountKeysFile(profileDir, null, realRuntime().random, signal).read(userId);
}

/** The backup as the server's database keeps it (read beside the running server), or null. */
function storedBackup(server: TestServer, userId: string): { version: number; ciphertext: string } | null {
  const db = new Database(join(server.dataDir, SERVER_DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT version, ciphertext FROM key_backups WHERE user_id = ?').get(userId) as never) ?? null;
  } finally {
    db.close();
  }
}

/** Every byte of every file the server keeps. */
function serverBytes(server: TestServer): Buffer {
  const files = readdirSync(server.dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return Buffer.concat(files.map((entry) => readFileSync(join(entry.parentPath, entry.name))));
}

/** Alice signs up on her first device, which backs up her identity; a second device signs in with the password alone. */
async function aliceWithASecondDevice() {
  const server = await servers.startServer();
  const first = await clients.open(await clients.profileDir(), server.url);
  const { user } = await first.createAccount({
    serverUrl: server.url,
    username: 'alice',
    displayName: 'Alice',
    password: DEFAULT_TEST_PASSWORD,
  });
  await online(first);
  const backup = await eventually(
    () => storedBackup(server, user.id),
    (stored) => stored !== null,
    'the key backup stored',
  );
  const keys = keysOf(first.profileDir, user.id)!;
  const second = await clients.open(await clients.profileDir(), server.url);
  await second.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
  await online(second);
  return { server, first, second, user, keys, backup: backup! };
}

describe('the key backup', () => {
  it('brings the identity to a device signed in with the password, given the recovery key; it publishes with it', async () => {
    const { server, second, user, keys, backup } = await aliceWithASecondDevice();
    expect(backup.version).toBe(1);
    expect(keysOf(second.profileDir, user.id)).toBeNull();

    // As the person writes it down: groups of four, and capitals are forgiven.
    expect(await second.restoreFromRecoveryKey({ recoveryKey: formatRecoveryKey(keys.recoveryKey).toUpperCase() })).toBe(
      'restored',
    );
    const restored = keysOf(second.profileDir, user.id)!;
    expect(restored).toMatchObject({ userId: user.id, identityKeyPair: keys.identityKeyPair, recoveryKey: keys.recoveryKey });
    // The password this device signed in with still shows the recovery key here.
    expect(await second.revealRecoveryKey({ password: DEFAULT_TEST_PASSWORD })).toEqual({
      kind: 'key',
      recoveryKey: keys.recoveryKey,
    });

    // Both devices publish keys under the one identity key.
    const bob = await servers.createAccount(server, { username: 'bob' });
    const bobSocket = await servers.connect(server, bob.token);
    const identityKey = Buffer.from(identityKeyPairOf(signal, keys).publicKey.serialize()).toString('base64');
    const published = await eventually(
      () => bobSocket.call({ type: 'fetch_key_bundles', userId: user.id }, 'key_bundles'),
      (reply) => reply.bundles.length === 2,
      'both devices’ bundles',
    );
    expect(published.identityKey).toBe(identityKey);
    // The restored device found the backup as its own: nothing was written again.
    await online(second);
    expect(storedBackup(server, user.id)).toEqual(backup);
  });

  it('refuses a wrong recovery key and writes nothing', async () => {
    const { second, user } = await aliceWithASecondDevice();
    const another = signal.AccountEntropyPool.generate();
    expect(await second.restoreFromRecoveryKey({ recoveryKey: another })).toBe('wrong_recovery_key');
    expect(await second.restoreFromRecoveryKey({ recoveryKey: 'not a recovery key' })).toBe('wrong_recovery_key');
    expect(keysOf(second.profileDir, user.id)).toBeNull();
  });

  it('says so when the account has no backup yet', async () => {
    const server = await servers.startServer();
    const account = await servers.createAccount(server, { username: 'carol' });
    // Her identity is on a device that never wrote a backup (else the device below would make one).
    const elsewhere = await servers.connect(server, account.token);
    await elsewhere.call(firstPublish(ecKey()), 'key_counts');
    const device = await clients.open(await clients.profileDir(), server.url);
    await device.logIn({ serverUrl: server.url, username: 'carol', password: account.password });
    await online(device);
    expect(await device.restoreFromRecoveryKey({ recoveryKey: signal.AccountEntropyPool.generate() })).toBe('no_key_backup');
    expect(keysOf(device.profileDir, account.user.id)).toBeNull();
  });

  it('leaves nothing on the server that holds the identity’s private key', async () => {
    const { server, first, keys, backup } = await aliceWithASecondDevice();
    await first.close();
    const privateKey = Buffer.from(identityKeyPairOf(signal, keys).privateKey.serialize());
    const pair = Buffer.from(keys.identityKeyPair, 'base64');
    const stored = serverBytes(server);
    // The scan sees what the server keeps: the sealed backup is there.
    expect(stored.includes(Buffer.from(backup.ciphertext))).toBe(true);
    for (const secret of [privateKey, pair, Buffer.from(privateKey.toString('base64')), Buffer.from(keys.identityKeyPair)]) {
      expect(stored.includes(secret)).toBe(false);
    }
    expect(stored.includes(Buffer.from(keys.recoveryKey))).toBe(false);
  });
});
