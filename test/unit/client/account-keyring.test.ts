import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SILENT_LOGGER } from '../../../sync/common/logger.js';
import { AccountKeyring } from '../../../sync/client/crypto/account-keyring.js';
import { AccountKeysFile } from '../../../sync/client/crypto/account-keys-file.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';

const runtime = realRuntime();
const signal = await loadSignal();
const mirrorKey = new Uint8Array(32).fill(3);

let profile: string;
let loads: number;
beforeEach(() => {
  profile = mkdtempSync(join(tmpdir(), 'account-keyring-'));
  loads = 0;
});
afterEach(() => rmSync(profile, { recursive: true, force: true }));

/** A keyring that counts how often it asks for libsignal. */
function keyring(): AccountKeyring {
  return new AccountKeyring(profile, mirrorKey, runtime, SILENT_LOGGER, () => {
    loads += 1;
    return Promise.resolve(signal);
  });
}

describe('account keyring', () => {
  it('keeps libsignal unloaded at a start with no recovery key to show', async () => {
    const made = keyring();
    await made.createForNewAccount('alice-id', 'password one');
    await made.confirmSaved('alice-id');

    const atStart = keyring();
    expect(await atStart.unsavedRecoveryKey('alice-id')).toBeNull();
    expect(await atStart.unsavedRecoveryKey('somebody-else')).toBeNull();
    expect(loads).toBe(1);
  });

  it('never replaces an identity already on this device', async () => {
    const ring = keyring();
    await ring.createForNewAccount('alice-id', 'password one');
    const file = new AccountKeysFile(profile, mirrorKey, runtime.random, signal);
    const first = file.read('alice-id');
    await ring.createForNewAccount('alice-id', 'password two');
    expect(file.read('alice-id')).toEqual(first);
  });

  it('forgets a marker left without a keys file (a crash between the two writes)', async () => {
    const ring = keyring();
    await ring.createForNewAccount('alice-id', 'password one');
    const path = new AccountKeysFile(profile, mirrorKey, runtime.random, signal).pathFor('alice-id');
    rmSync(path);
    expect(await ring.unsavedRecoveryKey('alice-id')).toBeNull();
    writeFileSync(path, 'not a keys file');
    // The marker is gone, so a damaged file is not even opened at start.
    expect(await keyring().unsavedRecoveryKey('alice-id')).toBeNull();
  });

  it('checks the password it was last given here', async () => {
    const ring = keyring();
    await ring.createForNewAccount('alice-id', 'password one');
    await ring.rememberPassword('alice-id', 'password two');
    await expect(ring.reveal('alice-id', 'password one')).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await ring.reveal('alice-id', 'password two')).toMatchObject({ kind: 'key' });
    // A device without keys keeps none: signing in does not make them.
    await ring.rememberPassword('bob-id', 'password one');
    expect(await ring.reveal('bob-id', 'password one')).toEqual({ kind: 'none' });
  });
});
