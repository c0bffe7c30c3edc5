import type { TurnConfig } from './turn-credentials.js';
import type { Runtime } from '../common/runtime.js';
import { ATTACHMENT_LIMITS } from '../protocol/attachments.js';
import type { TimerHandle } from '../common/runtime.js';
import { SESSION_ENDED_CLOSE_CODE } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import type { ServerLimits } from './frame-handlers.js';
import type { ClusterBus, ClusterTiming, NodeDirectory } from './cluster/cluster-signal.js';
import { DEFAULT_CREATION_CAPS, type CreationCaps } from './store/cap-rules.js';
import { DEFAULT_SETTINGS_BUDGET, type SettingsBudget } from './store/settings-rules.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { FrameThrottle, type FrameThrottleLimits } from './frame-throttle.js';
import { checkFrameRate, FRAME_RATE, type FrameRateLimits } from './connection-rate.js';
import { ConnectionRegistry } from './connection-registry.js';
import { SyncConnection } from './connection.js';
import { Delivery } from './delivery.js';
import { InFlight } from './in-flight.js';
import { completeLogger, type ServerLogger, type ServerLoggerInput } from './logger.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { Presence } from './presence.js';
import type { ServerSocket } from './server-socket.js';
import { CatchUpPacer } from './catch-up-pacer.js';
import { SessionBook, type AuthenticatedSession } from './session-book.js';
import type { ServerStore } from './store/server-store.js';

export interface SyncServiceOptions {
  /** The caller opened it and closes it, after `close()` below. */
  store: ServerStore;
  runtime: Runtime;
  logger: ServerLoggerInput;
  /** Where connection and frame metrics go; a private registry (no process metrics) unless given. */
  metrics?: ServerMetrics;
  /** Interval of the dead-peer check on sockets; 0 disables it. */
  heartbeatMs: number;
  /** How often open sockets' sessions are checked again (SESSION_RECHECK_MS unless given); 0 disables it. */
  sessionRecheckMs?: number;
  /** The most members one group may have (at most LIMITS.maxGroupMembers). */
  maxGroupMembers?: number;
  /** What one person may create in an hour (DEFAULT_CREATION_CAPS unless given). */
  caps?: CreationCaps;
  /** What one person's sealed settings may hold (DEFAULT_SETTINGS_BUDGET unless given). */
  settingsBudget?: SettingsBudget;
  /** The largest file it takes (at most ATTACHMENT_LIMITS.maxFileBytes; default 100 MiB), told in the welcome. */
  maxFileBytes?: number;
  /** Username lookups and typing relays per user (FRAME_THROTTLE unless given). */
  frameThrottle?: Partial<FrameThrottleLimits>;
  /** How many frames each connection may send (FRAME_RATE unless given). */
  frameRate?: FrameRateLimits;
  /** Other nodes share the store: how to reach them. Absent on a single node. */
  cluster?: ClusterOptions;
  /** The TURN relay calls may use; none unless given. */
  turn?: TurnConfig;
}

export interface ClusterOptions {
  /** Unique among the nodes; names this node's connections in logs too. */
  nodeId: string;
  bus: ClusterBus;
  directory: NodeDirectory;
  /** Heartbeat and death timing; CLUSTER_TIMING unless given. */
  timing?: ClusterTiming;
}

/** A connection cut so that its client reconnects and catches up (WebSocket 1012: service restart). */
export const RESYNC_CLOSE_CODE = 1012;

/**
 * The sync socket's logic with no network attached: who is connected (registry), their presence,
 * and the work in flight. The WebSocket server hands it authenticated sockets through `attach`;
 * the simulation does the same with in-memory sockets, so both run exactly this code.
 */
/**
 * How often each node checks its sockets' sessions again: a revocation whose cluster signal was
 * lost ends its sockets within this (a lost signal is also noticed at the next one, as a gap).
 */
export const SESSION_RECHECK_MS = 30_000;

/** Sessions rechecked in one statement. */
const RECHECK_BATCH = 500;

/** A socket whose session the recheck could not confirm: try again later (the client reconnects). */
const RECHECK_FAILED_CLOSE_CODE = 1013;

export class SyncService {
  readonly store: ServerStore;
  /** Shared with the HTTP layer, so shutdown waits for both before the store closes. */
  readonly inFlight = new InFlight();
  private readonly registry = new ConnectionRegistry<SyncConnection>();
  private readonly presence: Presence;
  private readonly delivery: Delivery;
  private readonly cluster: ClusterNode | null;
  private readonly connectionPrefix: string;
  private readonly runtime: Runtime;
  private readonly logger: ServerLogger;
  private readonly heartbeatMs: number;
  private connections = 0;
  readonly metrics: ServerMetrics;
  readonly limits: ServerLimits;
  private readonly throttle: FrameThrottle;
  private readonly catchUpPacer: CatchUpPacer;
  /** Opens, checks and ends sessions; shared with the HTTP endpoints. */
  readonly sessions: SessionBook;
  private recheckTimer: TimerHandle | null = null;
  private readonly sessionRecheckMs: number;
  private readonly frameRate: FrameRateLimits;
  private readonly turn: TurnConfig | null;

  constructor(options: SyncServiceOptions) {
    this.store = options.store;
    this.runtime = options.runtime;
    this.logger = completeLogger(options.logger);
    this.metrics = options.metrics ?? createServerMetrics({ processMetrics: false });
    this.metrics.measureOutputBuffered(() => this.registry.all().reduce((sum, connection) => sum + connection.bufferedBytes, 0));
    this.heartbeatMs = options.heartbeatMs;
    this.sessionRecheckMs = options.sessionRecheckMs ?? SESSION_RECHECK_MS;
    this.throttle = new FrameThrottle(options.runtime.clock, options.frameThrottle);
    this.frameRate = checkFrameRate(options.frameRate ?? FRAME_RATE);
    this.turn = options.turn ?? null;
    this.limits = {
      maxGroupMembers: Math.min(options.maxGroupMembers ?? LIMITS.maxGroupMembers, LIMITS.maxGroupMembers),
      maxFileBytes: Math.min(options.maxFileBytes ?? ATTACHMENT_LIMITS.defaultMaxFileBytes, ATTACHMENT_LIMITS.maxFileBytes),
      caps: options.caps ?? DEFAULT_CREATION_CAPS,
      settingsBudget: options.settingsBudget ?? DEFAULT_SETTINGS_BUDGET,
    };
    this.cluster = options.cluster
      ? new ClusterNode({
          ...options.cluster,
          store: options.store,
          registry: this.registry,
          runtime: options.runtime,
          logger: this.logger,
          metrics: this.metrics,
          inFlight: this.inFlight,
          resync: () => void this.closeConnections(RESYNC_CLOSE_CODE, 'Catch up again'),
          vanished: (userId, at) => this.presence.vanished(userId, at),
          appeared: (userId) => this.presence.appeared(userId),
          stillOnline: (userId) => this.presence.stillOnline(userId),
          sessionsEnded: (userId, sessionIds) => this.closeSessions(userId, sessionIds),
        })
      : null;
    this.catchUpPacer = new CatchUpPacer(options.runtime);
    this.sessions = new SessionBook({
      store: options.store,
      clock: options.runtime.clock,
      randomHex: (bytes) => options.runtime.random.hex(bytes),
      randomId: () => options.runtime.random.hex(16),
      ended: (userId, sessionIds) => this.sessionsEnded(userId, sessionIds),
    });
    this.connectionPrefix = options.cluster ? `${options.cluster.nodeId}-c` : 'c';
    this.delivery = new Delivery(this.registry, this.cluster);
    this.presence = new Presence({
      store: options.store,
      registry: this.delivery,
      cluster: this.cluster,
      clock: options.runtime.clock,
      logger: this.logger,
      inFlight: this.inFlight,
    });
  }

  /** Joins the cluster, when there is one: heartbeat, the others' users, their signals. */
  async start(): Promise<void> {
    await this.cluster?.start();
    if (this.sessionRecheckMs > 0) this.scheduleSessionRecheck();
  }

  /** The user and session a token opens (marking it used), or null. Throws when the store fails. */
  authenticate(token: string): Promise<AuthenticatedSession | null> {
    return this.sessions.use(token);
  }

  /**
   * Sessions ended (signed out, ended from another device, a password changed): their sockets
   * here close now, and the other nodes are told to close theirs.
   */
  private sessionsEnded(userId: string, sessionIds: readonly string[]): void {
    this.closeSessions(userId, sessionIds);
    this.cluster?.publish({ kind: 'sessions_ended', userId, sessionIds: [...sessionIds] });
  }

  private closeSessions(userId: string, sessionIds: readonly string[]): void {
    for (const connection of this.registry.connectionsOf(userId)) {
      if (sessionIds.includes(connection.session.sessionId)) void connection.close(SESSION_ENDED_CLOSE_CODE, 'Session ended');
    }
  }

  /**
   * Sockets outlive the check at their upgrade: every SESSION_RECHECK_MS, the session of each open
   * socket is used again, which keeps a session in use from expiring and closes the socket of one
   * that expired, or was revoked while the signal about it was lost. Mostly reads: a session's last
   * use is written at most every sessionTouchEveryMs. RECHECK_BATCH sessions a statement, one
   * statement at a time: a statement each, a node's thousands of sockets cost the database as many
   * round trips every round, and all at once they queued ahead of every message.
   */
  private async recheckSessions(): Promise<void> {
    const socketsOf = new Map<string, SyncConnection[]>();
    for (const connection of this.registry.all()) {
      const sockets = socketsOf.get(connection.session.tokenHash);
      if (sockets) sockets.push(connection);
      else socketsOf.set(connection.session.tokenHash, [connection]);
    }
    const tokenHashes = [...socketsOf.keys()];
    for (let start = 0; start < tokenHashes.length; start += RECHECK_BATCH) {
      const batch = tokenHashes.slice(start, start + RECHECK_BATCH);
      const open = await this.sessions.useHashes(batch).catch((error: unknown) => {
        this.logger.error('Could not recheck sessions', error, { sessions: batch.length });
        return null;
      });
      // Fails closed: a socket whose session cannot be confirmed goes; its client comes back
      // through the upgrade's check (1013: try again later, not signed out).
      const [code, reason] =
        open === null
          ? [RECHECK_FAILED_CLOSE_CODE, 'Session could not be confirmed']
          : [SESSION_ENDED_CLOSE_CODE, 'Session ended'];
      const closing = batch.filter((tokenHash) => !open?.has(tokenHash)).flatMap((tokenHash) => socketsOf.get(tokenHash) ?? []);
      await Promise.all(closing.map((connection) => connection.close(code, reason)));
    }
  }

  private scheduleSessionRecheck(): void {
    this.recheckTimer = this.runtime.timers.setTimeout(() => {
      void this.inFlight.track(this.recheckSessions()).finally(() => {
        if (this.recheckTimer !== null) this.scheduleSessionRecheck();
      });
    }, this.sessionRecheckMs);
  }

  /** Starts serving an authenticated socket: welcome, presence, then its frames in order. */
  attach(socket: ServerSocket, session: AuthenticatedSession): SyncConnection {
    const connection = new SyncConnection(
      socket,
      session,
      {
        store: this.store,
        runtime: this.runtime,
        registry: this.registry,
        delivery: this.delivery,
        logger: this.logger,
        inFlight: this.inFlight,
        presence: this.presence,
        heartbeatMs: this.heartbeatMs,
        limits: this.limits,
        metrics: this.metrics,
        throttle: this.throttle,
        frameRate: this.frameRate,
        catchUpPacer: this.catchUpPacer,
        turn: this.turn,
      },
      `${this.connectionPrefix}${++this.connections}`,
    );
    connection.start();
    return connection;
  }

  /** Closes every open connection with `code`; resolves once each has closed. */
  async closeConnections(code = 1001, reason = 'Server shutting down'): Promise<void> {
    await Promise.all(this.registry.all().map((connection) => connection.close(code, reason)));
  }

  /**
   * Closes every connection and waits for the work in flight. Each close takes its user offline,
   * which records their last-seen time, so this must finish before the store closes.
   */
  async close(code = 1001, reason = 'Server shutting down'): Promise<void> {
    this.cluster?.stopListening();
    if (this.recheckTimer !== null) this.runtime.timers.clearTimeout(this.recheckTimer);
    this.recheckTimer = null;
    await this.closeConnections(code, reason);
    await this.inFlight.drain();
    await this.leaveCluster();
  }

  /** Stops heartbeats and signals and forgets this node's users in the directory; after the connections closed. */
  async leaveCluster(): Promise<void> {
    await this.cluster?.stop();
  }
}
