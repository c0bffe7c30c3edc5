import type { InboundFrame, ServerSocket } from '../../sync/server/server-socket.js';

/**
 * The server's end of an in-memory link. The network feeds it frames and tells it when the link
 * is gone; whatever the server sends goes back to the network through `transmit`.
 */
export class MemoryServerSocket implements ServerSocket {
  private readonly frameHandlers: Array<(frame: InboundFrame) => void> = [];
  private readonly pongHandlers: Array<() => void> = [];
  private readonly closeHandlers: Array<() => void> = [];
  private closing = false;
  private closed = false;

  constructor(
    private readonly transmit: (text: string) => void,
    /** The server closed its end (cleanly or not): the network tells the client, in order. */
    private readonly closedByServer: (code: number, reason: string) => void,
  ) {}

  get isOpen(): boolean {
    return !this.closing && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The simulated network takes every frame at once (its faults are drops and delays, not backpressure). */
  get bufferedBytes(): number {
    return 0;
  }

  send(text: string): void {
    if (this.isOpen) this.transmit(text);
  }

  /**
   * The in-memory peer answers a close at once, so the server's close completes without waiting
   * for virtual time; like `ws`, the close handlers still run later, not inside close().
   */
  close(code: number, reason: string): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.closedByServer(code, reason);
    queueMicrotask(() => this.finish());
  }

  terminate(): void {
    this.close(1006, 'terminated');
  }

  // Memory has no backpressure, and a link that breaks is reported by the network itself.
  pause(): void {}
  resume(): void {}
  ping(): void {
    if (this.isOpen) queueMicrotask(() => this.pongHandlers.forEach((handler) => handler()));
  }

  onFrame(handler: (frame: InboundFrame) => void): void {
    this.frameHandlers.push(handler);
  }
  onPong(handler: () => void): void {
    this.pongHandlers.push(handler);
  }
  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  /** A frame from the client arrives (dropped once this end is closing). */
  deliver(text: string): void {
    if (!this.isOpen) return;
    for (const handler of this.frameHandlers) handler({ binary: false, text });
  }

  /** The link is gone from the network's side (client closed, connection cut). */
  lost(): void {
    if (this.closed) return;
    this.closing = true;
    this.finish();
  }

  /** The server process died: nothing of it runs any more, not even its close handlers. */
  abandon(): void {
    this.closing = true;
    this.closed = true;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers) handler();
  }
}
