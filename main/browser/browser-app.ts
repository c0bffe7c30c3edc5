/**
 * Core worker + browser host, started in the right order and stopped in the reverse one. Used by
 * the web CLI and by `npm start` when no Electron binary is installed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorFields, type LogLevel } from '../../sync/common/logger.js';
import { hostVersions, systemDescription } from '../common/host-versions.js';
import { DEFAULT_LOG_LEVEL, openHostLogging } from '../common/logging.js';
import { createLogExporter } from '../common/logging-export.js';
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
  /** --offline: start with Work offline on (it stays on until switched off in Settings). */
  workOffline?: boolean;
  /** --log-level: what this host and its core write to the profile's logs/ (default info). */
  logLevel?: LogLevel;
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
  // The profile's logs: this host's lines and the core worker's, one writer (main/common/logging.ts).
  const logging = openHostLogging({
    profileDir: options.profileDir,
    level: options.logLevel ?? DEFAULT_LOG_LEVEL,
    name: 'browser-host',
  });
  const { logger } = logging;
  const versions = hostVersions();
  const system = systemDescription();
  logger.info('browser host starting', { ...versions, system, logLevel: logging.level });
  let started = false;
  const worker: CoreWorkerHandle = startCoreWorker(options.workerScript, {
    profileDir: options.profileDir,
    defaultServerUrl: options.defaultServerUrl,
    // The mirror's key, from the profile's 0600 key file (made on first start).
    mirrorKey: loadOrCreateKeyFile(options.profileDir).toString('hex'),
    ...(options.allowLoopbackPreviews ? { allowLoopbackPreviews: true } : {}),
    ...(options.workOffline ? { workOffline: true } : {}),
    logLevel: logging.level,
    hostVersions: versions,
    onLog: logging.writeWorkerLine,
    onError: (error) => {
      logger.error('the core worker stopped', errorFields(error));
      if (started) options.onFatal(error);
    },
  });
  const giveUp = async (error: unknown): Promise<never> => {
    logger.error('the browser host could not start', errorFields(error));
    await worker.close();
    logging.close();
    throw error;
  };
  try {
    await worker.ready;
  } catch (error) {
    return giveUp(error);
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
      gifBytes: (id) => worker.gifBytes(id),
      logs: createLogExporter({ logsDir: logging.dir, versions, system, logger }),
      log: (message) => {
        logger.warn(message);
        options.log?.(message);
      },
    });
  } catch (error) {
    return giveUp(error);
  }
  started = true;
  logger.info('browser host listening', { port: host.port });
  let closing: Promise<void> | null = null;
  return {
    url: host.url,
    origin: host.origin,
    port: host.port,
    close() {
      closing ??= (async () => {
        logger.info('browser host stopping');
        await host.close();
        await worker.close();
        logger.info('browser host stopped');
        logging.close();
      })();
      return closing;
    },
  };
}
