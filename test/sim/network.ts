import type { SocketHandlers, SyncSocket, SyncTransport } from '../../sync/client/transport.js';
import type { AuthenticatedSession } from '../../sync/server/session-book.js';
import type { ServerSocket } from '../../sync/server/server-socket.js';
import { MemoryServerSocket } from './memory-server-socket.js';
import type { SeededRandom } from './random.js';
import type { Lifetime, Scheduler } from './scheduler.js';

/**
 * An in-memory network between client cores and the in-process server. Each link looks like a
 * socket to both ends (open → messages → close once); each direction is a stream of frames that
 * scheduled tasks deliver after a seeded delay. Faults are knobs:
 *
 * - delay and `late` (a frame held up for seconds), `reorder` (a frame may overtake or be
 *   overtaken; a healthy link is FIFO like TCP), `duplicate` (a frame arrives twice);
 * - `drop`: a frame is lost. Over TCP a lost frame means a lost connection, so the link goes
 *   half-open from that frame on: nothing more gets through either way and nobody is told. The
 *   client must notice by itself (request timeout, keepalive); the server hears of it late, as its
 *   heartbeat would.
 * - `cut`, `setOffline`, a crashed device, a crashed server node: both ends see the link close.
 * - `clusterDrop`, `clusterMaxDelayMs`: the same for the notifications between server nodes
 *   (memory-cluster.ts).
 *
 * Several server nodes may be up at once: like a load balancer, each new link goes to one of them
 * at random, and stays with it.
 * - `loseNextAck`: the next acknowledgement to a device (`sent`, or `conversation` answering a
 *   creation) vanishes after the server committed.
 */

export interface FaultSettings {
  drop: number;
  duplicate: number;
  reorder: number;
  late: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Upper bound of a `late` frame's extra delay (above the request timeout, to exercise it). */
  lateMaxMs: number;
  /** Chance that a notification between server nodes takes down its listener's connection. */
  clusterDrop: number;
  /** Chance that a server node's notification to the others fails to be sent at all. */
  clusterLostNotify: number;
  /** Upper bound of each leg of a notification between nodes, and of a directory query. */
  clusterMaxDelayMs: number;
}

export const HEALTHY: FaultSettings = {
  drop: 0,
  duplicate: 0,
  reorder: 0,
  late: 0,
  minDelayMs: 1,
  maxDelayMs: 30,
  lateMaxMs: 0,
  clusterDrop: 0,
  clusterLostNotify: 0,
  clusterMaxDelayMs: 10,
};

/** What the network needs of a server node: the SyncService's two entry points. */
export interface ServerEndpoint {
  authenticate(token: string): Promise<AuthenticatedSession | null>;
  attach(socket: ServerSocket, session: AuthenticatedSession): unknown;
}

export interface NetworkObserver {
  /** Every frame the server sends, before any fault decides its fate. */
  serverFrame(device: string, text: string): void;
  /** A line for the optional trace (SIM_TRACE=1): what happened to which link, when. */
  trace?(line: string): void;
}

/** A reply that acknowledges something stored: a message or change, or a conversation made. */
const ACKNOWLEDGEMENT = /^\{"type":"(sent|conversation)",/;

/** How long the server takes to notice a peer that vanished without a word (its heartbeat). */
export const SILENT_PEER_DETECTION_MS = 30_000;

type Direction = 'up' | 'down';

class Link {
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** Half-open after a lost frame: frames vanish both ways. */
  broken = false;
  /** Cut: what was still on the wire is lost too. */
  severed = false;
  /** The client closed or died: nothing more is delivered to it. */
  clientGone = false;
  private clientNotified = false;
  server: MemoryServerSocket | null = null;
  /** The node the load balancer sent it to, once the handshake reached one. */
  node: ServerEndpoint | null = null;
  /** A frame to the client may have overtaken another, as TCP never lets it (the `reorder` knob). */
  reorderedDown = false;
  /** Latest scheduled delivery per direction, so a healthy link stays FIFO. */
  readonly lastAt: Record<Direction, number> = { up: 0, down: 0 };

  constructor(
    readonly device: string,
    /** The life of the device that opened it: a reopened core never hears of its predecessor's links. */
    readonly lifetime: Lifetime,
    readonly handlers: SocketHandlers,
  ) {}

  /** The client may still be handed frames: it heard onOpen and not yet onClose. */
  get clientListening(): boolean {
    return this.server !== null && !this.clientNotified && !this.clientGone && this.lifetime.alive;
  }

  /** The client's onClose, at most once, never after the client itself is gone. */
  notifyClientClosed(code: number, reason: string, unauthorized = false): void {
    if (this.clientNotified) return;
    this.clientNotified = true;
    this.handlers.onClose({ code, reason, unauthorized });
  }
}

export class Network {
  faults: FaultSettings = { ...HEALTHY };
  /** The nodes taking new connections, in the order they came up. */
  private servers: ServerEndpoint[] = [];
  /** Each node's name, for the trace. */
  private readonly names = new Map<ServerEndpoint, string>();
  private readonly links = new Set<Link>();
  private readonly offline = new Set<string>();
  private readonly ackLoss = new Map<string, 'silent' | 'break'>();
  private inFlight = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
    private readonly observer: NetworkObserver,
  ) {}

  /** Frames, handshakes and close notices still on their way. */
  get pending(): number {
    return this.inFlight;
  }

  /** Links that lost a frame and are not closed at both ends yet: someone has still to notice. */
  get halfOpen(): number {
    return [...this.links].filter((link) => link.broken).length;
  }

  /** A node is ready: new links may go to it. */
  serverUp(server: ServerEndpoint, name: string): void {
    this.servers.push(server);
    this.names.set(server, name);
  }

  /** A node takes no new links (it is shutting down, or gone); its open links are its own business. */
  serverDown(server: ServerEndpoint): void {
    this.servers = this.servers.filter((other) => other !== server);
  }

  /** The transport a device's client core uses; `lifetime` is the current life of that device. */
  transportFor(device: string, lifetime: Lifetime): SyncTransport {
    return { open: (_url, token, handlers) => this.open(device, lifetime, token, handlers) };
  }

  /** The device loses its network: its links die, and it cannot connect until `setOnline`. */
  setOffline(device: string): void {
    this.offline.add(device);
    for (const link of this.linksOf(device)) this.sever(link, { clientMs: this.delay(), serverMs: SILENT_PEER_DETECTION_MS });
  }

  setOnline(device: string): void {
    this.offline.delete(device);
  }

  /** Whether frames from the server may have reached the device out of order on its open link. */
  reorderedTo(device: string): boolean {
    return this.linksOf(device).some((link) => link.reorderedDown);
  }

  /** Whether the device has its network (HTTP requests of its own can go out). */
  reachable(device: string): boolean {
    return !this.offline.has(device);
  }

  /**
   * The chance that one HTTP exchange goes wrong under the current faults: it carries many frames'
   * worth of bytes, so a few times the chance of one frame being dropped.
   */
  exchangeFaultRate(): number {
    return Math.min(0.5, this.faults.drop * 5 + this.faults.late);
  }

  /** One-way latency under the current settings. */
  latency(): number {
    return this.delay();
  }

  /** Both ends of every link of the device see it close soon (a reset connection). */
  cut(device: string): void {
    for (const link of this.linksOf(device)) this.sever(link, { clientMs: this.delay(), serverMs: this.delay() });
  }

  loseNextAck(device: string, mode: 'silent' | 'break'): void {
    this.ackLoss.set(device, mode);
  }

  /** Back to a healthy network: no faults, nobody offline, no ack waiting to be lost. */
  heal(): void {
    this.faults = { ...HEALTHY };
    this.offline.clear();
    this.ackLoss.clear();
  }

  /** The device's process died: its ends vanish silently; the server hears of it shortly (the OS resets the sockets). */
  deviceCrashed(device: string): void {
    for (const link of this.linksOf(device)) {
      link.clientGone = true;
      link.state = 'closed';
      this.closeServerEnd(link, this.afterDrain(link, 'up', this.delay()));
    }
  }

  /** A server node's process died: its clients see their links reset once what was already sent arrives. */
  serverCrashed(server: ServerEndpoint): void {
    this.serverDown(server);
    for (const link of [...this.links]) {
      if (!link.server || link.node !== server) continue;
      link.server.abandon();
      link.state = 'closed';
      this.closeClientEnd(link, this.afterDrain(link, 'down', this.delay()), 1006, 'server crashed');
    }
  }

  // -- opening ---------------------------------------------------------------------------------

  private open(device: string, lifetime: Lifetime, token: string, handlers: SocketHandlers): SyncSocket {
    const link = new Link(device, lifetime, handlers);
    this.links.add(link);
    this.task(this.delay() + this.delay(), () => void this.handshake(link, token));
    return {
      send: (text) => {
        if (link.state === 'open' && !link.clientGone) this.carry(link, 'up', text);
      },
      close: () => this.clientClose(link),
    };
  }

  private async handshake(link: Link, token: string): Promise<void> {
    if (link.clientGone || link.state !== 'connecting' || !link.lifetime.alive) return this.forget(link);
    if (this.servers.length === 0 || this.offline.has(link.device)) return this.refuse(link, 1006, 'unreachable');
    const server = this.servers[this.random.int(0, this.servers.length - 1)]!;
    const user = await server.authenticate(token);
    // The lookup yielded: the client may have given up, or the node gone, meanwhile.
    if (link.clientGone || link.state !== 'connecting' || !this.servers.includes(server))
      return this.refuse(link, 1006, 'unreachable');
    if (!user) return this.refuse(link, 1006, 'HTTP 401', true);
    link.state = 'open';
    link.node = server;
    this.observer.trace?.(`${link.device} connected to ${this.names.get(server)}`);
    link.server = new MemoryServerSocket(
      (text) => this.carry(link, 'down', text),
      (code, reason) => {
        link.state = 'closed';
        this.closeClientEnd(link, this.afterDrain(link, 'down', this.delay()), code, reason);
      },
    );
    server.attach(link.server, user);
    link.handlers.onOpen();
  }

  private refuse(link: Link, code: number, reason: string, unauthorized = false): void {
    link.state = 'closed';
    if (!link.clientGone) link.notifyClientClosed(code, reason, unauthorized);
    this.forget(link);
  }

  // -- carrying frames -------------------------------------------------------------------------

  private carry(link: Link, direction: Direction, text: string): void {
    this.observer.trace?.(
      `${link.device} ${direction === 'up' ? '→' : '←'} ${text.slice(0, Number(process.env.SIM_TRACE_WIDTH ?? 160))}`,
    );
    if (direction === 'down') {
      this.observer.serverFrame(link.device, text);
      if (ACKNOWLEDGEMENT.test(text) && this.ackLoss.has(link.device)) {
        const mode = this.ackLoss.get(link.device)!;
        this.ackLoss.delete(link.device);
        if (mode === 'break') link.broken = true;
        return;
      }
    }
    if (link.broken) return;
    if (this.random.chance(this.faults.drop)) {
      link.broken = true;
      return;
    }
    const copies = this.random.chance(this.faults.duplicate) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) this.schedule(link, direction, text);
  }

  private schedule(link: Link, direction: Direction, text: string): void {
    let delay = this.delay();
    if (this.random.chance(this.faults.late)) delay += this.random.int(1_000, Math.max(1_000, this.faults.lateMaxMs));
    let at = this.scheduler.now + delay;
    if (!this.random.chance(this.faults.reorder)) {
      at = Math.max(at, link.lastAt[direction]);
      link.lastAt[direction] = at;
    } else if (direction === 'down') {
      link.reorderedDown = true;
    }
    this.task(at - this.scheduler.now, () => {
      if (link.severed) return;
      if (direction === 'up') link.server?.deliver(text);
      else if (link.clientListening) link.handlers.onMessage(text);
    });
  }

  // -- closing ---------------------------------------------------------------------------------

  private clientClose(link: Link): void {
    if (link.clientGone) return;
    link.clientGone = true;
    const wasOpen = link.state === 'open';
    link.state = 'closed';
    if (wasOpen) {
      // A broken link carries no close frame: the server finds out by itself, late.
      const serverMs = link.broken ? SILENT_PEER_DETECTION_MS : this.afterDrain(link, 'up', this.delay());
      this.closeServerEnd(link, serverMs);
    }
    // Like `ws`, the client's own close is still reported to it once.
    this.task(this.delay(), () => {
      if (link.lifetime.alive) link.notifyClientClosed(1000, 'closed by client');
      if (!link.server) this.forget(link);
    });
  }

  private sever(link: Link, after: { clientMs: number; serverMs: number }): void {
    link.broken = true;
    link.severed = true;
    link.state = 'closed';
    this.closeClientEnd(link, after.clientMs, 1006, 'connection lost');
    this.closeServerEnd(link, after.serverMs);
  }

  private closeClientEnd(link: Link, afterMs: number, code: number, reason: string): void {
    this.task(afterMs, () => {
      if (!link.clientGone && link.lifetime.alive) link.notifyClientClosed(code, reason);
      link.clientGone = true;
      if (!link.server || link.server.isClosed) this.forget(link);
    });
  }

  private closeServerEnd(link: Link, afterMs: number): void {
    const server = link.server;
    if (!server) return this.forget(link);
    this.task(afterMs, () => {
      server.lost();
      if (link.clientGone) this.forget(link);
    });
  }

  // -- helpers ---------------------------------------------------------------------------------

  private linksOf(device: string): Link[] {
    return [...this.links].filter((link) => link.device === device && link.state !== 'closed');
  }

  private forget(link: Link): void {
    this.links.delete(link);
  }

  private delay(): number {
    return this.random.int(this.faults.minDelayMs, this.faults.maxDelayMs);
  }

  /** A close sent after the frames already on their way arrives after them (TCP order). */
  private afterDrain(link: Link, direction: Direction, delay: number): number {
    return Math.max(delay, link.lastAt[direction] - this.scheduler.now + 1);
  }

  /** Network tasks belong to no node: they always run, so `pending` stays exact. */
  private task(delayMs: number, run: () => void): void {
    this.inFlight += 1;
    this.scheduler.schedule(delayMs, () => {
      this.inFlight -= 1;
      run();
    });
  }
}
