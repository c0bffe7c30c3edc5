import type { TurnConfig } from './turn-credentials.js';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Runtime } from '../common/runtime.js';
import { ATTACHMENT_LIMITS } from '../protocol/attachments.js';
import { SYNC_PATH } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import { offersSyncProtocol, PROTOCOL_HEADER, SYNC_PROTOCOL, UPGRADE_REQUIRED_STATUS } from '../protocol/version.js';
import { realRuntime } from '../node/real-runtime.js';
import { AttachmentFiles } from './attachments/attachment-files.js';
import { DISAPPEARING_SWEEP_MS } from './disappearing-sweep.js';
import type { GifsOptions } from './gifs/gifs-endpoint.js';
import { startHousekeeping } from './housekeeping.js';
import { requestPath } from './http-body.js';
import { httpRoute, observeHttp } from './http-log.js';
import { createHttpRouter } from './http-router.js';
import { completeLogger, createPinoLogger, type ServerLoggerInput } from './logger.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { AccountGuard, memoryLimiters, postgresLimiters, type AccountLimits } from './account-limits.js';
import { clientAddressResolver } from './client-address.js';
import { ConnectionCounter, DEFAULT_CONNECTION_CAPS, type ConnectionCaps } from './connection-caps.js';
import type { FrameThrottleLimits } from './frame-throttle.js';
import type { FrameRateLimits } from './connection-rate.js';
import { createPasswordHasher, type HashingLimits, type PasswordCost } from './passwords.js';
import { bearerToken } from './session-tokens.js';
import type { ServerStore } from './store/server-store.js';
import { PostgresServerStore } from './store/pg-server-store.js';
import type { CreationCaps } from './store/cap-rules.js';
import type { SettingsBudget } from './store/settings-rules.js';
import { openSqliteServerStore } from './store/sqlite-server-store.js';
import { refuseWhilePlaintextHeld } from './plaintext.js';
import { SyncService, type ClusterOptions } from './sync-service.js';
import { wsServerSocket } from './ws-server-socket.js';

export interface SyncServerOptions {
  /** Interface to listen on; 127.0.0.1 unless told otherwise, so nothing is exposed by accident. */
  host?: string;
  /**
   * Serve TLS directly (https:// and wss://) with this certificate chain and key, both PEM; plain
   * http:// and ws:// without (a TLS-terminating load balancer in front, or loopback).
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** 0 picks a free port; read it back from `RunningServer.port`. */
  port: number;
  /** Holds server.sqlite (unless `store` is given) and attachments/. Created if missing. */
  dataDir: string;
  runtime?: Runtime;
  /** scrypt cost for new passwords; tests pass a cheap one. */
  passwordCost?: PasswordCost;
  /** Username lookups and typing relays per user (FRAME_THROTTLE unless given). */
  frameThrottle?: Partial<FrameThrottleLimits>;
  /** How many frames each sync connection may send (FRAME_RATE unless given). */
  frameRate?: FrameRateLimits;
  /** The TURN relay calls may use (`--turn-url`, `--turn-secret`); calls use the devices' own addresses without one. */
  turn?: TurnConfig;
  /** GIF search through a provider (`--gif-provider`); without one the GIF endpoints answer 404 `gifs_not_configured`. */
  gifs?: GifsOptions;
  /**
   * The load balancers in front of this server (IP addresses): from them, and only from them, a
   * request's client is read from X-Forwarded-For, so per-address limits count clients, not the
   * balancer. None by default: the header is ignored.
   */
  trustedProxies?: readonly string[];
  /** How often sign-in and sign-up may be tried (DEFAULT_ACCOUNT_LIMITS unless given). */
  accountLimits?: AccountLimits;
  /** How many password hashes run at once and wait (DEFAULT_HASHING_LIMITS unless given). */
  hashingLimits?: HashingLimits;
  /** A store to use instead of `<dataDir>/server.sqlite`. The caller keeps ownership and closes it. */
  store?: ServerStore;
  /** JSON lines on stderr at info (pino) unless given; tests pass one that collects. */
  logger?: ServerLoggerInput;
  /** A registry of this server's own (with process metrics) unless given. */
  metrics?: ServerMetrics;
  /** How long shutdown lets in-flight requests and sockets finish before cutting them; 8 s by default. */
  drainMs?: number;
  /** The most members one group may have; LIMITS.maxGroupMembers (1,000) unless set lower. */
  maxGroupMembers?: number;
  /** What one person may create in an hour: conversations, and people added to groups (ACCOUNT_CAPS unless given). */
  caps?: CreationCaps;
  /**
   * What one person's sealed settings may hold: how many registers, and their size
   * (ACCOUNT_CAPS.maxSealedSettings and maxSealedSettingsBytes unless given).
   */
  settingsBudget?: SettingsBudget;
  /** Sync sockets one account and one address may hold open on this node (connection-caps.ts). */
  connectionCaps?: ConnectionCaps;
  /** Interval of the dead-peer check on sockets; 0 disables it. Default 30 s. */
  heartbeatMs?: number;
  /** How often open sockets' sessions are checked again; 0 disables it. Default an hour. */
  sessionRecheckMs?: number;
  /** The largest file one upload may be; ATTACHMENT_LIMITS.defaultMaxFileBytes (100 MiB) unless set (at most 2 GiB). */
  maxFileBytes?: number;
  /** How much one person's kept uploads may add up to; 10 GiB unless set. */
  quotaBytes?: number;
  /** How often envelopes whose disappearing-message timer ran out are purged; 0 disables it. Default 10 s. */
  disappearingSweepMs?: number;
  /** Other nodes share `store` (PostgreSQL): how this node reaches them. */
  cluster?: ClusterOptions;
}

export const DEFAULT_QUOTA_BYTES = 10 * 1024 * 1024 * 1024;
/** Under the 10 s an orchestrator gives after SIGTERM, with room for the store to close. */
export const DEFAULT_DRAIN_MS = 8_000;

export interface RunningServer {
  port: number;
  /** ws://host:port (wss:// with TLS) — where clients connect (the sync socket lives at SYNC_PATH below it). */
  url: string;
  /** http://host:port (https:// with TLS) — base of the account endpoints. */
  httpUrl: string;
  /**
   * Drains: stops listening, answers /v1/ready 503 and other new requests 503, lets requests in
   * flight finish, closes every socket with 1001, cuts whatever is left after `drainMs`, then
   * closes the database. Safe to call more than once.
   */
  close(): Promise<void>;
}

export async function startSyncServer(options: SyncServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const runtime = options.runtime ?? realRuntime();
  const logger = completeLogger(options.logger ?? createPinoLogger());
  const metrics = options.metrics ?? createServerMetrics();
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  // Before the store opens: a bad cost must not leave a database handle behind.
  const passwords = createPasswordHasher((bytes) => runtime.random.hex(bytes), options.passwordCost, options.hashingLimits);
  const maxFileBytes = options.maxFileBytes ?? ATTACHMENT_LIMITS.defaultMaxFileBytes;
  if (!Number.isInteger(maxFileBytes) || maxFileBytes < 1 || maxFileBytes > ATTACHMENT_LIMITS.maxFileBytes) {
    throw new RangeError(`maxFileBytes must be a whole number from 1 to ${ATTACHMENT_LIMITS.maxFileBytes}`);
  }
  const quotaBytes = options.quotaBytes ?? DEFAULT_QUOTA_BYTES;
  const clientAddress = clientAddressResolver(options.trustedProxies ?? []);
  const files = new AttachmentFiles(options.dataDir);
  const ownsStore = options.store === undefined;
  const store =
    options.store ??
    openSqliteServerStore(options.dataDir, {
      backgroundCheckpoints: { onError: (error) => logger.error('SQLite checkpoints are back on the main thread', error) },
    });
  const service = new SyncService({
    store,
    runtime,
    logger,
    metrics,
    heartbeatMs: options.heartbeatMs ?? 30_000,
    ...(options.sessionRecheckMs !== undefined ? { sessionRecheckMs: options.sessionRecheckMs } : {}),
    maxFileBytes,
    ...(options.maxGroupMembers !== undefined ? { maxGroupMembers: options.maxGroupMembers } : {}),
    ...(options.caps ? { caps: options.caps } : {}),
    ...(options.settingsBudget ? { settingsBudget: options.settingsBudget } : {}),
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.frameThrottle ? { frameThrottle: options.frameThrottle } : {}),
    ...(options.frameRate ? { frameRate: options.frameRate } : {}),
    ...(options.turn ? { turn: options.turn } : {}),
  });
  const { inFlight } = service;
  const openSockets = new ConnectionCounter(options.connectionCaps ?? DEFAULT_CONNECTION_CAPS);
  let closing = false;

  const draining = () => closing;
  // Nodes sharing a PostgreSQL store share the counts too; one SQLite server counts in memory.
  const accountGuard = new AccountGuard(
    options.accountLimits,
    store instanceof PostgresServerStore ? postgresLimiters(store.pool) : memoryLimiters,
  );
  const handleHttp = observeHttp(
    { logger, metrics, draining },
    createHttpRouter({
      store,
      sessions: service.sessions,
      passwords,
      accountGuard,
      clientAddress,
      runtime,
      logger,
      files,
      maxFileBytes,
      quotaBytes,
      inFlight,
      metrics,
      draining,
      gifs: options.gifs ?? null,
    }),
  );
  const onRequest: RequestListener = (req, res) => void inFlight.track(handleHttp(req, res));
  const httpServer: Server = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createServer(onRequest);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.maxFrameBytes,
    // Offered, or the upgrade was refused above.
    handleProtocols: () => SYNC_PROTOCOL,
  });
  wss.on('headers', (headers) => headers.push(`${PROTOCOL_HEADER}: ${SYNC_PROTOCOL}`));

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const path = requestPath(req);
    const refuse = (status: number, text: string) => {
      metrics.httpRequests.inc({ route: httpRoute(path), status: String(status) });
      logger.info('Refused a socket', { path, status });
      refuseUpgrade(socket, status, text);
    };
    if (closing) return refuse(503, 'Service Unavailable');
    if (path !== SYNC_PATH) return refuse(404, 'Not Found');
    // An app older than this server (from before end-to-end encryption, say): told to update, never served.
    if (!offersSyncProtocol(req.headers['sec-websocket-protocol'])) return refuse(UPGRADE_REQUIRED_STATUS, 'Upgrade Required');
    const token = bearerToken(req.headers.authorization);
    let user;
    try {
      user = token ? await service.authenticate(token) : null;
    } catch (error) {
      logger.error('Session lookup failed during upgrade', error);
      return refuse(500, 'Internal Server Error');
    }
    if (!user) return refuse(401, 'Unauthorized');
    // The lookup was async: the server may have started closing, or the client given up.
    if (closing || socket.destroyed) return void socket.destroy();
    const authenticated = user;
    const address = clientAddress(req);
    // The owner's devices connect from here: it stays theirs to sign in from during a guessing attack.
    accountGuard.addressUsed(address, authenticated.user.username).catch((error: unknown) => {
      logger.warn('Could not note the address a session connected from', { error: String(error) });
    });
    const counted = openSockets.take(authenticated.user.id, address);
    if ('over' in counted) {
      logger.info('Refused a socket over the connection cap', { cap: counted.over, userId: authenticated.user.id });
      return refuse(429, 'Too Many Requests');
    }
    metrics.httpRequests.inc({ route: SYNC_PATH, status: '101' });
    let attached = false;
    wss.handleUpgrade(req, socket, head, (ws) => {
      attached = true;
      ws.once('close', counted.release);
      service.attach(wsServerSocket(ws), authenticated);
    });
    // ws completes an upgrade at once, or not at all (the socket was gone): nothing to count then.
    if (!attached) counted.release();
  }
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const attempt = upgrade(req, socket, head).catch((error: unknown) => {
      logger.error('WebSocket upgrade failed', error);
      socket.destroy();
    });
    void inFlight.track(attempt);
  });

  try {
    await refuseWhilePlaintextHeld(store);
    await service.start();
    await listen(httpServer, options.port, host);
  } catch (error) {
    await service.leaveCluster();
    if (ownsStore) await store.close();
    throw error;
  }
  const address = httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('The server has no TCP address');
  const housekeeping = startHousekeeping({
    store,
    files,
    runtime,
    logger,
    inFlight,
    disappearingSweepMs: options.disappearingSweepMs ?? DISAPPEARING_SWEEP_MS,
  });
  const hostInUrl = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing = true;
    const started = Date.now();
    logger.info('Draining', { drainMs });
    housekeeping.stop();
    // No new connections; keep-alive connections close as soon as they are idle (their requests
    // in flight answered), checked often since a request may finish at any moment.
    const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    const idleSweep = setInterval(() => httpServer.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      logger.warn('Drain deadline reached: cutting what remains', { drainMs });
      httpServer.closeAllConnections();
      for (const ws of wss.clients) ws.terminate();
    }, drainMs);
    try {
      // Each close takes its user offline, which records their last-seen time; drain() below waits
      // for those writes before the store closes.
      await service.closeConnections(1001, 'Server shutting down');
      // Sockets still mid-handshake were never registered; they cannot finish now anyway.
      for (const ws of wss.clients) ws.terminate();
      await stopped;
      await inFlight.drain();
      await service.leaveCluster();
    } finally {
      clearInterval(idleSweep);
      clearTimeout(deadline);
    }
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (ownsStore) await store.close();
    logger.info('Stopped', { ms: Date.now() - started });
  }

  logger.info('Listening', { host, port: address.port });
  return {
    port: address.port,
    url: `${options.tls ? 'wss' : 'ws'}://${hostInUrl}:${address.port}`,
    httpUrl: `${options.tls ? 'https' : 'http'}://${hostInUrl}:${address.port}`,
    close: () => (closed ??= shutdown()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Answers a refused upgrade with a bare HTTP status, then hangs up. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  const auth = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${auth}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
