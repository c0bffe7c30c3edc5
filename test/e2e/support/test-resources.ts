/**
 * What every end-to-end spec starts and must stop: processes, proxies and temporary folders,
 * collected while a test runs and cleaned up after each one; and a page per person.
 */
import { test, type Browser, type BrowserContext } from '@playwright/test';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { MessengerPage } from './messenger-page.js';
import { startBrowserHost, startServer, tempDir, type BrowserHostOptions, type RunningProcess } from './processes.js';

export interface TestResources {
  running: RunningProcess[];
  proxies: TcpProxy[];
  dirs: { remove(): void }[];
}

/**
 * Every person's browser context opened by this test. The browser lives as long as the worker, so
 * a context left open would keep its app running (and reconnecting) through every later test.
 */
const openContexts = new Set<BrowserContext>();

/** Registers the clean-up in the calling spec; push what a test starts onto the lists. */
export function cleanedUpAfterEach(): TestResources {
  const resources: TestResources = { running: [], proxies: [], dirs: [] };
  test.afterEach(async () => {
    const contexts = [...openContexts];
    openContexts.clear();
    await Promise.all(contexts.map((context) => context.close()));
    await Promise.all(resources.running.splice(0).map((process) => process.stop()));
    await Promise.all(resources.proxies.splice(0).map((proxy) => proxy.close()));
    resources.dirs.splice(0).forEach((dir) => dir.remove());
  });
  return resources;
}

/** The app at `url` in a browser context of its own (one person, one profile). */
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
 * conversation. Everything is registered in `resources` for clean-up.
 */
export async function aliceAndBob(
  browser: Browser,
  resources: TestResources,
  label: string,
  options: BrowserHostOptions = {},
): Promise<{
  alice: MessengerPage;
  bob: MessengerPage;
  aliceNetwork: TcpProxy;
  server: RunningProcess;
  aliceHost: RunningProcess;
  aliceProfile: string;
}> {
  const serverData = tempDir(`e2e-${label}-server-`);
  const aliceProfile = tempDir(`e2e-${label}-alice-`);
  const bobProfile = tempDir(`e2e-${label}-bob-`);
  resources.dirs.push(serverData, aliceProfile, bobProfile);
  const server = await startServer(serverData.path);
  resources.running.push(server);
  const aliceNetwork = await startTcpProxy(server.port);
  resources.proxies.push(aliceNetwork);
  const aliceHost = await startBrowserHost(aliceProfile.path, aliceNetwork.url, 0, options);
  const bobHost = await startBrowserHost(bobProfile.path, server.url, 0, options);
  resources.running.push(aliceHost, bobHost);

  const alice = await openApp(browser, aliceHost.url);
  const bob = await openApp(browser, bobHost.url);
  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  await alice.startConversation('bob');
  return { alice, bob, aliceNetwork, server, aliceHost, aliceProfile: aliceProfile.path };
}

/**
 * Another device of an existing account: a browser host with a profile of its own on the same
 * server, and the app open in it, logged in (the default password of createAccount).
 */
export async function anotherDevice(
  browser: Browser,
  resources: TestResources,
  label: string,
  serverUrl: string,
  username: string,
  password = 'a long enough password',
): Promise<MessengerPage> {
  const profile = tempDir(`e2e-${label}-${username}-2-`);
  resources.dirs.push(profile);
  const host = await startBrowserHost(profile.path, serverUrl);
  resources.running.push(host);
  const device = await openApp(browser, host.url);
  await device.logIn(username, password);
  return device;
}

/**
 * A server and three people on it, each with an account and the app open: Alice reaches the
 * server through a proxy the test can cut (`aliceNetwork`), Bob and Carol directly.
 */
export async function threePeople(
  browser: Browser,
  resources: TestResources,
  label: string,
): Promise<{ alice: MessengerPage; bob: MessengerPage; carol: MessengerPage; aliceNetwork: TcpProxy }> {
  const serverData = tempDir(`e2e-${label}-server-`);
  const profiles = ['alice', 'bob', 'carol'].map((name) => tempDir(`e2e-${label}-${name}-`));
  resources.dirs.push(serverData, ...profiles);
  const server = await startServer(serverData.path);
  resources.running.push(server);
  const aliceNetwork = await startTcpProxy(server.port);
  resources.proxies.push(aliceNetwork);
  const hosts = await Promise.all([
    startBrowserHost(profiles[0]!.path, aliceNetwork.url),
    startBrowserHost(profiles[1]!.path, server.url),
    startBrowserHost(profiles[2]!.path, server.url),
  ]);
  resources.running.push(...hosts);
  const [alice, bob, carol] = await Promise.all(hosts.map((host) => openApp(browser, host.url)));
  await bob!.createAccount('bob', 'Bob Builder');
  await carol!.createAccount('carol', 'Carol Chen');
  await alice!.createAccount('alice', 'Alice Liddell');
  return { alice: alice!, bob: bob!, carol: carol!, aliceNetwork };
}
