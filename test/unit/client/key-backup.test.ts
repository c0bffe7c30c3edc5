/**
 * The key backup's seal (crypto/key-backup.ts) and its upkeep (crypto/key-backup-sync.ts): only
 * the account's recovery key opens it, bound to the account; content of a version this one does
 * not know is told apart from a wrong key; a device writes in place of the version it fetched,
 * fetches again when another device wrote first, and leaves alone what it already holds or what a
 * newer version wrote.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newAccountKeys, type AccountKeys } from '../../../sync/client/crypto/account-keys.js';
import { RequestError, type Request, type SyncConnection } from '../../../sync/client/connection.js';
import {
  backupContentOf,
  normaliseRecoveryKey,
  openKeyBackup,
  sealKeyBackup,
  type KeyBackupContent,
} from '../../../sync/client/crypto/key-backup.js';
import { KeyBackupSync } from '../../../sync/client/crypto/key-backup-sync.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { SILENT_LOGGER } from '../../../sync/common/logger.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import type { StoredKeyBackup } from '../../../sync/protocol/backup-frames.js';
import type { ServerFrame } from '../../../sync/protocol/frames.js';

const signal = await loadSignal();
const VERIFIER = { N: 2, r: 1, p: 1, salt: '0'.repeat(32), hash: '0'.repeat(64) };

function keysFor(userId: string = randomUUID()): AccountKeys {
  return newAccountKeys(signal, userId, VERIFIER, 1);
}

describe('the key backup seal', () => {
  it('opens with the recovery key, as typed too, and with nothing else', () => {
    const keys = keysFor();
    const sealed = sealKeyBackup(signal, keys, backupContentOf(keys));
    expect(openKeyBackup(signal, keys.userId, keys.recoveryKey, sealed)).toEqual({
      version: 1,
      identityKeyPair: keys.identityKeyPair,
    });
    const typed = ` ${keys.recoveryKey.toUpperCase().replace(/(.{4})/g, '$1 ')}\n`;
    expect(openKeyBackup(signal, keys.userId, normaliseRecoveryKey(typed), sealed)).toMatchObject({ version: 1 });
    expect(openKeyBackup(signal, keys.userId, signal.AccountEntropyPool.generate(), sealed)).toBe('wrong_recovery_key');
    expect(openKeyBackup(signal, keys.userId, 'not a recovery key', sealed)).toBe('wrong_recovery_key');
    // Bound to the account: the same key does not open it as another account's.
    expect(openKeyBackup(signal, randomUUID(), keys.recoveryKey, sealed)).toBe('wrong_recovery_key');
    // The ciphertext does not carry the identity in the clear.
    const bytes = Buffer.from(sealed, 'base64');
    expect(bytes.includes(Buffer.from(keys.identityKeyPair, 'base64'))).toBe(false);
    expect(bytes.includes(Buffer.from(keys.identityKeyPair))).toBe(false);
  });

  it('tells content of a version it does not know from a wrong key', () => {
    const keys = keysFor();
    const newer = { version: 2, identityKeyPair: keys.identityKeyPair, senderKeys: [] } as unknown as KeyBackupContent;
    expect(() => sealKeyBackup(signal, keys, newer)).toThrow();
    const sealedByNewer = signal.AccountEntropyPool.deriveBackupKey(keys.recoveryKey)
      .deriveEcKey(signal.Aci.fromUuid(keys.userId))
      .getPublicKey()
      .seal(
        new Uint8Array(Buffer.from(JSON.stringify(newer))),
        'messenger key backup',
        new Uint8Array(Buffer.from(`messenger key backup\0${keys.userId}`)),
      );
    expect(openKeyBackup(signal, keys.userId, keys.recoveryKey, Buffer.from(sealedByNewer).toString('base64'))).toBe(
      'unreadable_backup',
    );
  });
});

/** A server's backup for one account, answering the sync's requests; `before` runs ahead of each put (another device's write). */
function fakeServer(start: StoredKeyBackup | null) {
  let stored = start;
  const requests: Request[] = [];
  let before: (() => void) | null = null;
  const connection = {
    async request(request: Request): Promise<ServerFrame> {
      requests.push(request);
      if (request.type === 'fetch_key_backup') return { type: 'key_backup', rid: 'r', backup: stored };
      if (request.type !== 'put_key_backup') throw new Error(`unexpected ${request.type}`);
      before?.();
      before = null;
      if (request.replaces !== (stored?.version ?? null)) {
        throw new RequestError('conflict', 'mismatch', 'backup_version_mismatch');
      }
      stored = { version: (stored?.version ?? 0) + 1, ciphertext: request.ciphertext };
      return { type: 'key_backup_stored', rid: 'r', version: stored.version };
    },
  };
  return {
    connection: connection as unknown as SyncConnection,
    requests,
    stored: () => stored,
    set: (backup: StoredKeyBackup) => void (stored = backup),
    beforeNextPut: (write: () => void) => void (before = write),
  };
}

async function runOnce(server: ReturnType<typeof fakeServer>, keys: AccountKeys) {
  const sync = new KeyBackupSync(server.connection, realRuntime(), async () => ({ signal, keys }), SILENT_LOGGER);
  sync.connected();
  await new Promise((resolve) => setTimeout(resolve, 50));
  sync.stop();
}

const opened = (keys: AccountKeys, backup: StoredKeyBackup | null) =>
  backup && openKeyBackup(signal, keys.userId, keys.recoveryKey, backup.ciphertext);

describe('keeping the key backup', () => {
  it('writes the first backup, and writes nothing when the one stored holds the same', async () => {
    const keys = keysFor();
    const server = fakeServer(null);
    await runOnce(server, keys);
    expect(server.stored()?.version).toBe(1);
    expect(opened(keys, server.stored())).toEqual(backupContentOf(keys));
    server.requests.length = 0;
    await runOnce(server, keys);
    expect(server.requests.map((request) => request.type)).toEqual(['fetch_key_backup']);
  });

  it('fetches again and writes in place of the version another device wrote first', async () => {
    const keys = keysFor();
    const server = fakeServer(null);
    const elsewhere = keysFor(keys.userId);
    server.beforeNextPut(() =>
      server.set({ version: 1, ciphertext: sealKeyBackup(signal, elsewhere, backupContentOf(elsewhere)) }),
    );
    await runOnce(server, keys);
    expect(server.requests.map((request) => [request.type, 'replaces' in request ? request.replaces : undefined])).toEqual([
      ['fetch_key_backup', undefined],
      ['put_key_backup', null],
      ['fetch_key_backup', undefined],
      ['put_key_backup', 1],
    ]);
    expect(server.stored()?.version).toBe(2);
    expect(opened(keys, server.stored())).toEqual(backupContentOf(keys));
  });

  it('leaves a backup a newer version wrote as it is', async () => {
    const keys = keysFor();
    const server = fakeServer(null);
    await runOnce(server, keys);
    const newer = signal.AccountEntropyPool.deriveBackupKey(keys.recoveryKey)
      .deriveEcKey(signal.Aci.fromUuid(keys.userId))
      .getPublicKey()
      .seal(
        new Uint8Array(Buffer.from(JSON.stringify({ version: 2 }))),
        'messenger key backup',
        new Uint8Array(Buffer.from(`messenger key backup\0${keys.userId}`)),
      );
    const fromNewer = { version: 7, ciphertext: Buffer.from(newer).toString('base64') };
    server.set(fromNewer);
    await runOnce(server, keys);
    expect(server.stored()).toEqual(fromNewer);
  });
});
