import { UNCAPPED } from '../../sync/server/store/cap-rules.js';
import { join } from 'node:path';
import { CLUSTER_TIMING } from '../../sync/server/cluster/cluster-signal.js';
import { openSqliteServerStore, type SqliteServerStore } from '../../sync/server/store/sqlite-server-store.js';
import { SyncService } from '../../sync/server/sync-service.js';
import { MemoryCluster } from './memory-cluster.js';
import type { Network } from './network.js';
import type { SeededRandom } from './random.js';
import { settleMicrotasks, type Lifetime, type Scheduler } from './scheduler.js';

/** One place in the cluster: a node process that may crash and come back, each time as a new life. */
export interface SimNode {
  /** The node's id in this life (a node may come back under a new one). */
  nodeId: string;
  lifetime: Lifetime;
  /** Null while the process is down or draining. */
  service: SyncService | null;
  /** Joined the cluster and taking connections. */
  ready: boolean;
  lives: number;
}

export interface ServerHooks {
  /** An error the server logged: none is expected. */
  error(line: string): void;
  /** Only when tracing: building a line per signal is not free. */
  trace?: (line: string) => void;
  /** The store was opened (at the start, and again after each whole-server restart). */
  storeOpened?: (store: SqliteServerStore) => void;
}

/** How long a clean shutdown may take, in virtual time, before it counts as hung. */
const DRAIN_LIMIT_MS = 60_000;
const DRAIN_STEP_MS = 10;
/**
 * How long the other nodes may take to notice that one died: its heartbeat grows too old, then each
 * of them looks on its next tick (and has its clients catch up what the dead node may never have
 * announced).
 */
const DEATH_NOTICED_MS = CLUSTER_TIMING.deadAfterMs + 2 * CLUSTER_TIMING.heartbeatMs;

/**
 * The server: one SQLite store shared by one to three SyncService nodes, each with its own
 * lifetime and, when there are several, joined by the memory cluster. The network is their load
 * balancer. A node crashes (its sockets reset, nothing more of it runs) or drains cleanly, and
 * comes back after a while; the whole server (every node and the store) restarts too.
 */
export class SimServer {
  readonly nodes: SimNode[];
  /** Null with a single node: it runs without any cluster, as the embedded server does. */
  readonly cluster: MemoryCluster | null;
  private openStore: SqliteServerStore | null = null;
  /** Between start() and stopAll(): a node that went down alone may come back. */
  private running = false;
  /** When a node last died while others ran on; -Infinity when none did. */
  private lastDeathAt = -Infinity;

  constructor(
    private readonly root: string,
    nodeCount: number,
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
    private readonly network: Network,
    private readonly hooks: ServerHooks,
  ) {
    this.nodes = Array.from({ length: nodeCount }, (_, slot) => ({
      nodeId: `n${slot + 1}`,
      lifetime: { name: `n${slot + 1}`, alive: false },
      service: null,
      ready: false,
      lives: 0,
    }));
    this.cluster =
      nodeCount > 1
        ? new MemoryCluster(scheduler, random.fork(), {
            faults: () => ({
              drop: network.faults.clusterDrop,
              lostNotify: network.faults.clusterLostNotify,
              maxDelayMs: network.faults.clusterMaxDelayMs,
            }),
            error: (line) => hooks.error(line),
            ...(hooks.trace ? { trace: hooks.trace } : {}),
          })
        : null;
  }

  /** The shared store; only while the server is up. */
  get store(): SqliteServerStore {
    if (!this.openStore) throw new Error('The server is down');
    return this.openStore;
  }

  get up(): boolean {
    return this.openStore !== null;
  }

  /** Why the server is not settled, or null: a node still down or joining, or a death the others have not noticed yet. */
  get unsettled(): string | null {
    const waiting = this.nodes.filter((node) => !node.ready);
    if (waiting.length > 0) return `server nodes ${waiting.map((node) => node.nodeId).join(', ')} not up yet`;
    const sinceDeath = this.scheduler.now - this.lastDeathAt;
    return sinceDeath < DEATH_NOTICED_MS ? `a node died ${sinceDeath} ms ago: the others may not have noticed yet` : null;
  }

  /** Opens the store and starts every node; each takes connections once it has joined the cluster. */
  start(): void {
    this.openStore = openSqliteServerStore(join(this.root, 'server'));
    this.hooks.storeOpened?.(this.openStore);
    this.running = true;
    for (const node of this.nodes) this.startNode(node, node.nodeId);
  }

  /** One node taking connections, chosen at random (as the load balancer would); null when none is. */
  pickReady(): SimNode | null {
    const ready = this.nodes.filter((node) => node.ready);
    return ready.length === 0 ? null : ready[this.random.int(0, ready.length - 1)]!;
  }

  /**
   * The node's process dies: its sockets reset, its timers die, and it comes back after `downMs`,
   * under the same id or a new one. Its heartbeat stops meanwhile, so the others reap it.
   */
  async crashNode(slot: number, downMs: number, sameId: boolean): Promise<void> {
    const node = this.nodes[slot % this.nodes.length]!;
    if (!node.service) return;
    this.hooks.trace?.(`server: ${node.nodeId} crashes`);
    this.network.serverCrashed(node.service);
    this.stopNode(node);
    if (this.cluster) this.lastDeathAt = this.scheduler.now;
    await settleMicrotasks();
    this.planRestart(node, downMs, sameId ? node.nodeId : `n${(slot % this.nodes.length) + 1}.${node.lives + 1}`);
  }

  /** The node drains (SIGTERM: its sockets close with 1001, it leaves the cluster) and comes back after `downMs`. */
  async restartNode(slot: number, downMs: number): Promise<void> {
    const node = this.nodes[slot % this.nodes.length]!;
    const service = node.service;
    if (!service) return;
    this.hooks.trace?.(`server: ${node.nodeId} drains`);
    this.network.serverDown(service);
    node.service = null;
    node.ready = false;
    await this.drain([service]);
    this.stopNode(node);
    this.planRestart(node, downMs, node.nodeId);
  }

  /**
   * Every node stops, then the store closes. Clean: each node drains first (last-seen times are
   * written). Crash: the sockets are reset and nothing more of any node runs; frames being handled
   * finished against the store already (committed, but their replies are lost).
   */
  async stopAll(clean: boolean): Promise<void> {
    this.running = false;
    const running = this.nodes.flatMap((node) => (node.service ? [node.service] : []));
    for (const service of running) this.network.serverDown(service);
    for (const node of this.nodes) node.service = null;
    if (clean) await this.drain(running);
    else for (const service of running) this.network.serverCrashed(service);
    for (const node of this.nodes) this.stopNode(node);
    await settleMicrotasks();
    await this.openStore?.close();
    this.openStore = null;
  }

  /** At the end of a run: nothing of any node runs on. */
  kill(): void {
    for (const node of this.nodes) this.scheduler.kill(node.lifetime);
  }

  private startNode(node: SimNode, nodeId: string): void {
    node.lives += 1;
    node.nodeId = nodeId;
    const lifetime: Lifetime = { name: `${nodeId}#${node.lives}`, alive: true };
    node.lifetime = lifetime;
    const service = new SyncService({
      store: this.store,
      runtime: this.scheduler.runtimeFor(lifetime, this.random.fork()),
      logger: {
        error: (message, error) => this.hooks.error(`${nodeId}: ${message}: ${String(error)}`),
        warn: (message) => this.hooks.trace?.(`${nodeId} warns: ${message}`),
      },
      // Dead peers are the network's business here: it tells the server when a link is gone.
      heartbeatMs: 0,
      // The reference model knows no caps; they have tests of their own (caps.test.ts).
      caps: UNCAPPED,
      ...(this.cluster
        ? { cluster: { nodeId, bus: this.cluster.busFor(nodeId, lifetime), directory: this.cluster.directoryFor(lifetime) } }
        : {}),
    });
    node.service = service;
    this.hooks.trace?.(`server: ${nodeId} starts`);
    void service.start().then(
      () => {
        // Still this life, and not draining or dead since it began joining.
        if (node.service !== service) return;
        node.ready = true;
        this.network.serverUp(service, nodeId);
      },
      (error: unknown) => this.hooks.error(`${nodeId} could not join the cluster: ${String(error)}`),
    );
  }

  private stopNode(node: SimNode): void {
    this.scheduler.kill(node.lifetime);
    node.service = null;
    node.ready = false;
  }

  /** Back after `downMs`, unless the whole server went down meanwhile (its restart starts every node). */
  private planRestart(node: SimNode, downMs: number, nodeId: string): void {
    const lives = node.lives;
    this.hooks.trace?.(`server: ${node.nodeId} down for ${downMs}ms`);
    this.scheduler.schedule(downMs, () => {
      if (node.lives === lives && this.running) this.startNode(node, nodeId);
    });
  }

  /** Closes the services as SIGTERM does; they wait on the cluster's queries, so virtual time runs meanwhile. */
  private async drain(services: SyncService[]): Promise<void> {
    let done = false;
    void Promise.all(services.map((service) => service.close()))
      .catch((error: unknown) => this.hooks.error(`a clean shutdown failed: ${String(error)}`))
      .finally(() => (done = true));
    await settleMicrotasks();
    const deadline = this.scheduler.now + DRAIN_LIMIT_MS;
    while (!done && this.scheduler.now < deadline) await this.scheduler.advance(DRAIN_STEP_MS);
    if (!done) this.hooks.error(`a clean shutdown did not finish within ${DRAIN_LIMIT_MS} ms`);
  }
}
