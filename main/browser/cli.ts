/**
 * npm run web -- --port <n> --profile <dir> [--server ws://127.0.0.1:7878] [--offline] [--log-level info] [--allow-loopback-previews]
 * Runs the messenger for a web browser: the client core in a worker thread plus the loopback
 * browser host. Prints the address to open (one line: http://127.0.0.1:<port>/?k=<one-time key>;
 * see bridge-lock.ts), stops cleanly on Ctrl-C / SIGTERM.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_LEVELS } from '../../sync/common/logger.js';
import { DEFAULT_SERVER_URL, DEFAULT_WEB_PORT } from '../common/defaults.js';
import { DEFAULT_LOG_LEVEL, parseLogLevel } from '../common/logging.js';
import { builtPath, distDirFor } from '../common/paths.js';
import { onShutdownSignal } from '../common/shutdown.js';
import { startBrowserApp } from './browser-app.js';

const USAGE =
  'Usage: npm run web -- --port <n> --profile <dir> [--server ws://127.0.0.1:7878] [--offline] [--log-level info] [--allow-loopback-previews]\n' +
  '  --offline                  start with Work offline on: no connection until it is switched off in Settings\n' +
  `  --log-level <level>        what goes to <profile>/logs: ${LOG_LEVELS.join(', ')} (default ${DEFAULT_LOG_LEVEL})\n` +
  '  --allow-loopback-previews  link previews may fetch http://127.0.0.1 pages (for tests; otherwise https and public addresses only)';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  let values: {
    port?: string;
    profile?: string;
    server?: string;
    offline?: boolean;
    'log-level'?: string;
    'allow-loopback-previews'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        profile: { type: 'string' },
        server: { type: 'string' },
        offline: { type: 'boolean' },
        'log-level': { type: 'string' },
        'allow-loopback-previews': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port === undefined ? DEFAULT_WEB_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number (0-65535).\n${USAGE}`);
  if (!values.profile) fail(`--profile <dir> is required: the folder holding this user's local data.\n${USAGE}`);
  const server = values.server ?? DEFAULT_SERVER_URL;
  if (!/^(wss?|https?):\/\/[^\s/]+/.test(server)) fail(`--server must look like ws://127.0.0.1:7878.\n${USAGE}`);
  const logLevel = parseLogLevel(values['log-level']);
  if (!logLevel.ok) fail(`${logLevel.message}\n${USAGE}`);

  const dist = distDirFor(import.meta.url);
  let app: Awaited<ReturnType<typeof startBrowserApp>> | null = null;
  onShutdownSignal(async () => {
    await app?.close();
  });
  try {
    app = await startBrowserApp({
      port,
      profileDir: path.resolve(values.profile),
      defaultServerUrl: server,
      allowLoopbackPreviews: values['allow-loopback-previews'] === true,
      workOffline: values.offline === true,
      logLevel: logLevel.level,
      workerScript: builtPath(dist, 'coreWorker'),
      rendererDir: builtPath(dist, 'rendererDir'),
      onFatal: (error) => {
        console.error(`${error.message}\nStopping.`);
        void app?.close().finally(() => process.exit(1));
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') fail(`Port ${port} is already in use; pick another with --port.`);
    fail(error instanceof Error ? error.message : String(error));
  }
  console.log(`Messenger is running at ${app.url} — open it in your browser (the address works once)`);
}

void main();
