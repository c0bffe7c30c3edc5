/**
 * Work offline on virtual time, with a transport that only records: whatever the connection was
 * doing (open, or waiting to reconnect after a drop), switching it on closes the socket and leaves
 * nothing scheduled that could open another, however long it stays on; switching it off opens one
 * at once. The real-server version is test/integration/client/work-offline.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { MIRROR_FILE, openClientCore } from '../../../sync/client/client-core.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { SocketHandlers, SyncSocket, SyncTransport } from '../../../sync/client/transport.js';
import { SeededRandom } from '../../sim/random.js';
import { Scheduler } from '../../sim/scheduler.js';

const HOUR_MS = 60 * 60 * 1000;
const dirs: string[] = [];
const cores: ClientCore[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((core) => core.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface RecordedSocket {
  handlers: SocketHandlers;
  closed: boolean;
}

/** Opens nothing real: each socket stays "connecting" until the test opens or drops it. */
class RecordingTransport implements SyncTransport {
  readonly sockets: RecordedSocket[] = [];
  open(_url: string, _token: string, handlers: SocketHandlers): SyncSocket {
    const socket: RecordedSocket = { handlers, closed: false };
    this.sockets.push(socket);
    return { send: () => undefined, close: () => void (socket.closed = true) };
  }
}

/** A signed-in profile (its session already in the mirror), opened on virtual time. */
async function signedIn(workOffline = false) {
  const profileDir = mkdtempSync(join(tmpdir(), 'work-offline-'));
  dirs.push(profileDir);
  const mirror = Mirror.open(join(profileDir, MIRROR_FILE));
  mirror.saveSession({ serverUrl: 'ws://127.0.0.1:7999', token: 't', user: { id: 'me', username: 'me', displayName: 'Me' } });
  mirror.close();
  const scheduler = new Scheduler();
  const runtime = scheduler.runtimeFor({ name: 'core', alive: true }, new SeededRandom(1));
  const transport = new RecordingTransport();
  const refusedFetch = () => Promise.reject(new TypeError('no network in this test'));
  const core = await openClientCore(
    { profileDir, defaultServerUrl: 'ws://127.0.0.1:7999', runtime, workOffline },
    { transport, fetch: refusedFetch },
  );
  cores.push(core);
  return { core, scheduler, transport };
}

describe('Work offline (virtual time)', () => {
  it('closes a connecting socket and opens none while on, however long; switched off, opens one at once', async () => {
    const { core, scheduler, transport } = await signedIn();
    expect(transport.sockets).toHaveLength(1);
    expect(await core.getConnectionState()).toBe('connecting');

    await core.setPreferences({ workOffline: true });
    expect(transport.sockets[0]!.closed).toBe(true);
    expect(await core.getConnectionState()).toBe('offline');
    await scheduler.advance(HOUR_MS);
    expect(transport.sockets).toHaveLength(1);

    await core.setPreferences({ workOffline: false });
    expect(transport.sockets).toHaveLength(2);
    expect(await core.getConnectionState()).toBe('connecting');
  });

  it('cancels the reconnect a dropped connection was waiting for', async () => {
    const { core, scheduler, transport } = await signedIn();
    transport.sockets[0]!.handlers.onClose({ code: 1006, reason: 'network gone', unauthorized: false });
    expect(await core.getConnectionState()).toBe('offline');
    await core.setPreferences({ workOffline: true });
    await scheduler.advance(HOUR_MS);
    expect(transport.sockets).toHaveLength(1);
    // Without it, the wait ends in a new socket.
    await core.setPreferences({ workOffline: false });
    transport.sockets[1]!.handlers.onClose({ code: 1006, reason: 'network gone', unauthorized: false });
    await scheduler.advance(HOUR_MS);
    expect(transport.sockets.length).toBeGreaterThan(2);
  });

  it('started with workOffline opens no socket at all until switched off', async () => {
    const { core, scheduler, transport } = await signedIn(true);
    expect(await core.getConnectionState()).toBe('offline');
    await scheduler.advance(HOUR_MS);
    expect(transport.sockets).toHaveLength(0);
    await core.setPreferences({ workOffline: false });
    expect(transport.sockets).toHaveLength(1);
  });
});
