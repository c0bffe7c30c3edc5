/**
 * A raw sync socket for hostile-input tests. Unlike TestClient it sends anything at all (text,
 * binary, bytes that are not UTF-8) and keeps every frame the server sent as raw text, in arrival
 * order, so a test can compare replies byte for byte and pair them with what it sent.
 *
 * The server handles a socket's frames strictly one after another and answers each with exactly
 * one reply (a frame with a rid, or an error); pushes carry no rid and are not errors. So after
 * `exchange(frames)` the replies received since the call are the replies to `frames`, in order.
 *
 *   const socket = await RawSocket.connect(server.url, token);
 *   const replies = await socket.exchange(['not json', JSON.stringify({ type: 'ping', rid: 'a' })]);
 *   // replies[0].frame: { type: 'error', code: 'bad_frame', ... }, replies[1].frame: { type: 'ok', rid: 'a' }
 *
 * Every frame the server sends is checked against the protocol schema; violations are collected.
 */
import WebSocket from 'ws';
import { SYNC_PATH, serverFrameSchema, type ServerFrame } from '../../sync/protocol/frames.js';
import { SYNC_PROTOCOL } from '../../sync/protocol/version.js';

export interface Received {
  /** The frame exactly as it came off the wire (UTF-8 decoded). */
  raw: string;
  frame: ServerFrame;
}

/** A string is sent as a text frame; otherwise the bytes as given, as a text or a binary frame. */
export type Outgoing = string | { data: string | Buffer; binary: boolean };

export interface CloseInfo {
  code: number;
  reason: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
let barrierCount = 0;

export class RawSocket {
  /** Every frame received, pushes and replies alike. */
  readonly received: Received[] = [];
  /** Frames with a rid, and errors (an error without a rid answers a frame too broken to read one). */
  readonly replies: Received[] = [];
  /** Frames without a rid that are not errors: welcome, event, presence, … */
  readonly pushes: Received[] = [];
  /** Frames that broke the protocol schema (or were binary), as text. */
  readonly violations: string[] = [];
  readonly closed: Promise<CloseInfo>;
  closeInfo: CloseInfo | null = null;
  private readonly wakers = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('error', () => {
      // Surfaced through `closed`; an unhandled 'error' would crash the test process.
    });
  }

  /** Opens an authenticated socket and waits for its welcome push. */
  static async connect(url: string, token: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawSocket> {
    const ws = new WebSocket(url + SYNC_PATH, [SYNC_PROTOCOL], { headers: { authorization: `Bearer ${token}` } });
    const socket = new RawSocket(ws);
    await socket.until(() => socket.pushes.some((p) => p.frame.type === 'welcome'), timeoutMs, 'the welcome push');
    return socket;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: Outgoing): void {
    if (typeof frame === 'string') this.ws.send(frame, { binary: false });
    else this.ws.send(frame.data, { binary: frame.binary });
  }

  /**
   * Sends `frames`, then a ping, and resolves once the ping's `ok` is back: with the replies
   * received in between, which answer `frames` in order (one each, if the server keeps its word).
   * Rejects if the socket closes first (see `sendUntilClosed` for frames that should close it).
   */
  async exchange(frames: readonly Outgoing[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Received[]> {
    const start = this.replies.length;
    const rid = `~barrier~${++barrierCount}`;
    for (const frame of frames) this.send(frame);
    this.send(JSON.stringify({ type: 'ping', rid }));
    const isBarrier = (reply: Received) => reply.frame.type === 'ok' && reply.frame.rid === rid;
    await this.until(
      () => this.replies.slice(start).some(isBarrier),
      timeoutMs,
      `the barrier ${rid} after ${frames.length} frame(s)`,
    );
    const end = this.replies.findIndex((reply, index) => index >= start && isBarrier(reply));
    return this.replies.slice(start, end);
  }

  /** A ping round trip: everything the server sent this socket before its answer has arrived. */
  async barrier(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.exchange([], timeoutMs);
  }

  /** Sends `frame` and resolves with how the socket closed, and the replies that came before. */
  async sendUntilClosed(frame: Outgoing, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ close: CloseInfo; replies: Received[] }> {
    const start = this.replies.length;
    this.send(frame);
    await this.until(() => this.closeInfo !== null, timeoutMs, 'the socket to close', false);
    return { close: this.closeInfo!, replies: this.replies.slice(start) };
  }

  /** Resolves once at least `count` pushes (counting from index `from`) pass `matches`. */
  async waitForPushes(
    matches: (frame: ServerFrame) => boolean,
    count: number,
    from = 0,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<void> {
    await this.until(
      () => this.pushes.slice(from).filter((p) => matches(p.frame)).length >= count,
      timeoutMs,
      `${count} matching push(es)`,
    );
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close(1000);
    await this.until(() => this.closeInfo !== null, DEFAULT_TIMEOUT_MS, 'the socket to close', false).catch(() =>
      this.ws.terminate(),
    );
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    const raw = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    let frame: ServerFrame;
    try {
      if (isBinary) throw new Error('binary frame');
      frame = serverFrameSchema.parse(JSON.parse(raw));
    } catch (error) {
      this.violations.push(`${raw.slice(0, 500)} (${(error as Error).message})`);
      this.wake();
      return;
    }
    const entry = { raw, frame };
    this.received.push(entry);
    if (('rid' in frame && frame.rid !== undefined) || frame.type === 'error') this.replies.push(entry);
    else this.pushes.push(entry);
    this.wake();
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** Resolves once `done()` holds; rejects on timeout, and (unless told otherwise) when the socket closes first. */
  private until(done: () => boolean, timeoutMs: number, what: string, failOnClose = true): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) finish();
        else if (failOnClose && this.closeInfo !== null) {
          finish(new Error(`The socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => finish(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.wakers.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.wakers.add(check);
      check();
    });
  }
}
