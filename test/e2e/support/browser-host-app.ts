/**
 * The chromium target: each app is a browser host (dist/main/browser-cli.cjs, as `npm run web`
 * runs it) opened in a browser context of its own in the Chromium Playwright launched.
 */
import type { Browser } from '@playwright/test';
import { MessengerPage } from './messenger-page.js';
import { startBrowserHost, tempDir, type RunningProcess } from './processes.js';
import type { AppLauncher, RunningApp } from './running-app.js';

export function browserHostApps(browser: Browser): AppLauncher {
  const cleanups: Array<() => Promise<void>> = [];
  return {
    async launch({ name, serverUrl, args = [] }): Promise<RunningApp> {
      const profile = tempDir(`e2e-${name}-`);
      const context = await browser.newContext();
      let host: RunningProcess | null = null;
      cleanups.push(async () => {
        try {
          // The page first: left open, it would keep reconnecting to a host that is going away.
          await context.close();
        } finally {
          await host?.stop();
          profile.remove();
        }
      });
      host = await startBrowserHost(profile.path, serverUrl, 0, { extraArgs: args });
      // Restarts keep the address's port: the page's origin, and what the browser keeps for it.
      const port = host.port;
      const page = await context.newPage();
      await page.goto(host.url);
      const app: RunningApp = {
        messenger: new MessengerPage(page),
        profileDir: profile.path,
        async stop() {
          await host?.stop();
          host = null;
        },
        async start() {
          if (host) throw new Error(`${name}'s app is already running`);
          host = await startBrowserHost(profile.path, serverUrl, port, { extraArgs: args });
          // A new start prints a new one-time address: the tab opens it (the old session ended with the host).
          await page.goto(host.url);
        },
        async restart() {
          await app.stop();
          await app.start();
        },
      };
      return app;
    },
    async stopAll() {
      await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
    },
  };
}
