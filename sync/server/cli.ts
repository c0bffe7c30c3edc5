/**
 * npm run server -- --port 7878 --data ./server-data [--store sqlite | --store postgres://user:pw@host/db]
 *   [--node-id <id>] [--pool-size 10] [--host 127.0.0.1] [--max-group-members 1000]
 *   [--max-file-mb 100] [--quota-mb 10240] [--log-level info]
 *   [--tls-cert chain.pem --tls-key key.pem] [--trust-proxy <address>[,<address>…]]
 *   [--frames-per-second 100] [--frame-burst 500]
 *   [--turn-url turn:turn.example.org:3478[,turns:turn.example.org:5349] --turn-secret <secret>]
 *   [--gif-provider giphy --gif-api-key <key> | --gif-provider folder:<dir>]
 * With SQLite (the default) --data holds the database and the attachments; with PostgreSQL it holds
 * only the attachments, and every node on the same database must share it (a shared directory).
 * Prints one line with the ws:// address on stdout once it accepts connections; logs are JSON lines
 * (pino) on stderr. SIGINT/SIGTERM drain it: exit 0 once drained, within 10 s.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { ATTACHMENT_LIMITS } from '../protocol/attachments.js';
import { CALL_LIMITS } from '../protocol/call-frames.js';
import { LIMITS } from '../protocol/limits.js';
import { ensurePrivateDir } from '../node/private-files.js';
import { realRuntime } from '../node/real-runtime.js';
import { DEFAULT_CONNECTION_CAPS, type ConnectionCaps } from './connection-caps.js';
import { FRAME_RATE, type FrameRateLimits } from './connection-rate.js';
import { gifProviderChoice, openGifProvider, type GifProviderChoice } from './gifs/gif-flags.js';
import { PostgresClusterBus } from './cluster/pg-cluster-bus.js';
import { PostgresNodeDirectory } from './cluster/pg-node-directory.js';
import { createPinoLogger, LOG_LEVELS, type LogLevel, type ServerLogger } from './logger.js';
import { createServerMetrics } from './metrics.js';
import { openPostgresServerStore } from './store/pg-server-store.js';
import type { ServerStore } from './store/server-store.js';
import { DEFAULT_QUOTA_BYTES, startSyncServer, type RunningServer, type SyncServerOptions } from './sync-server.js';
import { TURN_TTL_MS, type TurnConfig } from './turn-credentials.js';

const DEFAULT_PORT = 7878;
const USAGE =
  'Usage: npm run server -- --port <n> --data <dir> [--store sqlite|postgres://user:password@host:5432/db] [--node-id <id>] [--pool-size <n>] [--host <h>] [--max-group-members <n>] [--max-file-mb <n>] [--quota-mb <n>] [--log-level <level>] [--tls-cert <chain.pem> --tls-key <key.pem>] [--trust-proxy <address>[,<address>…]] [--frames-per-second <n>] [--frame-burst <n>] [--max-connections-per-account <n>] [--max-connections-per-address <n>] [--turn-url <url>[,<url>…] --turn-secret <secret>] [--gif-provider giphy --gif-api-key <key> | --gif-provider folder:<dir>]';
const DEFAULT_POOL_SIZE = 10;
/** What an orchestrator waits after SIGTERM before SIGKILL; the server's own drain deadline is shorter. */
const EXIT_DEADLINE_MS = 10_000;
const MIB = 1024 * 1024;
const MAX_FILE_MB = ATTACHMENT_LIMITS.maxFileBytes / MIB;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Where the server keeps its data: the embedded SQLite file, or a PostgreSQL database shared by nodes. */
type StoreChoice = { kind: 'sqlite' } | { kind: 'postgres'; url: string; nodeId: string; poolSize: number };

interface CliOptions {
  store: StoreChoice;
  host: string;
  port: number;
  dataDir: string;
  maxGroupMembers: number;
  maxFileBytes: number;
  quotaBytes: number;
  logLevel: LogLevel;
  tls: { cert: Buffer; key: Buffer } | null;
  trustedProxies: string[];
  frameRate: FrameRateLimits;
  connectionCaps: ConnectionCaps;
  turn: TurnConfig | null;
  gifs: GifProviderChoice | null;
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
        store: { type: 'string' },
        'node-id': { type: 'string' },
        'pool-size': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'trust-proxy': { type: 'string' },
        'frames-per-second': { type: 'string' },
        'frame-burst': { type: 'string' },
        'max-connections-per-account': { type: 'string' },
        'max-connections-per-address': { type: 'string' },
        'turn-url': { type: 'string' },
        'turn-secret': { type: 'string' },
        'gif-provider': { type: 'string' },
        'gif-api-key': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.data) fail(`Missing --data <dir>: the folder that holds the server database and attachments.\n${USAGE}`);
  const store = readStoreChoice(values.store, values['node-id'], values['pool-size']);
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
  const gifs = gifProviderChoice(values['gif-provider'], values['gif-api-key']);
  if (gifs && 'error' in gifs) fail(gifs.error);
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  return {
    store,
    host: values.host ?? '127.0.0.1',
    port,
    dataDir: resolve(values.data),
    maxGroupMembers,
    maxFileBytes,
    quotaBytes,
    logLevel,
    tls: readTls(values['tls-cert'], values['tls-key']),
    trustedProxies: readTrustedProxies(values['trust-proxy']),
    frameRate: readFrameRate(values['frames-per-second'], values['frame-burst']),
    turn: readTurn(values['turn-url'], values['turn-secret']),
    gifs,
    connectionCaps: {
      perAccount: wholeFlag(
        'max-connections-per-account',
        values['max-connections-per-account'],
        DEFAULT_CONNECTION_CAPS.perAccount,
      ),
      perAddress: wholeFlag(
        'max-connections-per-address',
        values['max-connections-per-address'],
        DEFAULT_CONNECTION_CAPS.perAddress,
      ),
    },
  };
}

/** A whole number from 1 to 1,000,000,000, or a clear complaint naming the flag. */
function wholeFlag(flag: string, raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (raw?.trim() === '' || !Number.isInteger(value) || value < 1 || value > 1_000_000_000) {
    fail(`--${flag} must be a whole number from 1 to 1000000000, got "${raw}"`);
  }
  return value;
}

/** The load balancers whose X-Forwarded-For is believed: literal IP addresses, comma-separated. */
function readTrustedProxies(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const addresses = raw.split(',').map((address) => address.trim());
  const bad = addresses.find((address) => isIP(address) === 0);
  if (bad !== undefined) fail(`--trust-proxy takes IP addresses separated by commas, got "${bad}"`);
  return addresses;
}

/** The TURN relay calls may use: its URLs (turn:, turns: or stun:, comma-separated) and the secret shared with it. */
function readTurn(urlsRaw: string | undefined, secret: string | undefined): TurnConfig | null {
  if (urlsRaw === undefined && secret === undefined) return null;
  if (urlsRaw === undefined || secret === undefined || secret === '')
    fail(
      "--turn-url and --turn-secret go together: the relay's URLs and the secret shared with it (coturn's static-auth-secret)",
    );
  const urls = urlsRaw.split(',').map((url) => url.trim());
  const bad = urls.find((url) => !/^(turns?|stun):[^\s]+$/.test(url) || url.length > CALL_LIMITS.maxIceUrlChars);
  if (bad !== undefined || urls.length > CALL_LIMITS.maxIceUrls)
    fail(
      `--turn-url takes up to ${CALL_LIMITS.maxIceUrls} turn:, turns: or stun: URLs separated by commas, got "${bad ?? urlsRaw}"`,
    );
  return { urls, secret, ttlMs: TURN_TTL_MS };
}

/** Frames one connection may send: sustained per second, and at once. */
function readFrameRate(perSecondRaw: string | undefined, burstRaw: string | undefined): FrameRateLimits {
  const perSecond = wholeFlag('frames-per-second', perSecondRaw, FRAME_RATE.perSecond);
  const burst = wholeFlag('frame-burst', burstRaw, FRAME_RATE.burst);
  // A client is cut once it has ignored ten bursts' worth of refusals (never fewer than by default).
  return { perSecond, burst, closeAfterRefused: Math.max(FRAME_RATE.closeAfterRefused, 10 * burst) };
}

/** The certificate chain and key for serving TLS directly, both PEM files, or null for plain HTTP. */
function readTls(certPath: string | undefined, keyPath: string | undefined): CliOptions['tls'] {
  if (certPath === undefined && keyPath === undefined) return null;
  if (certPath === undefined || keyPath === undefined)
    fail('--tls-cert and --tls-key go together: the certificate chain and its key (PEM)');
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      fail(`--${flag} ${path}: ${(error as Error).message}`);
    }
  };
  return { cert: read('tls-cert', certPath), key: read('tls-key', keyPath) };
}

function readStoreChoice(raw: string | undefined, nodeId: string | undefined, poolSize: string | undefined): StoreChoice {
  if (raw === undefined || raw === 'sqlite') {
    if (nodeId !== undefined || poolSize !== undefined) fail('--node-id and --pool-size are for --store postgres://…');
    return { kind: 'sqlite' };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(`--store must be "sqlite" or a postgres:// URL, got something else\n${USAGE}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    fail(`--store must be "sqlite" or a postgres:// URL, got a ${url.protocol} URL`);
  }
  const size = poolSize === undefined ? DEFAULT_POOL_SIZE : Number(poolSize);
  if (!Number.isInteger(size) || size < 1 || size > 1000)
    fail(`--pool-size must be a whole number from 1 to 1000, got "${poolSize}"`);
  const id = nodeId ?? `${hostname()}-${process.pid}-${realRuntime().random.hex(3)}`;
  if (!/^[\w.-]{1,100}$/.test(id)) fail(`--node-id must be 1 to 100 letters, digits, '.', '_' or '-', got "${nodeId}"`);
  return { kind: 'postgres', url: raw, nodeId: id, poolSize: size };
}

/** The PostgreSQL database as logs may name it: never the password. */
function describeDatabase(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

/** The options that differ by store: the store itself (owned here) and, for PostgreSQL, the cluster. */
async function storeOptions(
  choice: StoreChoice,
  logger: ServerLogger,
): Promise<{ options: Partial<SyncServerOptions>; store: ServerStore | null }> {
  switch (choice.kind) {
    case 'sqlite':
      return { options: {}, store: null };
    case 'postgres': {
      const metrics = createServerMetrics();
      const runtime = realRuntime();
      const store = await openPostgresServerStore(choice.url, {
        poolSize: choice.poolSize,
        onPoolWait: (ms) => metrics.dbPoolWait.observe(ms / 1000),
        onEnvelopeRun: (envelopes) => metrics.dbEnvelopeRun.observe(envelopes),
        onReceiptRun: (receipts) => metrics.dbReceiptRun.observe(receipts),
      });
      logger.info('Using PostgreSQL', { database: describeDatabase(choice.url), node: choice.nodeId });
      // Each run registers under a name of its own, so the others see a node that died and came back
      // under the same --node-id as a death (and catch up what it may not have told them).
      const nodeId = `${choice.nodeId}~${runtime.random.hex(3)}`;
      const bus = new PostgresClusterBus({ url: choice.url, pool: store.pool, nodeId, runtime, logger });
      return {
        options: { store, metrics, runtime, cluster: { nodeId, bus, directory: new PostgresNodeDirectory(store.pool) } },
        store,
      };
    }
    default: {
      const unknown: never = choice;
      throw new Error(`Unknown store ${JSON.stringify(unknown)}`);
    }
  }
}

async function main(): Promise<void> {
  const {
    store: storeChoice,
    host,
    port,
    dataDir,
    maxGroupMembers,
    maxFileBytes,
    quotaBytes,
    logLevel,
    tls,
    trustedProxies,
    frameRate,
    connectionCaps,
    turn,
    gifs,
  } = readOptions();
  ensurePrivateDir(dataDir);
  const logger: ServerLogger = createPinoLogger({ level: logLevel });
  let server: RunningServer;
  let ownedStore: ServerStore | null = null;
  let gifProvider;
  try {
    gifProvider = gifs ? await openGifProvider(gifs) : null;
  } catch (error) {
    fail(`Cannot start: --gif-provider: ${(error as Error).message}`);
  }
  try {
    const chosen = await storeOptions(storeChoice, logger);
    ownedStore = chosen.store;
    server = await startSyncServer({
      host,
      port,
      dataDir,
      maxGroupMembers,
      maxFileBytes,
      quotaBytes,
      logger,
      trustedProxies,
      frameRate,
      connectionCaps,
      ...(tls ? { tls } : {}),
      ...(turn ? { turn } : {}),
      ...(gifProvider ? { gifs: { provider: gifProvider } } : {}),
      ...chosen.options,
    });
  } catch (error) {
    await ownedStore?.close().catch(() => undefined);
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
    server
      .close()
      .then(() => ownedStore?.close())
      .then(
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

// `migrate-store` and `purge-plaintext` are one-shot commands with flags of their own, not a server.
if (process.argv[2] === 'migrate-store') {
  void import('./migrate-store-cli.js')
    .then(({ runMigrateStore }) => runMigrateStore(process.argv.slice(3)))
    .then((code) => process.exit(code));
} else if (process.argv[2] === 'purge-plaintext') {
  void import('./purge-plaintext-cli.js')
    .then(({ runPurgePlaintext }) => runPurgePlaintext(process.argv.slice(3)))
    .then((code) => process.exit(code));
} else {
  void main();
}
