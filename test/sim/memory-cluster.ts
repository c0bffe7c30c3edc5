import {
  clusterEnvelopeSchema,
  EnvelopeOrder,
  LOST_SIGNAL_RETRY_MS,
  type ClusterBus,
  type ClusterEnvelope,
  type ClusterSignal,
  type NodeDirectory,
} from '../../sync/server/cluster/cluster-signal.js';
import type { SeededRandom } from './random.js';
import type { Lifetime, Scheduler } from './scheduler.js';

/**
 * The nodes' shared database as far as the cluster is concerned, in memory and on virtual time:
 * PostgreSQL's one LISTEN/NOTIFY channel and the directory tables, modelled on what PostgreSQL
 * does rather than on what the cluster code hopes for:
 *
 * - A publish is a NOTIFY the publishing node sends after its store transaction: it takes a
 *   seeded delay to commit, in publish order per node, and is lost if that node dies first.
 * - Committed notifications form one queue in commit order. Every other listening node reads it
 *   in that order, each after its own seeded delay, as JSON text it checks like any input.
 * - `drop`: a notification is lost only with the connection that listens for it. A drop is that
 *   node's listener going down: whatever was on its way to it is gone, and so is everything
 *   committed until its listener is back after a seeded delay, when it is told of the gap.
 * - The directory answers after a round trip each way; a crashed node's queries may still land,
 *   but it never hears back. Its heartbeat stops, and the live nodes reap it.
 */

export interface ClusterFaults {
  /** Chance that a notification takes its listener's connection down. */
  drop: number;
  /**
   * Chance that a node's NOTIFY fails (the bus only logs it): nobody hears of that signal, and the
   * others learn of the loss from the numbers of the next one.
   */
  lostNotify: number;
  /** Upper bound of each leg (commit, delivery, directory round trip), in ms. */
  maxDelayMs: number;
}

const MIN_DELAY_MS = 1;
/** How long a listener takes to notice its connection is gone and get it back (the bus's backoff). */
const RELISTEN_MIN_MS = 100;
const RELISTEN_MAX_MS = 5_000;

type Handlers = Parameters<ClusterBus['subscribe']>[0];

/** One node's (one life's) connection to the channel. */
class Listener {
  handlers: Handlers | null = null;
  /** False while the listening connection is down: notifications committed meanwhile are lost to it. */
  listening = false;
  /** Bumped on every loss: what was on its way over the lost connection never arrives. */
  connection = 0;
  closed = false;
  lastCommitAt = 0;
  lastDeliveryAt = 0;
  /** This life's numbering of what it publishes, and its view of the others' numbers. */
  readonly order = new EnvelopeOrder();

  constructor(
    readonly nodeId: string,
    readonly lifetime: Lifetime,
  ) {}

  get receiving(): boolean {
    return this.listening && !this.closed && this.lifetime.alive;
  }
}

export class MemoryCluster {
  private listeners: Listener[] = [];
  private readonly heartbeats = new Map<string, number>();
  /** nodeId → users with a connection there. */
  private readonly online = new Map<string, Set<string>>();
  private inFlight = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
    private readonly hooks: {
      faults(): ClusterFaults;
      /** A notification the receiving node could not read: a bug, as the real bus logs it. */
      error(message: string): void;
      trace?(line: string): void;
    },
  ) {}

  /** Notifications, listener reconnections and directory queries still on their way. */
  get pending(): number {
    return this.inFlight;
  }

  /** The bus of one life of a node: a node restarted under the same id gets a new one. */
  busFor(nodeId: string, lifetime: Lifetime): ClusterBus {
    const listener = new Listener(nodeId, lifetime);
    this.listeners = [...this.listeners.filter((other) => other.lifetime.alive && !other.closed), listener];
    return {
      publish: (signal) => this.publish(listener, signal),
      subscribe: (handlers) => {
        listener.handlers = handlers;
        listener.listening = true;
        return this.roundTrip(lifetime, () => undefined);
      },
      close: () => {
        listener.closed = true;
        // Like the real bus, close waits for its own notifications to be sent.
        return new Promise((resolve) => this.task(Math.max(0, listener.lastCommitAt - this.scheduler.now), resolve));
      },
    };
  }

  /** The directory as one node's life queries it: its answers reach that life only. */
  directoryFor(lifetime: Lifetime): NodeDirectory {
    return {
      heartbeat: (nodeId, at) =>
        this.roundTrip(lifetime, () => {
          const forgotten = !this.heartbeats.has(nodeId);
          this.heartbeats.set(nodeId, Math.max(this.heartbeats.get(nodeId) ?? at, at));
          return forgotten;
        }),
      setOnline: (nodeId, userId, online) =>
        this.roundTrip(lifetime, () => {
          const users = this.online.get(nodeId) ?? new Set<string>();
          if (online) users.add(userId);
          else users.delete(userId);
          this.online.set(nodeId, users);
        }),
      liveNodes: (liveSince) =>
        this.roundTrip(lifetime, () => [...this.heartbeats].filter(([, at]) => at >= liveSince).map(([node]) => node)),
      onlineElsewhere: (nodeId, liveSince) =>
        this.roundTrip(lifetime, () =>
          [...this.online].flatMap(([node, users]) =>
            node !== nodeId && (this.heartbeats.get(node) ?? -Infinity) >= liveSince
              ? [...users].map((userId) => ({ userId, nodeId: node }))
              : [],
          ),
        ),
      reapDeadNodes: (deadBefore) => this.roundTrip(lifetime, () => this.reap(deadBefore)),
      leave: (nodeId) =>
        this.roundTrip(lifetime, () => {
          this.heartbeats.delete(nodeId);
          this.online.delete(nodeId);
        }),
      close: () => Promise.resolve(),
    };
  }

  // -- the channel -----------------------------------------------------------------------------

  private publish(publisher: Listener, signal: ClusterSignal): void {
    if (publisher.closed || !publisher.lifetime.alive) return;
    const envelope: ClusterEnvelope = { node: publisher.nodeId, at: this.scheduler.now, n: publisher.order.next(), signal };
    if (this.random.chance(this.hooks.faults().lostNotify)) {
      this.hooks.trace?.(`cluster: ${publisher.nodeId}'s notification ${envelope.n} failed`);
      // As the real bus does (pg-cluster-bus.ts): the others are told soon, by the number of a `lost` signal.
      this.task(LOST_SIGNAL_RETRY_MS, () => {
        if (publisher.lifetime.alive) this.publish(publisher, { kind: 'lost' });
      });
      return;
    }
    const text = JSON.stringify(envelope);
    const at = Math.max(this.scheduler.now + this.delay(), publisher.lastCommitAt);
    publisher.lastCommitAt = at;
    this.task(at - this.scheduler.now, () => {
      // The node died before its NOTIFY committed: nobody ever hears of it.
      if (!publisher.lifetime.alive) return;
      for (const listener of this.listeners) if (listener !== publisher && listener.receiving) this.carry(listener, text);
    });
  }

  private carry(listener: Listener, text: string): void {
    if (this.random.chance(this.hooks.faults().drop)) return this.lose(listener);
    const at = Math.max(this.scheduler.now + this.delay(), listener.lastDeliveryAt);
    listener.lastDeliveryAt = at;
    const connection = listener.connection;
    this.task(at - this.scheduler.now, () => {
      if (listener.receiving && listener.connection === connection) this.deliver(listener, text);
    });
  }

  private deliver(listener: Listener, text: string): void {
    const parsed = clusterEnvelopeSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.hooks.error(`${listener.nodeId} could not read a cluster signal: ${parsed.error.message}`);
      listener.handlers?.gap();
      return;
    }
    this.hooks.trace?.(`${parsed.data.node} ⇒ ${listener.nodeId} ${JSON.stringify(parsed.data.signal).slice(0, 160)}`);
    if (listener.order.missedBefore(parsed.data)) listener.handlers?.gap();
    listener.handlers?.signal(parsed.data);
  }

  /** The listener's connection went down: it gets it back after a while, and hears of the gap. */
  private lose(listener: Listener): void {
    listener.listening = false;
    listener.connection += 1;
    this.hooks.trace?.(`cluster: ${listener.nodeId} lost its listener`);
    this.task(this.random.int(RELISTEN_MIN_MS, RELISTEN_MAX_MS), () => {
      if (listener.closed || !listener.lifetime.alive) return;
      listener.listening = true;
      this.hooks.trace?.(`cluster: ${listener.nodeId} listens again (gap)`);
      listener.handlers?.gap();
    });
  }

  // -- the directory ---------------------------------------------------------------------------

  private reap(deadBefore: number): string[] {
    const isLive = (node: string) => (this.heartbeats.get(node) ?? -Infinity) >= deadBefore;
    const dead = [...this.heartbeats.keys()].filter((node) => !isLive(node));
    const gone = new Set<string>();
    for (const node of dead) {
      for (const userId of this.online.get(node) ?? []) gone.add(userId);
      this.heartbeats.delete(node);
      this.online.delete(node);
    }
    if (dead.length > 0) this.hooks.trace?.(`cluster: reaped ${dead.join(', ')}`);
    const elsewhere = new Set([...this.online].flatMap(([node, users]) => (isLive(node) ? [...users] : [])));
    return [...gone].filter((userId) => !elsewhere.has(userId));
  }

  /** A query: it reaches the database after a delay, runs there, and answers after another, to a live caller only. */
  private roundTrip<T>(caller: Lifetime, query: () => T): Promise<T> {
    return new Promise((resolve) => {
      this.task(this.delay(), () => {
        const result = query();
        this.task(this.delay(), () => {
          if (caller.alive) resolve(result);
        });
      });
    });
  }

  // -- helpers ---------------------------------------------------------------------------------

  private delay(): number {
    return this.random.int(MIN_DELAY_MS, Math.max(MIN_DELAY_MS, this.hooks.faults().maxDelayMs));
  }

  /** Cluster tasks belong to no node (a dead node's share is checked inside), so `pending` stays exact. */
  private task(delayMs: number, run: () => void): void {
    this.inFlight += 1;
    this.scheduler.schedule(delayMs, () => {
      this.inFlight -= 1;
      run();
    });
  }
}
