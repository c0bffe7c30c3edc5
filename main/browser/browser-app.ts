/**
 * Core worker + browser host, started in the right order and stopped in the reverse one. Used by
 * the web CLI and by `npm start` when no Electron binary is installed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadOrCreateKeyFile } from '../common/mirror-key-file.js';
import { startCoreWorker, type CoreWorkerHandle } from '../node/core-worker-client.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';

export interface BrowserAppOptions {
  port: number;
  host?: string;
  profileDir: string;
  defaultServerUrl: string;
  /** --allow-loopback-previews: link previews may fetch http://127.0.0.1 pages (tests only). */
  allowLoopbackPreviews?: boolean;
  /** dist/main/core-worker.cjs */
  workerScript: string;
  /** dist/renderer */
  rendererDir: string;
  /** The core stopped on its own (crash): the app is useless now; the caller should shut down. */
  onFatal: (error: Error) => void;
  log?: (message: string) => void;
}

export interface BrowserApp {
  /** The address to open, with the host's one-time key (see bridge-lock.ts). */
  url: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  close(): Promise<void>;
}

export async function startBrowserApp(options: BrowserAppOptions): Promise<BrowserApp> {
  for (const [what, file] of [
    ['core worker', options.workerScript],
    ['renderer', path.join(options.rendererDir, 'index.html')],
  ] as const) {
    if (!existsSync(file)) throw new Error(`The built ${what} is missing (${file}); run npm run build first.`);
  }
  let started = false;
  const worker: CoreWorkerHandle = startCoreWorker(options.workerScript, {
    profileDir: options.profileDir,
    defaultServerUrl: options.defaultServerUrl,
    // The mirror's key, from the profile's 0600 key file (made on first start).
    mirrorKey: loadOrCreateKeyFile(options.profileDir).toString('hex'),
    ...(options.allowLoopbackPreviews ? { allowLoopbackPreviews: true } : {}),
    onError: (error) => {
      if (started) options.onFatal(error);
    },
  });
  try {
    await worker.ready;
  } catch (error) {
    await worker.close();
    throw error;
  }
  let host: BrowserHost;
  try {
    host = await startBrowserHost({
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      rendererDir: options.rendererDir,
      core: worker,
      profileDir: options.profileDir,
      fileKeys: worker.fileKeys,
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    await worker.close();
    throw error;
  }
  started = true;
  let closing: Promise<void> | null = null;
  return {
    url: host.url,
    origin: host.origin,
    port: host.port,
    close() {
      closing ??= (async () => {
        await host.close();
        await worker.close();
      })();
      return closing;
    },
  };
}
