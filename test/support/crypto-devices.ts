/**
 * Devices with real keys for end-to-end encryption tests: each a real SyncEngine with its own
 * mirror and a libsignal identity (shared by one person's devices), connected to a real server,
 * its prekeys published before it is handed over. Warnings the engine logs are kept, so a test
 * can say that nothing went unread.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import { PREKEY_TARGET } from '../../sync/client/crypto/key-publisher.js';
import { RatchetState } from '../../sync/client/crypto/ratchet-state.js';
import type { SignalLibrary } from '../../sync/client/crypto/signal-library.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { parseServerAddress } from '../../sync/client/server-address.js';
import { SyncEngine } from '../../sync/client/sync-engine.js';
import type { SyncTransport } from '../../sync/client/transport.js';
import { wsTransport } from '../../sync/client/ws-transport.js';
import type { LogFields } from '../../sync/common/logger.js';
import { realRuntime } from '../../sync/node/real-runtime.js';
import { eventually } from './client-harness.js';
import { logIn, type ServerHarness, type TestAccount, type TestServer } from './server-harness.js';

export interface CryptoDevice {
  userId: string;
  deviceNumber: number;
  mirror: Mirror;
  engine: SyncEngine;
  identity: IdentityKeyPair;
  warnings: Array<{ message: string; fields?: LogFields }>;
}

export function createCryptoDevices(signal: SignalLibrary, servers: ServerHarness) {
  const cleanups: Array<() => Promise<void>> = [];

  /** A device of `userId`'s signed in with `token`, online, its keys published. */
  async function device(
    server: TestServer,
    userId: string,
    token: string,
    identity: IdentityKeyPair,
    transport: SyncTransport = wsTransport,
  ): Promise<CryptoDevice> {
    const dir = await mkdtemp(join(tmpdir(), 'crypto-device-'));
    const mirror = Mirror.open(join(dir, 'mirror.db'));
    const warnings: CryptoDevice['warnings'] = [];
    const engine = new SyncEngine({
      mirror,
      transport,
      runtime: realRuntime(),
      syncUrl: parseServerAddress(server.url).syncUrl,
      token,
      selfId: userId,
      emit: () => undefined,
      onUnauthorized: () => undefined,
      localIdentity: async () => ({ signal, identity }),
      log: {
        error: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
        warn: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
        info: () => undefined,
        debug: () => undefined,
      },
    });
    engine.start();
    cleanups.push(async () => {
      engine.stop();
      mirror.close();
      await rm(dir, { recursive: true, force: true });
    });
    // Published: others can start sessions with it.
    await eventually(
      () => mirror.signal.oneTimeCounts().prekeys,
      (count) => count === PREKEY_TARGET.ec,
      'its prekeys made',
    );
    await eventually(
      () => engine.connectionState,
      (state) => state === 'online',
      'online',
    );
    return { userId, deviceNumber: await numberOf(server, token), mirror, engine, identity, warnings };
  }

  /** The device number the server gave a session: a fresh socket of the same session hears it in the welcome. */
  async function numberOf(server: TestServer, token: string): Promise<number> {
    const socket = await servers.connect(server, token);
    const welcome = socket.pushes.find((push) => push.type === 'welcome');
    if (welcome?.type !== 'welcome') throw new Error('No welcome');
    return welcome.deviceNumber;
  }

  /** Another session of the account's: the token of a new device. */
  async function signIn(server: TestServer, account: TestAccount): Promise<string> {
    const login = await logIn(server.httpUrl, account.user.username, account.password);
    return (login.body as { token: string }).token;
  }

  /** A fresh unit of ratchet work over a device's mirror, as its engine makes them. */
  function ratchetOf(owner: CryptoDevice): RatchetState {
    return new RatchetState(
      signal,
      owner.mirror.signal,
      { identity: owner.identity, registrationId: owner.mirror.signal.registrationId()! },
      Date.now,
    );
  }

  /** Whether `reader` holds the sender key `distributionId` of `sender`'s device. */
  const hasSenderKey = (reader: CryptoDevice, sender: CryptoDevice, distributionId: string) =>
    reader.mirror.signal.senderKey(`${sender.userId}.${sender.deviceNumber}`, distributionId) !== null;

  async function cleanup(): Promise<void> {
    for (const each of cleanups.splice(0).reverse()) await each();
  }

  return { device, signIn, ratchetOf, hasSenderKey, cleanup };
}
