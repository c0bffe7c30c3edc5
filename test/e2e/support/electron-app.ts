/**
 * The electron target: each app is the Electron app (the repository's package.json main,
 * dist/main/electron-main.cjs) started by Playwright's Electron runner with --profile and --server,
 * driven in its window. Never loads the electron package itself: only its binary runs.
 */
import path from 'node:path';
import { _electron, type ElectronApplication, type Page } from '@playwright/test';
import { MessengerPage } from './messenger-page.js';
import { tempDir } from './processes.js';
import type { AppLauncher, RunningApp } from './running-app.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Chromium refuses to run as root with its sandbox on (CI runs as root): as for the tests' Chromium. */
const ROOT_SWITCHES = process.getuid?.() === 0 ? ['--no-sandbox'] : [];

/** `chromiumSwitches` go on Electron's command line, where its Chromium reads them. */
export function electronApps(executable: string, chromiumSwitches: readonly string[]): AppLauncher {
  const cleanups: Array<() => Promise<void>> = [];
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Set, it would make the binary a plain Node.js instead of the app.
    if (value !== undefined && key !== 'ELECTRON_RUN_AS_NODE') env[key] = value;
  }
  return {
    async launch({ name, serverUrl, args = [] }): Promise<RunningApp> {
      const profile = tempDir(`e2e-${name}-`);
      let running: ElectronApplication | null = null;
      cleanups.push(async () => {
        try {
          await running?.close();
        } finally {
          profile.remove();
        }
      });
      const open = async (): Promise<Page> => {
        running = await _electron.launch({
          executablePath: executable,
          args: [ROOT, '--profile', profile.path, '--server', serverUrl, ...args, ...ROOT_SWITCHES, ...chromiumSwitches],
          cwd: ROOT,
          env,
        });
        return running.firstWindow();
      };
      const messenger = new MessengerPage(await open());
      const app: RunningApp = {
        messenger,
        profileDir: profile.path,
        async stop() {
          await running?.close();
          running = null;
        },
        async start() {
          if (running) throw new Error(`${name}'s app is already running`);
          messenger.reopenedIn(await open());
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
