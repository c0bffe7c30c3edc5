import { afterEach, describe, expect, it } from 'vitest';
import { SESSIONS_PATH, sessionListResponse } from '../../../sync/protocol/frames.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, logIn } from '../../support/server-harness.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

const servers = createServerHarness();
const clients = createClientHarness();
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await clients.cleanup();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await servers.cleanup();
});

async function sessionsSeenBy(httpUrl: string, token: string) {
  const response = await fetch(httpUrl + SESSIONS_PATH, { headers: { authorization: `Bearer ${token}` } });
  return sessionListResponse.parse(await response.json()).sessions;
}

async function online(core: TestCore) {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === 'online',
    'online',
  );
}

describe('signing out from the app', () => {
  it('names the device at sign-in, and revokes the token on the server when it signs out', async () => {
    const server = await servers.startServer();
    const account = await servers.createAccount(server, { username: 'alice', password: DEFAULT_TEST_PASSWORD });
    const core = await clients.open(await clients.profileDir(), server.url);
    await core.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
    await online(core);
    const names = (await sessionsSeenBy(server.httpUrl, account.token)).map((s) => s.deviceName);
    expect(names).toHaveLength(2);
    expect(names).toEqual(expect.arrayContaining([null, expect.stringMatching(/^Messenger on /)]));

    await core.logOut();
    expect(await core.getSession()).toBeNull();
    await eventually(
      () => sessionsSeenBy(server.httpUrl, account.token),
      (sessions) => sessions.length === 1,
      'the app’s session is revoked',
    );
  });

  it('signs out at once while offline, and revokes the token once the server can be reached again', async () => {
    const server = await servers.startServer();
    const account = await servers.createAccount(server, { username: 'bob', password: DEFAULT_TEST_PASSWORD });
    const proxy = await startTcpProxy(server.port);
    proxies.push(proxy);
    const profile = await clients.profileDir();
    let core = await clients.open(profile, proxy.url);
    await core.logIn({ serverUrl: proxy.url, username: 'bob', password: DEFAULT_TEST_PASSWORD });
    await online(core);

    proxy.cut();
    await core.logOut();
    expect(await core.getSession()).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await sessionsSeenBy(server.httpUrl, account.token)).toHaveLength(2);

    // The app restarts with the network back: the token it signed out of is revoked then.
    await core.close();
    proxy.restore();
    core = await clients.open(profile, proxy.url);
    await eventually(
      () => sessionsSeenBy(server.httpUrl, account.token),
      (sessions) => sessions.length === 1,
      'the token signed out of offline is revoked',
    );
    expect(await core.getSession()).toBeNull();
  });

  it('a session ended from another device signs the app out', async () => {
    const server = await servers.startServer();
    await servers.createAccount(server, { username: 'carol', password: DEFAULT_TEST_PASSWORD });
    const core = await clients.open(await clients.profileDir(), server.url);
    await core.logIn({ serverUrl: server.url, username: 'carol', password: DEFAULT_TEST_PASSWORD });
    await online(core);
    const other = await logIn(server.httpUrl, 'carol', DEFAULT_TEST_PASSWORD);
    const { token } = other.body as { token: string };
    const ended = await fetch(`${server.httpUrl}/v1/sessions/others`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ended.status).toBe(200);
    await eventually(
      () => core.getSession(),
      (session) => session === null,
      'the app is signed out',
    );
  });
});
