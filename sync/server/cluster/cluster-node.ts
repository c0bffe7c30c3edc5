import type { Runtime, TimerHandle } from '../../common/runtime.js';
import type { ConnectionRegistry, Peer } from '../connection-registry.js';
import type { ClusterLink } from '../delivery.js';
import type { InFlight } from '../in-flight.js';
import type { ServerLogger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { EventAt, ServerStore } from '../store/server-store.js';
import type { ConversationEvent, PresencePush } from '../../protocol/frames.js';
import {
  CLUSTER_TIMING,
  type ClusterBus,
  type ClusterEnvelope,
  type ClusterSignal,
  type ClusterTiming,
  type NodeDirectory,
} from './cluster-signal.js';

export interface ClusterNodeDeps {
  nodeId: string;
  bus: ClusterBus;
  directory: NodeDirectory;
  /** CLUSTER_TIMING unless given (tests shorten it). */
  timing?: ClusterTiming;
  store: Pick<ServerStore, 'readEventsAt' | 'recordLastSeen' | 'listContacts'>;
  /** This node's own connections. */
  registry: Pick<ConnectionRegistry<Peer>, 'isOnline' | 'pushToUsers' | 'all'>;
  runtime: Runtime;
  logger: ServerLogger;
  metrics: ServerMetrics;
  inFlight: InFlight;
  /** Signals may have been lost: every connection here must catch up from the database again. */
  resync(): void;
  /** The user's last connection anywhere went away (with a dead node, or a signal says so): tell the contacts here. */
  vanished(userId: string, at: number): void;
  /** The user, connected nowhere as far as this node knew, is connected to another node now: tell the contacts here. */
  appeared(userId: string): void;
  /** Another node announced the user offline while they are still connected here: announce them again. */
  stillOnline(userId: string): void;
  /** Sessions of the user ended on another node: close their sockets here. */
  sessionsEnded(userId: string, sessionIds: readonly string[]): void;
}

/** One event to read back for one reader, and who waits for it. */
interface PendingRead {
  request: EventAt;
  resolve(event: ConversationEvent | null): void;
  reject(error: unknown): void;
}

/**
 * Read-backs in flight at once. Under load the others' events come faster than one read returns:
 * those that arrive meanwhile are read together when one returns, one statement for many instead of
 * one each (a statement's fixed cost, on the node and in the database, is most of a read's).
 */
const READS_IN_FLIGHT = 2;
/** The most events one read-back asks for (the statement's arrays). */
const MAX_READ_BATCH = 256;

/** An event read back for the readers connected here (null: none of them may see it), or why the read failed. */
type ReadBack = { ok: true; found: { event: ConversationEvent; readers: string[] } | null } | { ok: false; error: unknown };
/** Who a presence frame's subject shares presence with now (null: anyone it names may hear it), or why the read failed. */
type ContactsBack = { ok: true; contacts: Set<string> | null } | { ok: false; error: unknown };

/**
 * This node's part in a cluster of nodes sharing one store. It publishes what its connections
 * must tell the others (through Delivery), pushes what the others publish to its own connections
 * (stored events as they came with their signals, or read back from the store as each reader may
 * see them when too large to come along; one signal after another in the order they came), and keeps a view of which users are connected to other live nodes,
 * from their signals and from the directory's heartbeats, so presence is the union over nodes.
 */
export class ClusterNode implements ClusterLink {
  /** userId → the other nodes where they have a connection. */
  private elsewhere = new Map<string, Set<string>>();
  private receiving: Promise<void> = Promise.resolve();
  private transitions: Promise<void> = Promise.resolve();
  private timer: TimerHandle | undefined;
  /** A look for dead nodes waits in the signal queue (schedule). */
  private reapQueued = false;
  private stopped = false;
  /** False once the node is draining: what the others say no longer matters to connections being closed. */
  private listening = true;
  /** The other nodes that were live at the last look, and those of them that said they were leaving. */
  private knownNodes = new Set<string>();
  private readonly leftCleanly = new Set<string>();
  private readonly timing: ClusterTiming;
  private pendingReads: PendingRead[] = [];
  private readsInFlight = 0;

  constructor(private readonly deps: ClusterNodeDeps) {
    this.timing = deps.timing ?? CLUSTER_TIMING;
  }

  async start(): Promise<void> {
    const { bus, directory, nodeId, runtime } = this.deps;
    // What a previous run under the same id left behind is stale: its connections are gone.
    await directory.leave(nodeId);
    await bus.subscribe({
      signal: (envelope) => {
        if (!this.listening) return;
        // The read starts now, beside the reads of the signals before it; only the pushes wait their turn.
        const read = this.readAhead(envelope);
        const contacts = this.contactsAhead(envelope);
        this.enqueue(() => this.receive(envelope, read, contacts));
      },
      gap: () => {
        if (this.listening) this.enqueue(() => this.recover());
      },
    });
    // The others learn that an earlier run under this id, if it died, may not have told all it stored.
    this.publish({ kind: 'started' });
    await directory.heartbeat(nodeId, runtime.clock.now());
    // In line with the signals: one that arrives meanwhile is applied after the directory's view.
    await new Promise<void>((resolve, reject) => this.enqueue(() => this.refresh().then(() => resolve(), reject)));
    this.schedule();
  }

  publish(signal: Parameters<ClusterBus['publish']>[0]): void {
    if (!this.stopped) this.deps.bus.publish(signal);
  }

  isOnlineElsewhere(userId: string): boolean {
    return this.elsewhere.has(userId);
  }

  /**
   * The user's first connection here opened, or the last one closed: recorded in the directory
   * first, then told to the others, so that anyone who reads the directory after the signal sees it.
   */
  connectionsChanged(userId: string, online: boolean): Promise<void> {
    const { directory, nodeId, logger, inFlight } = this.deps;
    this.transitions = this.transitions
      .then(async () => {
        await directory.setOnline(nodeId, userId, online);
        this.publish({ kind: 'connections', userId, online });
      })
      .catch((error: unknown) => logger.error('Could not record a connection change in the cluster', error, { userId }));
    return inFlight.track(this.transitions);
  }

  /**
   * The node is draining: signals from the others are dropped from now on. Otherwise a busy or
   * flapping cluster keeps adding work to wait for, and the drain never ends (the simulation found
   * one that did not within 60 s). Its own signals still go out until it stops.
   */
  stopListening(): void {
    this.listening = false;
  }

  async stop(): Promise<void> {
    this.publish({ kind: 'leaving' });
    this.stopped = true;
    if (this.timer) this.deps.runtime.timers.clearTimeout(this.timer);
    await this.transitions;
    await this.receiving;
    try {
      await this.deps.directory.leave(this.deps.nodeId);
    } catch (error) {
      this.deps.logger.warn('Could not leave the cluster directory', { error: (error as Error).message });
    }
    await this.deps.directory.close();
    await this.deps.bus.close();
  }

  private enqueue(step: () => Promise<void>): void {
    this.receiving = this.receiving
      .then(step)
      .catch((error: unknown) => this.deps.logger.error('Could not handle a cluster signal', error));
    void this.deps.inFlight.track(this.receiving);
  }

  /**
   * A stored event another node published: as it came with the signal (as the publisher pushed it
   * to its own connections), or read back as this node's first reader who may see it.
   */
  private readAhead(envelope: ClusterEnvelope): Promise<ReadBack> | null {
    const { signal } = envelope;
    if (signal.kind !== 'event' || envelope.node === this.deps.nodeId || this.stopped) return null;
    if (signal.event) {
      const readers = signal.userIds.filter((userId) => this.deps.registry.isOnline(userId));
      return Promise.resolve({ ok: true, found: readers.length > 0 ? { event: signal.event, readers } : null });
    }
    return this.readBack(signal).then(
      (found): ReadBack => ({ ok: true, found }),
      (error: unknown): ReadBack => ({ ok: false, error }),
    );
  }

  /**
   * A presence frame from another node was built from the contacts its presence step read, maybe
   * before a change that parted two people (a block, "nobody", leaving a group), and may arrive
   * after the frame that withdrew their presence. Read when it arrives, so after that change if
   * its withdrawal came first, the contacts decide who here may still hear it. A withdrawal
   * (away, last seen unknown) is for those who do not share presence, and always goes.
   */
  private contactsAhead(envelope: ClusterEnvelope): Promise<ContactsBack> | null {
    const { signal } = envelope;
    if (signal.kind !== 'frame' || signal.frame.type !== 'presence' || envelope.node === this.deps.nodeId || this.stopped) {
      return null;
    }
    if (isWithdrawal(signal.frame)) return Promise.resolve({ ok: true, contacts: null });
    return this.deps.store.listContacts(signal.frame.userId).then(
      (contacts): ContactsBack => ({ ok: true, contacts: new Set(contacts.map((contact) => contact.userId)) }),
      (error: unknown): ContactsBack => ({ ok: false, error }),
    );
  }

  private async readBack(signal: Extract<ClusterSignal, { kind: 'event' }>): Promise<Extract<ReadBack, { ok: true }>['found']> {
    const { registry } = this.deps;
    const readers = signal.userIds.filter((userId) => registry.isOnline(userId));
    // Everyone in one signal sees the event the same way: read it as the first reader who may.
    for (const reader of readers) {
      const event = await this.readOne({ conversationId: signal.conversationId, userId: reader, seq: signal.seq });
      if (event) return { event, readers };
    }
    return null;
  }

  /** Reads one event back, with whatever others are asked for while earlier reads are in flight. */
  private readOne(request: PendingRead['request']): Promise<ConversationEvent | null> {
    return new Promise((resolve, reject) => {
      this.pendingReads.push({ request, resolve, reject });
      if (this.readsInFlight < READS_IN_FLIGHT) void this.readPending();
    });
  }

  private async readPending(): Promise<void> {
    this.readsInFlight += 1;
    try {
      while (this.pendingReads.length > 0) {
        const batch = this.pendingReads.splice(0, MAX_READ_BATCH);
        try {
          const events = await this.deps.store.readEventsAt(batch.map((read) => read.request));
          batch.forEach((read, index) => read.resolve(events[index] ?? null));
        } catch (error) {
          for (const read of batch) read.reject(error);
        }
      }
    } finally {
      this.readsInFlight -= 1;
    }
  }

  private async receive(
    envelope: ClusterEnvelope,
    read: Promise<ReadBack> | null,
    contactsRead: Promise<ContactsBack> | null,
  ): Promise<void> {
    const { registry, metrics, runtime } = this.deps;
    if (envelope.node === this.deps.nodeId || this.stopped) return;
    metrics.clusterFanoutDelay.observe(Math.max(0, runtime.clock.now() - envelope.at) / 1000);
    const { signal } = envelope;
    // A node heard from is known before a refresh lists it (the directory had no beat of it yet):
    // back under its id before that refresh, it must still be caught up after.
    const known = this.knownNodes.has(envelope.node);
    this.knownNodes.add(envelope.node);
    switch (signal.kind) {
      case 'event': {
        const outcome = await read;
        if (!outcome) return;
        if (!outcome.ok) throw outcome.error;
        if (outcome.found) registry.pushToUsers(outcome.found.readers, { type: 'event', event: outcome.found.event });
        return;
      }
      case 'leaving':
        this.leftCleanly.add(envelope.node);
        return;
      case 'started': {
        // A node back under an id that never stopped counting as live: refresh never sees it die,
        // so unless its last run said it was leaving, that run's untold events are caught up now.
        const leftCleanly = this.leftCleanly.delete(envelope.node);
        if (known && !leftCleanly) {
          this.deps.logger.warn('A node came back without having left: clients here will catch up again', {
            node: envelope.node,
          });
          this.deps.resync();
        }
        return;
      }
      case 'frame': {
        const allowed = await contactsRead;
        if (allowed && !allowed.ok) throw allowed.error;
        const contacts = allowed?.contacts;
        registry.pushToUsers(contacts ? signal.userIds.filter((userId) => contacts.has(userId)) : signal.userIds, signal.frame);
        return;
      }
      case 'sessions_ended':
        this.deps.sessionsEnded(signal.userId, signal.sessionIds);
        return;
      case 'lost':
        // Its number already told the bus of the gap before it (and this node recovers from that).
        return;
      case 'connections': {
        const { userId } = signal;
        const wasElsewhere = this.isOnlineElsewhere(userId);
        this.learn(userId, envelope.node, signal.online);
        if (registry.isOnline(userId)) {
          if (!signal.online) this.deps.stillOnline(userId);
        } else if (wasElsewhere !== this.isOnlineElsewhere(userId)) {
          // Online anywhere or not, as this node sees it, changed: its own clients hear it. The node
          // where it happened may have told nobody: when the user's last connections close on two
          // nodes at once, each counts on the other's and announces nothing.
          if (signal.online) this.deps.appeared(userId);
          else this.deps.vanished(userId, envelope.at);
        }
        return;
      }
      default: {
        const unknown: never = signal;
        throw new Error(`Unknown cluster signal ${JSON.stringify(unknown)}`);
      }
    }
  }

  private learn(userId: string, nodeId: string, online: boolean): void {
    const nodes = this.elsewhere.get(userId) ?? new Set<string>();
    if (online) nodes.add(nodeId);
    else nodes.delete(nodeId);
    if (nodes.size > 0) this.elsewhere.set(userId, nodes);
    else this.elsewhere.delete(userId);
  }

  /** Signals were lost: the directory says who is where, and every connection here catches up. */
  private async recover(): Promise<void> {
    this.deps.logger.warn('Cluster signals may have been lost: clients here will catch up again');
    await this.refresh();
    this.deps.resync();
  }

  /**
   * Replaces the view of other nodes' users with the directory's (live nodes only). Users who were
   * connected elsewhere and are on no live node now went offline with it: contacts here are told.
   * It runs in line with the signals, and a node writes the directory before it signals, so the
   * view read here is never older than a signal already applied.
   */
  private async refresh(): Promise<{ died: string[] }> {
    const { directory, nodeId, runtime, registry } = this.deps;
    const startedAt = runtime.clock.now();
    const liveSince = startedAt - this.timing.deadAfterMs;
    const live = new Set((await directory.liveNodes(liveSince)).filter((node) => node !== nodeId));
    const rows = await directory.onlineElsewhere(nodeId, liveSince);
    const next = new Map<string, Set<string>>();
    for (const row of rows) next.set(row.userId, (next.get(row.userId) ?? new Set()).add(row.nodeId));
    const gone = [...this.elsewhere.keys()].filter((userId) => !next.has(userId) && !registry.isOnline(userId));
    this.elsewhere = next;
    for (const userId of gone) this.deps.vanished(userId, startedAt);
    // A node gone without saying it was leaving may have stored events whose notifications it never sent.
    const died = [...this.knownNodes].filter((node) => !live.has(node) && !this.leftCleanly.has(node));
    for (const node of this.leftCleanly) if (!live.has(node)) this.leftCleanly.delete(node);
    this.knownNodes = live;
    return { died };
  }

  /**
   * The others took this node for dead (its beats were late by more than deadAfterMs: a stalled
   * process, a database that did not answer) and forgot its users; they told their contacts those
   * users went offline and made their own clients catch up. It is alive: its users are recorded
   * again and told to the others (who announce them online again), in line with connection changes.
   */
  private rejoin(): void {
    const { directory, nodeId, logger, inFlight, registry } = this.deps;
    logger.warn('The other nodes took this node for dead: its users are recorded again', { node: nodeId });
    this.transitions = this.transitions
      .then(async () => {
        for (const userId of new Set(registry.all().map((peer) => peer.userId))) {
          await directory.setOnline(nodeId, userId, true);
          this.publish({ kind: 'connections', userId, online: true });
        }
      })
      .catch((error: unknown) => logger.error("Could not record this node's users again", error));
    void inFlight.track(this.transitions);
  }

  /** Looks for nodes that died: in line with the signals, since it replaces the view they keep. */
  private async reapAndRefresh(): Promise<void> {
    const { directory, runtime, store } = this.deps;
    const now = runtime.clock.now();
    // Whoever reaps a dead node records when its users were last seen; every node tells its own clients.
    for (const userId of await directory.reapDeadNodes(now - this.timing.deadAfterMs)) {
      await store.recordLastSeen({ userId, at: now });
    }
    const { died } = await this.refresh();
    if (died.length > 0) {
      this.deps.logger.warn('Nodes died without leaving: clients here will catch up again', { nodes: died.join(' ') });
      this.deps.resync();
    }
  }

  /**
   * Every heartbeatMs: the heartbeat is written at once, not behind the signals. A node whose
   * signals queue up under load (seconds of them) is alive and will deliver them; were its
   * heartbeat to wait its turn, the others would take it for dead, forget its users and make
   * every client of theirs catch up again, adding load where there is too much already (the
   * sustained benchmark found this at 750 messages/s). The look for dead nodes does wait its turn,
   * and is not queued again while one still waits.
   */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.runtime.timers.setTimeout(() => {
      const { directory, nodeId, runtime, logger, inFlight } = this.deps;
      const beat = directory
        .heartbeat(nodeId, runtime.clock.now())
        .then((forgotten) => {
          if (forgotten) this.rejoin();
        })
        .catch((error: unknown) => logger.error('Could not record the cluster heartbeat', error));
      void inFlight.track(beat.finally(() => this.schedule()));
      if (this.reapQueued) return;
      this.reapQueued = true;
      this.enqueue(() => this.reapAndRefresh().finally(() => (this.reapQueued = false)));
    }, this.timing.heartbeatMs);
  }
}

/** What tells someone that presence about a person is gone: away, last seen unknown. */
function isWithdrawal(frame: PresencePush): boolean {
  return !frame.online && frame.lastSeenAt === null;
}
