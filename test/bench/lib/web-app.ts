/**
 * The app as `npm run web` runs it, for the benchmarks that drive it in Chromium (browser.ts,
 * call-media.ts): a production build of the working tree, and browser hosts
 * (`dist/main/browser-cli.cjs`) started from it on 127.0.0.1.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '../../../scripts/build.js';
import { RESULTS_DIR, ROOT, spawnNode, type Spawned } from './proc.js';

export interface WebBuild {
  /** The built dist folder. */
  outDir: string;
  buildMs: number;
  remove(): void;
}

/** Builds the app as shipped (esbuild, production), so the benchmark measures the working tree. */
export async function buildWebApp(): Promise<WebBuild> {
  // Under the repository (the bundles load better-sqlite3 and ws from its node_modules), in a folder
  // named dist (where the hosts look for their other bundles and the renderer).
  const buildDir = join(RESULTS_DIR, `web-build-${process.pid}`);
  const outDir = join(buildDir, 'dist');
  const started = performance.now();
  await build({ rootDir: ROOT, outDir, production: true });
  return {
    outDir,
    buildMs: Math.round(performance.now() - started),
    remove: () => rmSync(buildDir, { recursive: true, force: true }),
  };
}

export interface BrowserHost {
  spawned: Spawned;
  /** The one-time address it printed (open it once). */
  url: string;
}

/** Starts a browser host of `web` on a profile folder, pointed at `serverUrl`, and waits for its address. */
export async function startBrowserHost(web: WebBuild, profileDir: string, serverUrl: string): Promise<BrowserHost> {
  const spawned = spawnNode(
    'the browser host',
    [join(web.outDir, 'main', 'browser-cli.cjs'), '--port', '0', '--profile', profileDir, '--server', serverUrl],
    { group: true },
  );
  return { spawned, url: await waitForUrl(spawned) };
}

async function waitForUrl(host: Spawned): Promise<string> {
  const started = performance.now();
  while (performance.now() - started < 60_000) {
    const match = /http:\/\/127\.0\.0\.1:\d+\/\?k=[0-9a-f]+/.exec(host.output());
    if (match) return match[0];
    if (host.child.exitCode !== null) throw new Error(`The browser host exited (${host.child.exitCode}):\n${host.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The browser host did not start within 60 s:\n${host.output()}`);
}

/** SIGTERM (the host closes its core cleanly), SIGKILL after 10 s. */
export async function stopHost(host: Spawned): Promise<void> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return;
  host.child.kill('SIGTERM');
  const timer = setTimeout(() => host.child.kill('SIGKILL'), 10_000);
  await host.exited;
  clearTimeout(timer);
}
