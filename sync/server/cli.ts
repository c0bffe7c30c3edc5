/**
 * npm run server -- --port 7878 --data ./server-data [--host 127.0.0.1] [--max-group-members 1000]
 *   [--max-file-mb 100] [--quota-mb 10240] [--log-level info]
 * Prints one line with the ws:// address on stdout once it accepts connections; logs are JSON lines
 * (pino) on stderr. SIGINT/SIGTERM drain it: exit 0 once drained, within 10 s.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ATTACHMENT_LIMITS } from '../protocol/attachments.js';
import { LIMITS } from '../protocol/limits.js';
import { createPinoLogger, LOG_LEVELS, type LogLevel, type ServerLogger } from './logger.js';
import { DEFAULT_QUOTA_BYTES, startSyncServer, type RunningServer } from './sync-server.js';

const DEFAULT_PORT = 7878;
const USAGE =
  'Usage: npm run server -- --port <n> --data <dir> [--host <h>] [--max-group-members <n>] [--max-file-mb <n>] [--quota-mb <n>] [--log-level <level>]';
/** What an orchestrator waits after SIGTERM before SIGKILL; the server's own drain deadline is shorter. */
const EXIT_DEADLINE_MS = 10_000;
const MIB = 1024 * 1024;
const MAX_FILE_MB = ATTACHMENT_LIMITS.maxFileBytes / MIB;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

interface CliOptions {
  host: string;
  port: number;
  dataDir: string;
  maxGroupMembers: number;
  maxFileBytes: number;
  quotaBytes: number;
  logLevel: LogLevel;
}

/** A whole number of MiB within [min, max], or a clear complaint naming the flag. */
function mebibytes(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (raw?.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    fail(`--${flag} must be a whole number of MiB from ${min} to ${max}, got "${raw}"`);
  }
  return value * MIB;
}

function readOptions(): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        data: { type: 'string' },
        host: { type: 'string' },
        'max-group-members': { type: 'string' },
        'max-file-mb': { type: 'string' },
        'quota-mb': { type: 'string' },
        'log-level': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.data) fail(`Missing --data <dir>: the folder that holds the server database.\n${USAGE}`);
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
  const maxGroupMembers = Number(values['max-group-members'] ?? LIMITS.maxGroupMembers);
  if (!Number.isInteger(maxGroupMembers) || maxGroupMembers < 2 || maxGroupMembers > LIMITS.maxGroupMembers) {
    fail(`--max-group-members must be a whole number from 2 to ${LIMITS.maxGroupMembers}, got "${values['max-group-members']}"`);
  }
  const maxFileBytes = mebibytes(
    'max-file-mb',
    values['max-file-mb'],
    ATTACHMENT_LIMITS.defaultMaxFileBytes / MIB,
    1,
    MAX_FILE_MB,
  );
  const quotaBytes = mebibytes(
    'quota-mb',
    values['quota-mb'],
    DEFAULT_QUOTA_BYTES / MIB,
    1,
    Math.floor(Number.MAX_SAFE_INTEGER / MIB),
  );
  if (quotaBytes < maxFileBytes) {
    fail(`--quota-mb (${quotaBytes / MIB}) must be at least --max-file-mb (${maxFileBytes / MIB}): one file must fit the quota`);
  }
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  return {
    host: values.host ?? '127.0.0.1',
    port,
    dataDir: resolve(values.data),
    maxGroupMembers,
    maxFileBytes,
    quotaBytes,
    logLevel,
  };
}

async function main(): Promise<void> {
  const { host, port, dataDir, maxGroupMembers, maxFileBytes, quotaBytes, logLevel } = readOptions();
  mkdirSync(dataDir, { recursive: true });
  const logger: ServerLogger = createPinoLogger({ level: logLevel });
  let server: RunningServer;
  try {
    server = await startSyncServer({ host, port, dataDir, maxGroupMembers, maxFileBytes, quotaBytes, logger });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') fail(`Cannot start: port ${port} on ${host} is already in use.`);
    if (code === 'EADDRNOTAVAIL') fail(`Cannot start: ${host} is not an address of this machine.`);
    if (code === 'EACCES') fail(`Cannot start: no permission to listen on ${host}:${port}.`);
    fail(`Cannot start: ${(error as Error).message}`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('Stopping', { signal });
    // A last resort should the drain itself hang (its own deadline cuts sockets and requests sooner).
    setTimeout(() => {
      logger.error('Could not stop within the deadline; exiting anyway', undefined, { signal, ms: EXIT_DEADLINE_MS });
      process.exit(1);
    }, EXIT_DEADLINE_MS - 500).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('Error while stopping', error, { signal });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  console.log(`Sync server listening on ${server.url}`);
}

void main();
