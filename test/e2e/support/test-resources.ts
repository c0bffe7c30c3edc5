/**
 * What every end-to-end spec starts and must stop: processes, proxies and temporary folders,
 * collected while a test runs and cleaned up after each one; and the people a spec starts with,
 * each in their own app (started by `launchApp` from ./app.ts, in whichever target runs).
 */
import { expect, test, type Browser, type BrowserContext } from '@playwright/test';
import { WebSocket } from 'ws';
import { SYNC_PATH, type Conversation, type ServerFrame } from '../../../sync/protocol/frames.js';
import { engineDevices, signal, type ConversationMember } from '../../support/crypto-devices.js';
import { logIn, type ServerHarness, type TestAccount } from '../../support/server-harness.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { MessengerPage } from './messenger-page.js';
import { hostArgs, startServer, tempDir, type BrowserHostOptions, type RunningProcess } from './processes.js';
import type { LaunchApp, RunningApp } from './running-app.js';
import { SYNC_PROTOCOL } from '../../../sync/protocol/version.js';

export interface TestResources {
  running: RunningProcess[];
  proxies: TcpProxy[];
  dirs: { remove(): void }[];
  /** Devices the spec runs in its own process (test/support/crypto-devices.ts), stopped first. */
  devices: { cleanup(): Promise<void> }[];
}

/**
 * Every person's browser context opened by this test. The browser lives as long as the worker, so
 * a context left open would keep its app running (and reconnecting) through every later test.
 */
const openContexts = new Set<BrowserContext>();

/** Registers the clean-up in the calling spec; push what a test starts onto the lists. */
export function cleanedUpAfterEach(): TestResources {
  const resources: TestResources = { running: [], proxies: [], dirs: [], devices: [] };
  test.afterEach(async () => {
    const contexts = [...openContexts];
    openContexts.clear();
    await Promise.all(contexts.map((context) => context.close()));
    for (const devices of resources.devices.splice(0)) await devices.cleanup();
    await Promise.all(resources.running.splice(0).map((process) => process.stop()));
    await Promise.all(resources.proxies.splice(0).map((proxy) => proxy.close()));
    resources.dirs.splice(0).forEach((dir) => dir.remove());
  });
  return resources;
}

/**
 * The app at `url` in a browser context of its own (one person, one profile). The browser host
 * only: a spec that starts people with `launchApp` (./app.ts) runs on every target.
 */
export async function openApp(browser: Browser, url: string): Promise<MessengerPage> {
  const context = await browser.newContext();
  openContexts.add(context);
  const page = await context.newPage();
  await page.goto(url);
  return new MessengerPage(page);
}

/**
 * A server and two people on it, each with an account and the app open: Alice reaches the server
 * through a proxy the test can cut (`aliceNetwork`), Bob directly. Alice has started their
 * conversation. The server and the proxy are registered in `resources` for clean-up; `launchApp`
 * stops the apps.
 */
export async function aliceAndBob(
  launchApp: LaunchApp,
  resources: TestResources,
  label: string,
  options: BrowserHostOptions & { serverArgs?: readonly string[] } = {},
): Promise<{
  alice: MessengerPage;
  bob: MessengerPage;
  aliceNetwork: TcpProxy;
  server: RunningProcess;
  /** Alice's app, to stop and start again. */
  aliceApp: RunningApp;
  /** The server's data folder (its SQLite database and attachment store). */
  serverDataDir: string;
}> {
  const serverData = tempDir(`e2e-${label}-server-`);
  resources.dirs.push(serverData);
  const server = await startServer(serverData.path, 0, options.serverArgs);
  resources.running.push(server);
  const aliceNetwork = await startTcpProxy(server.port);
  resources.proxies.push(aliceNetwork);
  const args = hostArgs(options);
  const aliceApp = await launchApp({ name: `${label}-alice`, serverUrl: aliceNetwork.url, args });
  const bobApp = await launchApp({ name: `${label}-bob`, serverUrl: server.url, args });

  const alice = aliceApp.messenger;
  const bob = bobApp.messenger;
  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  await alice.startConversation('bob');
  // They know each other: Bob accepts the request Alice's conversation is to him (on another device of his).
  await acceptRequestsElsewhere(server.url, 'bob');
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  return { alice, bob, aliceNetwork, server, aliceApp, serverDataDir: serverData.path };
}

/**
 * Alice in the app, and Bob as a bare device in a direct conversation with her, on a server that
 * lets one connection send as fast as it can: for specs where Bob writes hundreds or thousands of
 * messages at once, far past a connection's frame budget, or writes what no app would. Bob's
 * device is a sync engine in the spec's process that seals what he writes as any client does
 * (postEnvelope, postAll), with a socket of its own session to send it.
 */
export async function aliceAndSocketBob(
  launchApp: LaunchApp,
  resources: TestResources,
  sockets: ServerHarness,
  label: string,
): Promise<{
  alice: MessengerPage;
  bob: ConversationMember;
  conversationId: string;
  /** Bob's session, for what he does over HTTP (uploads). */
  bobToken: string;
  httpUrl: string;
}> {
  const serverData = tempDir(`e2e-${label}-server-`);
  resources.dirs.push(serverData);
  const server = await startServer(serverData.path, 0, ['--frames-per-second', '1000000', '--frame-burst', '1000000']);
  resources.running.push(server);
  const { messenger: alice } = await launchApp({ name: `${label}-alice`, serverUrl: server.url });
  await alice.createAccount('alice', 'Alice Liddell');
  const httpUrl = server.url.replace(/^ws/, 'http');
  const bobAccount = await sockets.createAccount({ httpUrl }, { username: 'bob', displayName: 'Bob' });
  const bob = await bareDevice(resources, sockets, server, bobAccount);
  const { conversation } = await bob.socket.call({ type: 'start_conversation', username: 'alice' }, 'conversation');
  // They know each other: Alice accepts Bob's request (on another device of hers).
  await acceptRequestsElsewhere(server.url, 'alice');
  await expect(alice.conversationWith('Bob')).toBeVisible();
  return { alice, bob, conversationId: conversation.id, bobToken: bobAccount.token, httpUrl };
}

/**
 * The first device of `account` (its identity made here), as a sync engine in the spec's process,
 * and a socket of the same session: what the socket sends, the server attests as the device's.
 */
export async function bareDevice(
  resources: TestResources,
  sockets: ServerHarness,
  server: Pick<RunningProcess, 'url'>,
  account: TestAccount,
): Promise<ConversationMember> {
  const devices = engineDevices(sockets);
  resources.devices.push(devices);
  const device = await devices.device(server, account.user.id, account.token, signal.IdentityKeyPair.generate());
  return { device, socket: await sockets.connect(server, account.token) };
}

/**
 * Another device of an existing account: an app with a profile of its own on the same server,
 * logged in (the default password of createAccount) and linked from `linkedFrom`, a device of the
 * account that has its identity.
 */
export async function anotherDevice(
  launchApp: LaunchApp,
  label: string,
  serverUrl: string,
  username: string,
  linkedFrom: MessengerPage,
  password = 'a long enough password',
): Promise<MessengerPage> {
  const { messenger: device } = await launchApp({ name: `${label}-${username}-2`, serverUrl });
  const code = await device.logInToBeLinked(username, password);
  await linkedFrom.linkDevice(code);
  await expect(device.conversations).toBeVisible();
  return device;
}

/**
 * A server and three people on it, each with an account and the app open: Alice reaches the
 * server through a proxy the test can cut (`aliceNetwork`), Bob and Carol directly.
 */
export async function threePeople(
  launchApp: LaunchApp,
  resources: TestResources,
  label: string,
): Promise<{ alice: MessengerPage; bob: MessengerPage; carol: MessengerPage; aliceNetwork: TcpProxy }> {
  const serverData = tempDir(`e2e-${label}-server-`);
  resources.dirs.push(serverData);
  const server = await startServer(serverData.path);
  resources.running.push(server);
  const aliceNetwork = await startTcpProxy(server.port);
  resources.proxies.push(aliceNetwork);
  const [alice, bob, carol] = (
    await Promise.all([
      launchApp({ name: `${label}-alice`, serverUrl: aliceNetwork.url }),
      launchApp({ name: `${label}-bob`, serverUrl: server.url }),
      launchApp({ name: `${label}-carol`, serverUrl: server.url }),
    ])
  ).map((app) => app.messenger);
  await bob!.createAccount('bob', 'Bob Builder');
  await carol!.createAccount('carol', 'Carol Chen');
  await alice!.createAccount('alice', 'Alice Liddell');
  return { alice: alice!, bob: bob!, carol: carol!, aliceNetwork };
}

/**
 * `username` accepts every message request waiting for them from another device of theirs (a
 * socket of a fresh session): their app lists those conversations as ordinary ones without having
 * opened them, so nothing in them is read meanwhile. Waits for `count` requests to be there.
 */
export async function acceptRequestsElsewhere(
  serverUrl: string,
  username: string,
  count = 1,
  password = 'a long enough password',
): Promise<void> {
  const answer = await logIn(serverUrl.replace(/^ws/, 'http'), username, password);
  const { token } = answer.body as { token: string };
  const socket = new WebSocket(serverUrl + SYNC_PATH, [SYNC_PROTOCOL], { headers: { authorization: `Bearer ${token}` } });
  const replies = new Map<string, (frame: ServerFrame) => void>();
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
    if ('rid' in frame && frame.rid) replies.get(frame.rid)?.(frame);
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let rids = 0;
  const call = (frame: Record<string, unknown>) =>
    new Promise<ServerFrame>((resolve) => {
      const rid = `accept-${++rids}`;
      replies.set(rid, resolve);
      socket.send(JSON.stringify({ ...frame, rid }));
    });
  try {
    let requests: Conversation[] = [];
    await expect
      .poll(async () => {
        const listed = await call({ type: 'list_conversations' });
        requests = listed.type === 'conversations' ? listed.conversations.filter((c) => c.requestFrom !== undefined) : [];
        return requests.length;
      })
      .toBeGreaterThanOrEqual(count);
    const settings = requests.map((conversation) => ({
      setting: { kind: 'request', conversationId: conversation.id, value: { answer: 'accepted', seq: 0 } },
      at: 1,
      by: 'another-device',
    }));
    expect((await call({ type: 'set_settings', settings })).type).toBe('settings');
  } finally {
    socket.close();
  }
}
