/**
 * The `test` every spec imports: Playwright's, with a `launchApp` fixture that starts a person's
 * app in the target E2E_TARGET names (target.ts), so one spec file runs on both targets. Apps it
 * started are stopped, and their profiles removed, after the test.
 *
 *   test('…', async ({ launchApp }) => {
 *     const alice = await launchApp({ name: 'alice', serverUrl: server.url });
 *     await alice.messenger.createAccount('alice', 'Alice Liddell');
 *   });
 *
 * `test.use({ chromiumSwitches: [...] })` adds Chromium switches for the app's window (the
 * browser's under the chromium target, Electron's own Chromium's under the electron target).
 */
import path from 'node:path';
import { test as base } from '@playwright/test';
import { browserHostApps } from './browser-host-app.js';
import { electronApps } from './electron-app.js';
import type { LaunchApp } from './running-app.js';
import { describeAvailability, e2eTarget, electronAvailability } from './target.js';

export { expect } from '@playwright/test';

const ROOT = path.resolve(import.meta.dirname, '../../..');

export const E2E_TARGET = e2eTarget();

interface AppFixtures {
  launchApp: LaunchApp;
}

interface AppWorkerOptions {
  chromiumSwitches: string[];
}

const withOptions = base.extend<object, AppWorkerOptions>({
  chromiumSwitches: [[], { scope: 'worker', option: true }],
});

const onChromium = withOptions.extend<AppFixtures>({
  launchOptions: [
    async ({ launchOptions, chromiumSwitches }, use) =>
      use({ ...launchOptions, args: [...(launchOptions.args ?? []), ...chromiumSwitches] }),
    { scope: 'worker' },
  ],
  launchApp: async ({ browser }, use) => {
    const apps = browserHostApps(browser);
    await use(apps.launch);
    await apps.stopAll();
  },
});

// No `browser` here: under this target no Chromium is launched for the tests.
const onElectron = withOptions.extend<AppFixtures>({
  launchApp: async ({ chromiumSwitches }, use) => {
    const availability = electronAvailability(ROOT);
    if (!availability.available) throw new Error(describeAvailability('electron', availability));
    const apps = electronApps(availability.executable, chromiumSwitches);
    await use(apps.launch);
    await apps.stopAll();
  },
});

export const test: typeof onChromium = E2E_TARGET === 'electron' ? onElectron : onChromium;

/**
 * For a test that needs what only the browser host in Chromium has (browser downloads, tabs):
 * under another target it is reported as skipped, with the reason, instead of run.
 */
export function browserHostOnly(reason: string): void {
  test.skip(E2E_TARGET !== 'chromium', `runs on the browser host only: ${reason}`);
}
