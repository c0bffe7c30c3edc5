import { defineConfig } from '@playwright/test';
import { rememberedChromiumLaunch } from './test/support/chromium.js';

/**
 * End-to-end tests drive the real app (server, host, client core, renderer); each test starts its
 * own processes on 127.0.0.1. E2E_TARGET picks what the app runs in (test/e2e/support/target.ts):
 * `chromium` (default), the browser host in the system's Chromium or the one the @sparticuz/chromium
 * package carries (test/support/chromium.ts; nothing is downloaded), or `electron`, the Electron
 * app where a binary exists. The global setup prepares the target, or stops the run saying why not.
 */
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './test/e2e/support/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    // Specs drive the app by its English names, whatever the machine's language.
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    // Chosen by the global setup, read back here in every worker.
    launchOptions: rememberedChromiumLaunch(),
  },
});
