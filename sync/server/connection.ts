import type { TurnConfig } from './turn-credentials.js';
import { z } from 'zod';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import { clientFrameSchema, type ClientFrame, type ServerFrame, type User } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import type { ConnectionRegistry, Peer } from './connection-registry.js';
import { ConnectionRate, type FrameRateLimits } from './connection-rate.js';
import type { Delivery } from './delivery.js';
import { errorReply, handleFrame, type ServerLimits } from './frame-handlers.js';
import { pushesAheadOfReply } from './handlers/handler-result.js';
import { FrameTelemetry } from './frame-telemetry.js';
import { isLow } from './handlers/keys.js';
import type { FrameThrottle } from './frame-throttle.js';
import type { InFlight } from './in-flight.js';
import { PipelineOrder } from './pipeline-order.js';
import type { ServerLogger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { OutputBudget, type SlowReader } from './output-budget.js';
import type { Presence } from './presence.js';
import type { InboundFrame, ServerSocket } from './server-socket.js';
import type { AuthenticatedSession } from './session-book.js';
import { CROWDED_PAGE_EVENTS, type CatchUpPacer } from './catch-up-pacer.js';
import type { ServerStore } from './store/server-store.js';

export interface ConnectionDeps {
  store: ServerStore;
  runtime: Runtime;
  registry: ConnectionRegistry<SyncConnection>;
  /** Pushes to the connections of this node and, in a cluster, of the others. */
  delivery: Delivery;
  logger: ServerLogger;
  inFlight: InFlight;
  presence: Presence;
  /** How often to check that the peer is still there; 0 turns the check off. */
  heartbeatMs: number;
  limits: ServerLimits;
  metrics: ServerMetrics;
  throttle: FrameThrottle;
  /** How many frames the connection may send (its own bucket). */
  frameRate: FrameRateLimits;
  /** Catch-up pages take turns node-wide, so they cannot crowd out everything else. */
  catchUpPacer: CatchUpPacer;
  /** The TURN relay calls may use (null: none). */
  turn: TurnConfig | null;
}

// A client that floods faster than the store keeps up is slowed at the TCP level rather than
// buffered without bound: stop reading at the high mark, read again at the low one.
const PAUSE_AT_PENDING = 64;
const RESUME_AT_PENDING = 16;
const CLOSE_GRACE_MS = 1000;
/**
 * A client that keeps sending after being told to wait is cut with 1008 (policy violation): it
 * broke the protocol's rule, unlike a slow reader (1013, try again later), which is the server's
 * buffers speaking. Either way the client reconnects after its backoff, so nothing is lost.
 */
const FLOODING_CLOSE_CODE = 1008;

/**
 * One authenticated socket. Its frames are handled strictly one after another, in arrival order.
 * It sees the socket only through ServerSocket, so the simulation can run it over memory.
 */
export class SyncConnection implements Peer {
  readonly userId: string;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private alive = true;
  private heartbeat: TimerHandle | undefined;
  private readonly closed: Promise<void>;
  private readonly telemetry: FrameTelemetry;
  /** Refuses a pipelined frame whose predecessor failed or never came (see `after` in frames.ts). */
  private readonly order = new PipelineOrder();
  /** What the peer has not read yet: frames wait while it is behind, and a peer far behind is cut. */
  private readonly output: OutputBudget;
  private readonly rate: ConnectionRate;
  private flooded = false;

  private readonly user: User;

  constructor(
    private readonly socket: ServerSocket,
    /** The session whose token opened the socket: when it ends, the socket closes. */
    readonly session: AuthenticatedSession,
    private readonly deps: ConnectionDeps,
    /** Names this connection in log lines (with each frame's rid). */
    readonly connectionId: string,
  ) {
    this.user = session.user;
    this.userId = session.user.id;
    this.telemetry = new FrameTelemetry(deps.metrics, deps.logger, connectionId, this.userId);
    this.closed = new Promise((resolve) => socket.onClose(resolve));
    this.rate = new ConnectionRate(deps.runtime.clock, deps.frameRate);
    this.output = new OutputBudget(
      () => socket.bufferedBytes,
      deps.runtime,
      (why) => this.cutSlowReader(why),
    );
  }

  /** Bytes written to this connection that its peer has not read yet. */
  get bufferedBytes(): number {
    return this.socket.bufferedBytes;
  }

  start(): void {
    const { socket, deps } = this;
    this.telemetry.opened();
    socket.onClose(() => {
      this.output.end();
      this.telemetry.closed();
      if (this.heartbeat) deps.runtime.timers.clearTimeout(this.heartbeat);
      // Also how shutdown records last-seen times: it closes every socket, then drains the work.
      deps.presence.disconnected(this.userId, deps.registry.remove(this));
    });
    socket.onPong(() => {
      this.alive = true;
    });
    socket.onFrame((frame) => this.enqueue(frame));
    this.push({
      type: 'welcome',
      user: this.user,
      deviceNumber: this.session.deviceNumber,
      serverTime: deps.runtime.clock.now(),
      limits: { maxFileBytes: deps.limits.maxFileBytes },
    });
    deps.presence.connected(this, deps.registry.add(this));
    // Ahead of the connection's frames, so the reminder comes before any reply.
    this.queue = this.queue.then(() => this.remindOfLowPrekeys());
    void deps.inFlight.track(this.queue);
    this.scheduleHeartbeat();
  }

  /** A device that ran low on one-time prekeys while it was away hears of it as it connects (handlers/keys.ts). */
  private async remindOfLowPrekeys(): Promise<void> {
    try {
      const counts = await this.deps.store.keyDirectory.countPrekeys(this.session.sessionId);
      if (counts && isLow(counts)) this.push({ type: 'prekeys_low', deviceNumber: this.session.deviceNumber, ...counts });
    } catch (error) {
      // It hears again on its next connect; its own count_keys tells it meanwhile.
      this.deps.logger.warn('Could not count the prekeys of a device that connected', {
        conn: this.connectionId,
        error: String(error),
      });
    }
  }

  push(frame: ServerFrame): void {
    this.pushText(JSON.stringify(frame));
  }

  pushText(text: string): void {
    if (!this.socket.isOpen) return;
    this.socket.send(text);
    this.output.wrote();
  }

  /** Closes with `code`, and cuts the socket if the peer does not answer the close in time. */
  async close(code: number, reason: string): Promise<void> {
    if (this.socket.isClosed) return;
    this.socket.close(code, reason);
    const timer = this.deps.runtime.timers.setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    await this.closed;
    this.deps.runtime.timers.clearTimeout(timer);
  }

  private enqueue(frame: InboundFrame): void {
    const arrivedAt = FrameTelemetry.now();
    this.pending += 1;
    if (this.pending >= PAUSE_AT_PENDING) this.socket.pause();
    this.queue = this.queue
      .then(() => this.process(frame, arrivedAt))
      .catch((error: unknown) =>
        this.deps.logger.error('Frame processing failed unexpectedly', error, { conn: this.connectionId }),
      )
      .finally(() => {
        this.pending -= 1;
        if (this.pending <= RESUME_AT_PENDING) this.socket.resume();
      });
    void this.deps.inFlight.track(this.queue);
  }

  private async process(frame: InboundFrame, arrivedAt: number): Promise<void> {
    // A peer that does not read what it asked for gets nothing more until it does (a catch-up page
    // is built only when there is room for it); it stops being read meanwhile once its frames pile up.
    if (!(await this.output.room())) return;
    const admission = this.rate.take();
    if (!admission.admitted) return this.refuseForRate(frame, admission.retryAfterMs, admission.flooding);
    if (frame.binary) {
      this.telemetry.malformed(undefined, 'binary');
      this.push(errorReply(undefined, 'bad_frame', 'Binary frames are not supported; send JSON text'));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(frame.text);
    } catch {
      this.telemetry.malformed(undefined, 'json');
      this.push(errorReply(undefined, 'bad_frame', 'Frame is not valid JSON'));
      return;
    }
    const rid = readableRid(json);
    const parsed = clientFrameSchema.safeParse(json);
    if (!parsed.success) {
      this.telemetry.malformed(rid, 'schema');
      this.push(errorReply(rid, 'bad_frame', `Malformed frame: ${z.prettifyError(parsed.error)}`));
      return;
    }
    this.telemetry.received(parsed.data);
    const outOfOrder = this.order.refusal(parsed.data);
    if (outOfOrder) {
      this.push(outOfOrder);
      this.telemetry.answered(parsed.data, outOfOrder, arrivedAt);
      return;
    }
    // A page is built, serialised and written in its turn; the turn ends when it is written.
    const pageDone = parsed.data.type === 'catch_up' ? await this.deps.catchUpPacer.turn(this) : null;
    try {
      // Nobody is left to read a page whose turn came after its connection closed.
      if (pageDone && !this.socket.isOpen) return;
      const frame = pageDone ? this.pagedFor(parsed.data) : parsed.data;
      const result = await handleFrame(
        {
          store: this.deps.store,
          runtime: this.deps.runtime,
          user: this.user,
          device: { sessionId: this.session.sessionId, deviceNumber: this.session.deviceNumber },
          limits: this.deps.limits,
          throttle: this.deps.throttle,
          turn: this.deps.turn,
        },
        frame,
      );
      this.order.handled(parsed.data, result.reply);
      // The others first: a message reaches its recipients without waiting for the reply to be
      // serialised, written and counted. Pushes that include this connection keep their place
      // after its reply (it must know what it asked for before hearing of it), and so do all the
      // pushes behind them, so no one's frames change order among themselves.
      const ahead = pushesAheadOfReply(result.fanout);
      for (let i = 0; i < ahead; i += 1) this.deps.delivery.fanout(result.fanout[i]!, this);
      // Each part counts toward the output budget as it is written, as the whole page would.
      for (const part of result.parts ?? []) this.pushText(part.text);
      this.push(result.reply);
      this.telemetry.answered(parsed.data, result.reply, arrivedAt, result.parts);
      for (let i = ahead; i < result.fanout.length; i += 1) this.deps.delivery.fanout(result.fanout[i]!, this);
      if (result.introduce) this.deps.presence.introduce(result.introduce);
      if (result.parted) this.deps.presence.parted(result.parted);
      if (result.withdraw) this.deps.presence.withdraw(result.withdraw);
    } catch (error) {
      this.telemetry.failed(parsed.data, error);
      const reply = errorReply(rid, 'internal', 'Internal server error; try again later');
      this.order.handled(parsed.data, reply);
      this.push(reply);
    } finally {
      pageDone?.();
    }
  }

  /** A catch-up as built in its turn: smaller while other connections' pages wait (see CatchUpPacer). */
  private pagedFor(frame: ClientFrame): ClientFrame {
    if (frame.type !== 'catch_up' || !this.deps.catchUpPacer.crowdedFor(this)) return frame;
    return { ...frame, limit: Math.min(frame.limit ?? LIMITS.defaultCatchUpPage, CROWDED_PAGE_EVENTS) };
  }

  /**
   * Over the connection's frame budget: not handled at all (so it needs no place in the pipeline
   * order: it never happened), answered `rate_limited` with when to send it again, and a client that
   * keeps flooding regardless is cut.
   */
  private refuseForRate(frame: InboundFrame, retryAfterMs: number, flooding: boolean): void {
    this.deps.metrics.framesRateLimited.inc();
    if (this.flooded) return;
    if (flooding) {
      this.flooded = true;
      this.deps.logger.warn('Closing a connection that keeps sending past its frame budget', { conn: this.connectionId });
      void this.close(FLOODING_CLOSE_CODE, 'Too many frames');
      return;
    }
    const rid = frame.binary ? undefined : readableRid(parseOrUndefined(frame.text));
    this.push({
      ...errorReply(rid, 'rate_limited', `Too many frames on this connection; send again in ${retryAfterMs} ms`),
      retryAfterMs,
    });
  }

  /**
   * The peer reads far slower than it is written to: the socket is closed (1013, try again later),
   * so the buffers go; its client reconnects and catches up from where it really is.
   */
  private cutSlowReader(why: SlowReader): void {
    this.deps.logger.warn('Closing a connection whose peer does not read', {
      conn: this.connectionId,
      reason: why,
      bufferedBytes: this.socket.bufferedBytes,
    });
    this.deps.metrics.slowReadersCut.inc({ reason: why });
    void this.close(1013, 'Reading too slowly');
  }

  /** Cuts connections whose peer vanished without closing (sleep, lost network). */
  private scheduleHeartbeat(): void {
    if (this.deps.heartbeatMs <= 0) return;
    this.heartbeat = this.deps.runtime.timers.setTimeout(() => {
      if (!this.socket.isOpen) return;
      if (!this.alive) {
        this.socket.terminate();
        return;
      }
      this.alive = false;
      this.socket.ping();
      this.scheduleHeartbeat();
    }, this.deps.heartbeatMs);
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The rid of a frame too broken to parse, if it has a usable one, so the client can match the error. */
function readableRid(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('rid' in json)) return undefined;
  const rid = json.rid;
  return typeof rid === 'string' && rid.length >= 1 && rid.length <= LIMITS.maxIdChars ? rid : undefined;
}
