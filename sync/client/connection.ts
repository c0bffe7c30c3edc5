import type { ConversationDevices } from '../protocol/conversation-devices.js';
import type { RefusalReason } from '../protocol/refusal-reasons.js';
import type { ClientFrame, ErrorCode, PushFrame, ServerFrame } from '../protocol/frames.js';
import { isPermanentError, SESSION_ENDED_CLOSE_CODE } from '../protocol/frames.js';
import { serverFrameValidator } from '../protocol/server-frame-validator.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import { backoffDelay, RECONNECT_BACKOFF } from './backoff.js';
import { joinedPage } from './page-parts.js';
import type { Outdated, SyncSocket, SyncTransport } from './transport.js';

/** Why a request did not get a successful reply. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode | 'disconnected' | 'timeout',
    message: string,
    /** Why the server refused it, when it said (a REFUSAL_REASONS code). */
    readonly reason?: RefusalReason,
    /** With `rate_limited`: when the server said to send it again, in ms. */
    readonly retryAfterMs?: number,
    /** With `conversation_devices_changed`: the conversation's devices now (SyncEngine.devicesChanged records them). */
    readonly devices?: ConversationDevices,
  ) {
    super(message);
    this.name = 'RequestError';
  }

  /** A permanent refusal from the server; anything else is worth retrying later. */
  get permanent(): boolean {
    return this.code !== 'disconnected' && this.code !== 'timeout' && isPermanentError(this.code);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type Request = DistributiveOmit<ClientFrame, 'rid'>;
export type Push = PushFrame;

export interface ConnectionHooks {
  /** The socket is open; the engine syncs and then declares itself online. */
  onOpen(): void;
  onPush(push: Push): void;
  /** The socket closed (or never opened); a reconnect is already scheduled unless stopped. */
  onClose(info: { unauthorized: boolean; outdated?: Outdated }): void;
}

const REQUEST_TIMEOUT_MS = 15_000;
/**
 * Requests that only read (or say again what was said) are sent again by the connection itself
 * when the server answers `rate_limited`, after the wait it names; the outbox paces its own rows
 * (their order on the wire matters), and typing is not worth sending late.
 */
const RESENT_WHEN_RATE_LIMITED: ReadonlySet<Request['type']> = new Set([
  'catch_up',
  'fetch_inbox',
  'ack_inbox',
  'list_conversations',
  'list_settings',
  'receipt',
  'ping',
]);
const KEEPALIVE_INTERVAL_MS = 20_000;

interface Pending {
  /** The `events_part` frames of a catch-up so far; the page is whole with its `events` reply. */
  parts: Extract<ServerFrame, { type: 'events_part' }>[];
  resolve(frame: ServerFrame): void;
  reject(error: RequestError): void;
  timer: TimerHandle;
}

/**
 * One logical connection to the server: opens the socket, reconnects with backoff and jitter
 * whenever it drops, matches replies to requests by rid, and detects dead sockets with pings
 * (a train going into a tunnel leaves a socket that looks open but carries nothing).
 */
export class SyncConnection {
  private socket: SyncSocket | null = null;
  private isOpen = false;
  private stopped = true;
  private attempt = 0;
  private nextRid = 1;
  private readonly pending = new Map<string, Pending>();
  private reconnectTimer: TimerHandle | null = null;
  private keepaliveTimer: TimerHandle | null = null;

  constructor(
    private readonly transport: SyncTransport,
    private readonly runtime: Runtime,
    private readonly url: string,
    private readonly token: string,
    private readonly hooks: ConnectionHooks,
  ) {}

  get open(): boolean {
    return this.isOpen;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer('reconnectTimer');
    this.dropSocket('stopped');
  }

  /** Closes the socket now and reconnects after the usual backoff (used when it looks dead). */
  restart(): void {
    this.dropSocket('restarting');
  }

  /** Sends a request and resolves with its reply; rejects with RequestError on refusal, timeout or disconnect. */
  async request(request: Request, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ServerFrame> {
    try {
      return await this.requestOnce(request, timeoutMs);
    } catch (error) {
      const wait = error instanceof RequestError && error.code === 'rate_limited' ? error.retryAfterMs : undefined;
      if (wait === undefined || !RESENT_WHEN_RATE_LIMITED.has(request.type)) throw error;
      await new Promise<void>((resolve) => this.runtime.timers.setTimeout(resolve, wait));
      return this.request(request, timeoutMs);
    }
  }

  /**
   * Puts on the wire now the frames of requests made in this task (the transport holds them back
   * to write them together at its end): for a caller that has made its whole burst.
   */
  flush(): void {
    this.socket?.flush?.();
  }

  private requestOnce(request: Request, timeoutMs: number): Promise<ServerFrame> {
    if (!this.isOpen || !this.socket) {
      return Promise.reject(new RequestError('disconnected', 'Not connected'));
    }
    const rid = String(this.nextRid++);
    const socket = this.socket;
    return new Promise<ServerFrame>((resolve, reject) => {
      const timer = this.runtime.timers.setTimeout(() => {
        this.pending.delete(rid);
        reject(new RequestError('timeout', `No reply to ${request.type} within ${timeoutMs} ms`));
        // A request that gets no answer means the socket is probably dead: start over.
        if (this.socket === socket) this.restart();
      }, timeoutMs);
      this.pending.set(rid, { parts: [], resolve, reject, timer });
      socket.send(JSON.stringify({ ...request, rid }));
    });
  }

  private connect(): void {
    if (this.stopped) return;
    let socket: SyncSocket | null = null;
    socket = this.transport.open(this.url, this.token, {
      onOpen: () => {
        if (this.socket !== socket) return;
        this.isOpen = true;
        this.scheduleKeepalive();
        this.hooks.onOpen();
      },
      onMessage: (text) => {
        if (this.socket === socket) this.receive(text);
      },
      onClose: ({ code, unauthorized, outdated }) => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.isOpen = false;
        this.failPending('Connection lost');
        this.clearTimer('keepaliveTimer');
        // Refused at the upgrade (401), or closed because the session ended (signed out elsewhere,
        // a password change, expiry): the token opens nothing any more.
        this.hooks.onClose({
          unauthorized: unauthorized || code === SESSION_ENDED_CLOSE_CODE,
          ...(outdated ? { outdated } : {}),
        });
        this.scheduleReconnect();
      },
    });
    this.socket = socket;
  }

  /**
   * "Retry now": waiting to reconnect, it tries at once instead of at the end of its backoff (a
   * failure goes on with the backoff where it was). Connected, connecting or stopped: nothing.
   */
  reconnectNow(): void {
    if (this.stopped || this.socket || !this.reconnectTimer) return;
    this.clearTimer('reconnectTimer');
    this.connect();
  }

  /** Called by the engine once a full sync succeeded, so the next outage starts with a short wait. */
  resetBackoff(): void {
    this.attempt = 0;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = backoffDelay(RECONNECT_BACKOFF, this.attempt++, this.runtime.random);
    this.reconnectTimer = this.runtime.timers.setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private receive(text: string): void {
    let frame: ServerFrame;
    try {
      // Every frame is validated; the hot ones (pages of events, acknowledgements) by hand, as zod would.
      const parsed = serverFrameValidator.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(parsed.error.message);
      frame = parsed.data;
    } catch (error) {
      // A server that speaks nonsense is a server bug; log it and keep the connection.
      console.warn('Ignoring malformed frame from server:', error instanceof Error ? error.message : error);
      return;
    }
    if ('rid' in frame && frame.rid !== undefined) {
      const waiting = this.pending.get(frame.rid);
      if (!waiting) return;
      if (frame.type === 'events_part') {
        waiting.parts.push(frame);
        return;
      }
      this.pending.delete(frame.rid);
      this.runtime.timers.clearTimeout(waiting.timer);
      if (frame.type === 'error')
        waiting.reject(new RequestError(frame.code, frame.message, frame.reason, frame.retryAfterMs, frame.devices));
      else waiting.resolve(frame.type === 'events' ? joinedPage(waiting.parts, frame) : frame);
      return;
    }
    if (frame.type === 'error') {
      console.warn(`Server error without request id: ${frame.code}: ${frame.message}`);
      return;
    }
    this.hooks.onPush(frame as Push);
  }

  private scheduleKeepalive(): void {
    this.clearTimer('keepaliveTimer');
    this.keepaliveTimer = this.runtime.timers.setTimeout(() => {
      this.keepaliveTimer = null;
      if (!this.isOpen) return;
      // A timeout inside request() restarts the socket; success just schedules the next ping.
      this.request({ type: 'ping' }).then(
        () => this.scheduleKeepalive(),
        () => undefined,
      );
    }, KEEPALIVE_INTERVAL_MS);
  }

  private dropSocket(reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.isOpen = false;
    this.clearTimer('keepaliveTimer');
    this.failPending(reason);
    socket.close();
    this.hooks.onClose({ unauthorized: false });
    this.scheduleReconnect();
  }

  private failPending(reason: string): void {
    for (const [rid, waiting] of this.pending) {
      this.runtime.timers.clearTimeout(waiting.timer);
      waiting.reject(new RequestError('disconnected', reason));
      this.pending.delete(rid);
    }
  }

  private clearTimer(name: 'reconnectTimer' | 'keepaliveTimer'): void {
    const timer = this[name];
    if (timer) this.runtime.timers.clearTimeout(timer);
    this[name] = null;
  }
}
