/**
 * What every end-to-end spec starts and must stop: processes, proxies and temporary folders,
 * collected while a test runs and cleaned up after each one; and a page per person.
 */
import { test, type Browser } from '@playwright/test';
import type { TcpProxy } from '../../support/tcp-proxy.js';
import { MessengerPage } from './messenger-page.js';
import type { RunningProcess } from './processes.js';

export interface TestResources {
  running: RunningProcess[];
  proxies: TcpProxy[];
  dirs: { remove(): void }[];
}

/** Registers the clean-up in the calling spec; push what a test starts onto the lists. */
export function cleanedUpAfterEach(): TestResources {
  const resources: TestResources = { running: [], proxies: [], dirs: [] };
  test.afterEach(async () => {
    await Promise.all(resources.running.splice(0).map((process) => process.stop()));
    await Promise.all(resources.proxies.splice(0).map((proxy) => proxy.close()));
    resources.dirs.splice(0).forEach((dir) => dir.remove());
  });
  return resources;
}

/** The app at `url` in a browser context of its own (one person, one profile). */
export async function openApp(browser: Browser, url: string): Promise<MessengerPage> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  return new MessengerPage(page);
}
