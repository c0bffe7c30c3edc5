/**
 * npm start: everything needed to use the messenger on this machine, in one command.
 *   1. builds dist/ (same as npm run build);
 *   2. starts the local sync server on 127.0.0.1:7878 (data in the per-user folder), or reuses one
 *      of ours already listening there;
 *   3. launches the Electron app if an Electron binary is installed, otherwise runs the browser host
 *      and prints the address to open (with its one-time key, see main/browser/bridge-lock.ts).
 * Ctrl-C / SIGTERM stop everything that was started here.
 * `npm start -- --profile <dir> --offline --log-level <level>` passes those to whichever host runs
 * (a profile of your choosing instead of the per-user one; start with Work offline on; how much goes
 * to the profile's logs), and `--allow-loopback-previews` too (link previews of http://127.0.0.1
 * pages, for tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from '../scripts/build.js';
import { ensureElectronNative, findElectronBinary } from '../scripts/electron-native.js';
import { startSyncServer } from '../sync/server/sync-server.js';
import { startBrowserApp, type BrowserApp } from './browser/browser-app.js';
import { DEFAULT_SERVER_URL, DEFAULT_SYNC_PORT, DEFAULT_WEB_PORT, SYNC_SERVER_NAME } from './common/defaults.js';
import { parseLogLevel } from './common/logging.js';
import { builtPath } from './common/paths.js';
import { onShutdownSignal } from './common/shutdown.js';
import { serverDataDir, webProfileDir, type PlatformInfo } from './common/user-dirs.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distDir = path.join(repoRoot, 'dist');
const platformInfo: PlatformInfo = { platform: process.platform, env: process.env, homeDir: os.homedir() };
const startArgs = parseArgs({
  args: process.argv.slice(2),
  options: {
    profile: { type: 'string' },
    offline: { type: 'boolean' },
    'log-level': { type: 'string' },
    'allow-loopback-previews': { type: 'boolean' },
  },
  strict: true,
}).values;
const allowLoopbackPreviews = startArgs['allow-loopback-previews'] === true;
const workOffline = startArgs.offline === true;
const profileDir = startArgs.profile === undefined ? undefined : path.resolve(startArgs.profile);
const logLevel = parseLogLevel(startArgs['log-level']);
/** The flags both hosts take alike, as given here. */
const hostFlags = [
  ...(profileDir === undefined ? [] : ['--profile', profileDir]),
  ...(workOffline ? ['--offline'] : []),
  ...(startArgs['log-level'] === undefined ? [] : ['--log-level', startArgs['log-level']]),
  ...(allowLoopbackPreviews ? ['--allow-loopback-previews'] : []),
];

/** Things to stop on the way out, most recent first. */
const cleanups: Array<() => Promise<void>> = [];
async function stopAll(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
    }
  }
}

async function fail(message: string): Promise<never> {
  console.error(message);
  await stopAll();
  process.exit(1);
}

async function isOurSyncServer(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/health`, { signal: AbortSignal.timeout(3000) });
    const body = (await response.json()) as { name?: unknown };
    return body.name === SYNC_SERVER_NAME;
  } catch {
    return false;
  }
}

async function ensureSyncServer(): Promise<string> {
  const dataDir = serverDataDir(platformInfo);
  mkdirSync(dataDir, { recursive: true });
  try {
    const server = await startSyncServer({ port: DEFAULT_SYNC_PORT, dataDir });
    cleanups.push(() => server.close());
    console.log(`Sync server listening on ${server.url} (data in ${dataDir})`);
    return server.url;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  }
  if (await isOurSyncServer(DEFAULT_SYNC_PORT)) {
    console.log(`Using the sync server already running at ${DEFAULT_SERVER_URL}`);
    return DEFAULT_SERVER_URL;
  }
  return fail(
    `Port ${DEFAULT_SYNC_PORT} is taken by another program (it is not a messenger sync server). ` +
      'Stop that program, or run the server elsewhere: npm run server -- --port <n> --data <dir>',
  );
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function freePortFrom(first: number): Promise<number> {
  for (let port = first; port < first + 100; port++) {
    if (await portIsFree(port)) return port;
  }
  return fail(`No free port between ${first} and ${first + 99} for the browser host.`);
}

async function runInBrowser(serverUrl: string): Promise<void> {
  const port = await freePortFrom(DEFAULT_WEB_PORT);
  const app: BrowserApp = await startBrowserApp({
    port,
    profileDir: profileDir ?? webProfileDir(platformInfo),
    defaultServerUrl: serverUrl,
    allowLoopbackPreviews,
    workOffline,
    ...(logLevel.ok ? { logLevel: logLevel.level } : {}),
    workerScript: builtPath(distDir, 'coreWorker'),
    rendererDir: builtPath(distDir, 'rendererDir'),
    onFatal: (error) => void fail(`${error.message}\nStopping.`),
  });
  cleanups.push(() => app.close());
  console.log(`Messenger is running at ${app.url} — open it in your browser (the address works once; Ctrl-C to stop)`);
}

function runElectron(electron: string, serverUrl: string): void {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const args = [repoRoot, '--server', serverUrl, ...hostFlags];
  const child: ChildProcess = spawn(electron, args, { cwd: repoRoot, env, stdio: 'inherit' });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1)));
    child.once('error', (error) => {
      console.error(`Could not start Electron: ${error.message}`);
      resolve(1);
    });
  });
  let stopping = false;
  cleanups.push(async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  // Closing the window ends the app: stop the server too.
  void exited.then(async (code) => {
    if (stopping) return;
    await stopAll();
    process.exit(code);
  });
}

async function main(): Promise<void> {
  onShutdownSignal(stopAll);
  if (!logLevel.ok) await fail(logLevel.message);

  await build({ rootDir: repoRoot, outDir: distDir, production: false }).catch((error: unknown) =>
    fail(`Build failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`),
  );

  const serverUrl = await ensureSyncServer();

  const electron = findElectronBinary(repoRoot);
  if (electron) {
    try {
      await ensureElectronNative(repoRoot);
      runElectron(electron, serverUrl);
      return;
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      console.log('The database module could not be prepared for Electron, so the messenger runs in your browser instead.');
    }
  } else {
    console.log('No Electron binary is installed here, so the messenger runs in your browser instead.');
  }
  await runInBrowser(serverUrl);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
