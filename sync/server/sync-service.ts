import type { Runtime } from '../common/runtime.js';
import { ATTACHMENT_LIMITS } from '../protocol/attachments.js';
import type { User } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import type { ServerLimits } from './frame-handlers.js';
import type { ClusterBus, ClusterTiming, NodeDirectory } from './cluster/cluster-signal.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { FrameThrottle, type FrameThrottleLimits } from './frame-throttle.js';
import { ConnectionRegistry } from './connection-registry.js';
import { SyncConnection } from './connection.js';
import { Delivery } from './delivery.js';
import { InFlight } from './in-flight.js';
import { completeLogger, type ServerLogger, type ServerLoggerInput } from './logger.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { Presence } from './presence.js';
import type { ServerSocket } from './server-socket.js';
import { hashSessionToken } from './session-tokens.js';
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
  /** The most members one group may have (at most LIMITS.maxGroupMembers). */
  maxGroupMembers?: number;
  /** The largest file it takes (at most ATTACHMENT_LIMITS.maxFileBytes; default 100 MiB), told in the welcome. */
  maxFileBytes?: number;
  /** Username lookups and typing relays per user (FRAME_THROTTLE unless given). */
  frameThrottle?: FrameThrottleLimits;
  /** Other nodes share the store: how to reach them. Absent on a single node. */
  cluster?: ClusterOptions;
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

  constructor(options: SyncServiceOptions) {
    this.store = options.store;
    this.runtime = options.runtime;
    this.logger = completeLogger(options.logger);
    this.metrics = options.metrics ?? createServerMetrics({ processMetrics: false });
    this.metrics.measureOutputBuffered(() => this.registry.all().reduce((sum, connection) => sum + connection.bufferedBytes, 0));
    this.heartbeatMs = options.heartbeatMs;
    this.throttle = new FrameThrottle(options.runtime.clock, options.frameThrottle);
    this.limits = {
      maxGroupMembers: Math.min(options.maxGroupMembers ?? LIMITS.maxGroupMembers, LIMITS.maxGroupMembers),
      maxFileBytes: Math.min(options.maxFileBytes ?? ATTACHMENT_LIMITS.defaultMaxFileBytes, ATTACHMENT_LIMITS.maxFileBytes),
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
        })
      : null;
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
  }

  /** The user a session token belongs to, or null. Throws when the store fails. */
  authenticate(token: string): Promise<User | null> {
    return this.store.findUserBySessionHash(hashSessionToken(token));
  }

  /** Starts serving an authenticated socket: welcome, presence, then its frames in order. */
  attach(socket: ServerSocket, user: User): SyncConnection {
    const connection = new SyncConnection(
      socket,
      user,
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
    await this.closeConnections(code, reason);
    await this.inFlight.drain();
    await this.leaveCluster();
  }

  /** Stops heartbeats and signals and forgets this node's users in the directory; after the connections closed. */
  async leaveCluster(): Promise<void> {
    await this.cluster?.stop();
  }
}
