import { z } from 'zod';
import type WebSocket from 'ws';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import { clientFrameSchema, type ServerFrame, type User } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import type { ConnectionRegistry, Peer } from './connection-registry.js';
import { errorReply, handleFrame } from './frame-handlers.js';
import type { InFlight } from './in-flight.js';
import type { ServerLogger } from './logger.js';
import type { Presence } from './presence.js';
import type { ServerStore } from './store/server-store.js';

export interface ConnectionDeps {
  store: ServerStore;
  runtime: Runtime;
  registry: ConnectionRegistry<SyncConnection>;
  logger: ServerLogger;
  inFlight: InFlight;
  presence: Presence;
  /** How often to check that the peer is still there; 0 turns the check off. */
  heartbeatMs: number;
}

// A client that floods faster than the store keeps up is slowed at the TCP level rather than
// buffered without bound: stop reading at the high mark, read again at the low one.
const PAUSE_AT_PENDING = 64;
const RESUME_AT_PENDING = 16;
const CLOSE_GRACE_MS = 1000;

/** One authenticated socket. Its frames are handled strictly one after another, in arrival order. */
export class SyncConnection implements Peer {
  readonly userId: string;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private alive = true;
  private heartbeat: TimerHandle | undefined;
  private readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly user: User,
    private readonly deps: ConnectionDeps,
  ) {
    this.userId = user.id;
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
  }

  start(): void {
    const { ws, deps } = this;
    ws.on('error', () => {
      // 'close' follows every error (including 1009 for oversized frames); nothing to add.
    });
    ws.on('close', () => {
      if (this.heartbeat) deps.runtime.timers.clearTimeout(this.heartbeat);
      // Also how shutdown records last-seen times: it closes every socket, then drains the work.
      deps.presence.disconnected(this.userId, deps.registry.remove(this));
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (data, isBinary) => this.enqueue(data, isBinary));
    this.push({ type: 'welcome', user: this.user, serverTime: deps.runtime.clock.now() });
    deps.presence.connected(this, deps.registry.add(this));
    this.scheduleHeartbeat();
  }

  push(frame: ServerFrame): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(frame), (error) => {
      // A send fails only when the socket is going away; its 'close' handler cleans up.
      void error;
    });
  }

  /** Closes with `code`, and cuts the socket if the peer does not answer the close in time. */
  async close(code: number, reason: string): Promise<void> {
    if (this.ws.readyState === this.ws.CLOSED) return;
    this.ws.close(code, reason);
    const timer = this.deps.runtime.timers.setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    await this.closed;
    this.deps.runtime.timers.clearTimeout(timer);
  }

  private enqueue(data: WebSocket.RawData, isBinary: boolean): void {
    this.pending += 1;
    if (this.pending >= PAUSE_AT_PENDING) this.ws.pause();
    this.queue = this.queue
      .then(() => this.process(data, isBinary))
      .catch((error: unknown) => this.deps.logger.error('Frame processing failed unexpectedly', error))
      .finally(() => {
        this.pending -= 1;
        if (this.pending <= RESUME_AT_PENDING && this.ws.isPaused) this.ws.resume();
      });
    void this.deps.inFlight.track(this.queue);
  }

  private async process(data: WebSocket.RawData, isBinary: boolean): Promise<void> {
    if (isBinary) {
      this.push(errorReply(undefined, 'bad_frame', 'Binary frames are not supported; send JSON text'));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawToString(data));
    } catch {
      this.push(errorReply(undefined, 'bad_frame', 'Frame is not valid JSON'));
      return;
    }
    const rid = readableRid(json);
    const parsed = clientFrameSchema.safeParse(json);
    if (!parsed.success) {
      this.push(errorReply(rid, 'bad_frame', `Malformed frame: ${z.prettifyError(parsed.error)}`));
      return;
    }
    try {
      const result = await handleFrame({ store: this.deps.store, runtime: this.deps.runtime, user: this.user }, parsed.data);
      this.push(result.reply);
      for (const fanout of result.fanout) {
        this.deps.registry.pushToUsers(fanout.userIds, fanout.frame, fanout.exceptRequester ? this : undefined);
      }
      if (result.introduce) this.deps.presence.introduce(result.introduce);
    } catch (error) {
      this.deps.logger.error(`Handling ${parsed.data.type} for user ${this.userId} failed`, error);
      this.push(errorReply(rid, 'internal', 'Internal server error; try again later'));
    }
  }

  /** Cuts connections whose peer vanished without closing (sleep, lost network). */
  private scheduleHeartbeat(): void {
    if (this.deps.heartbeatMs <= 0) return;
    this.heartbeat = this.deps.runtime.timers.setTimeout(() => {
      if (this.ws.readyState !== this.ws.OPEN) return;
      if (!this.alive) {
        this.ws.terminate();
        return;
      }
      this.alive = false;
      this.ws.ping();
      this.scheduleHeartbeat();
    }, this.deps.heartbeatMs);
  }
}

function rawToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** The rid of a frame too broken to parse, if it has a usable one, so the client can match the error. */
function readableRid(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('rid' in json)) return undefined;
  const rid = (json as { rid: unknown }).rid;
  return typeof rid === 'string' && rid.length >= 1 && rid.length <= LIMITS.maxIdChars ? rid : undefined;
}
