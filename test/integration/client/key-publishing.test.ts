/**
 * The app publishes this device's keys (crypto/key-publisher.ts) once it is online: someone who
 * fetches the person's bundle from the server starts a session this device can read, its private
 * halves being in its own mirror. A device without the account's identity publishes nothing.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityKeyPairOf } from '../../../sync/client/crypto/account-keys.js';
import { AccountKeysFile } from '../../../sync/client/crypto/account-keys-file.js';
import { PREKEY_TARGET } from '../../../sync/client/crypto/key-publisher.js';
import { toPreKeyBundle } from '../../../sync/client/crypto/prekeys.js';
import { RatchetState } from '../../../sync/client/crypto/ratchet-state.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { MIRROR_FILE } from '../../../sync/client/client-core.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestClient } from '../../support/server-harness.js';

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

/** How many one-time EC prekeys the profile's mirror keeps (read beside the running core). */
function storedPrekeys(profileDir: string): number {
  const db = new Database(join(profileDir, MIRROR_FILE), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM signal_prekeys').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Fetches sparingly: fetches of one person are rate-limited per asker. */
async function bundlesOf(socket: TestClient, userId: string): Promise<Extract<ServerFrame, { type: 'key_bundles' }>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await socket.call({ type: 'fetch_key_bundles', userId }, 'key_bundles');
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

describe("publishing this device's keys", () => {
  it('publishes after sign-up: a bundle fetched from the server starts a session only this device can read', async () => {
    const server = await servers.startServer();
    const core = await clients.open(await clients.profileDir(), server.url);
    const { user } = await core.createAccount({
      serverUrl: server.url,
      username: 'alice',
      displayName: 'Alice',
      password: DEFAULT_TEST_PASSWORD,
    });
    await online(core);
    await eventually(
      () => storedPrekeys(core.profileDir),
      (count) => count === PREKEY_TARGET.ec,
      'the prekeys made',
    );

    const bob = await servers.createAccount(server, { username: 'bob' });
    const bobSocket = await servers.connect(server, bob.token);
    const published = await bundlesOf(bobSocket, user.id);
    const keys = new AccountKeysFile(core.profileDir, null, realRuntime().random, signal).read(user.id)!;
    const identity = identityKeyPairOf(signal, keys);
    expect(published.identityKey).toBe(Buffer.from(identity.publicKey.serialize()).toString('base64'));
    expect(published.bundles).toHaveLength(1);
    const [bundle] = published.bundles;
    expect(bundle).toMatchObject({ deviceNumber: 1, kyberPrekey: { lastResort: false } });
    expect(bundle?.ecPrekey).toBeDefined();

    // Bob starts a session from it (libsignal checks the signatures against Alice's identity) and writes.
    const bobMirror = Mirror.open(join(await clients.profileDir(), MIRROR_FILE));
    const aliceMirror = Mirror.open(join(core.profileDir, MIRROR_FILE));
    try {
      const bobIdentity = signal.IdentityKeyPair.generate();
      const bobState = new RatchetState(signal, bobMirror.signal, { identity: bobIdentity, registrationId: 77 }, Date.now);
      const [aliceAddress, bobAddress] = [signal.ProtocolAddress.new(user.id, 1), signal.ProtocolAddress.new(bob.user.id, 1)];
      await signal.processPreKeyBundle(
        toPreKeyBundle(signal, published.identityKey, bundle!),
        aliceAddress,
        bobAddress,
        bobState,
        bobState,
      );
      const sealed = await signal.signalEncrypt(
        new Uint8Array(Buffer.from('hi alice')),
        aliceAddress,
        bobAddress,
        bobState,
        bobState,
      );

      // Alice's device reads it with the private halves its mirror kept.
      const registrationId = aliceMirror.signal.registrationId()!;
      expect(registrationId).toBe(bundle!.registrationId);
      const aliceState = new RatchetState(signal, aliceMirror.signal, { identity, registrationId }, Date.now);
      const plain = await signal.signalDecryptPreKey(
        signal.PreKeySignalMessage.deserialize(sealed.serialize()),
        bobAddress,
        aliceAddress,
        aliceState,
        aliceState,
        aliceState,
        aliceState,
        aliceState,
      );
      expect(Buffer.from(plain).toString()).toBe('hi alice');
    } finally {
      bobMirror.close();
      aliceMirror.close();
    }

    // A second device of Alice's, signed in with the password alone, has no identity: it publishes nothing.
    const laptop = await clients.open(await clients.profileDir(), server.url);
    await laptop.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
    await online(laptop);
    expect(storedPrekeys(laptop.profileDir)).toBe(0);
    expect((await bundlesOf(bobSocket, user.id)).bundles.map((each) => each.deviceNumber)).toEqual([1]);
  });
});
