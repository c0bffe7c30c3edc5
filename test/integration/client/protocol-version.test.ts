/**
 * An app and a server of different protocol versions (protocol/version.ts), as the app sees it: a
 * server from before this version (it names none) leaves the app offline saying the
 * server is older; one that says the app is too old (426) leaves it offline saying to update the
 * app. Neither is retried into anything else, and once the server at that address speaks this
 * version the app comes online by itself.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { UPGRADE_REQUIRED_STATUS } from '../../../sync/protocol/version.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
const others: Server[] = [];
afterEach(async () => {
  await clients.cleanup();
  await Promise.all(others.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await servers.cleanup();
});

/**
 * A server at `port` that upgrades every socket the way a server from before this version did: a
 * `ws` server that chooses whatever subprotocol is offered and names no version.
 */
async function serverFromBefore(port: number): Promise<Server> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket) => socket.send(JSON.stringify({ type: 'welcome' })));
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  others.push(http);
  http.on('close', () => wss.close());
  return http;
}

/** A server at `port` newer than this app: it refuses this version's upgrade as it refuses older ones. */
async function serverPastThisApp(port: number): Promise<Server> {
  const http = createServer();
  http.on('upgrade', (_request, socket) => {
    socket.end(`HTTP/1.1 ${UPGRADE_REQUIRED_STATUS} Upgrade Required\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  others.push(http);
  return http;
}

async function stateOf(core: TestCore, expected: string) {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === expected,
    `connection state ${expected}`,
    20_000,
  );
}

async function signedUpThenServerGone() {
  const server = await servers.startServer();
  const port = server.port;
  const profile = await clients.profileDir();
  const core = await clients.open(profile, server.url);
  await core.createAccount({ serverUrl: server.url, username: 'alice', displayName: 'Alice', password: DEFAULT_TEST_PASSWORD });
  await stateOf(core, 'online');
  await core.close();
  await server.close();
  return { server, port, profile };
}

describe('an app and a server of different versions', () => {
  it('a server from before this version leaves the app offline, saying so, until the server is updated', async () => {
    const { server, port, profile } = await signedUpThenServerGone();
    const old = await serverFromBefore(port);
    const core = await clients.open(profile, server.url);
    await stateOf(core, 'server_outdated');
    await new Promise((resolve) => old.close(resolve));
    await servers.startServer({ dataDir: server.dataDir, port });
    await stateOf(core, 'online');
  }, 60_000);

  it('a server past this app refuses it, and the app says to update it', async () => {
    const { server, port, profile } = await signedUpThenServerGone();
    await serverPastThisApp(port);
    const core = await clients.open(profile, server.url);
    await stateOf(core, 'app_outdated');
  }, 60_000);
});
