/**
 * npm run server -- --port 7878 --data ./server-data [--host 127.0.0.1] [--max-group-members 1000]
 * Prints one line with the ws:// address once it accepts connections; SIGINT/SIGTERM stop it cleanly.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LIMITS } from '../protocol/limits.js';
import { startSyncServer, type RunningServer } from './sync-server.js';

const DEFAULT_PORT = 7878;
const USAGE = 'Usage: npm run server -- --port <n> --data <dir> [--host <h>] [--max-group-members <n>]';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function readOptions(): { host: string; port: number; dataDir: string; maxGroupMembers: number } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        data: { type: 'string' },
        host: { type: 'string' },
        'max-group-members': { type: 'string' },
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
  return { host: values.host ?? '127.0.0.1', port, dataDir: resolve(values.data), maxGroupMembers };
}

async function main(): Promise<void> {
  const { host, port, dataDir, maxGroupMembers } = readOptions();
  mkdirSync(dataDir, { recursive: true });
  let server: RunningServer;
  try {
    server = await startSyncServer({ host, port, dataDir, maxGroupMembers });
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
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Error while stopping after ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  console.log(`Sync server listening on ${server.url}`);
}

void main();
