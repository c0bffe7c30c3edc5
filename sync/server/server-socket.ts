/**
 * What a SyncConnection needs of its socket, and nothing more: text frames in and out, a close
 * that happens once, and the two transport niceties the WebSocket offers (flow control and a
 * ping). Production wraps a `ws` WebSocket (ws-server-socket.ts); the simulation plugs in an
 * in-memory socket, so the same connection logic runs without a network.
 */
export type InboundFrame = { binary: false; text: string } | { binary: true };

export interface ServerSocket {
  /** Frames can still be sent (neither closing nor closed). */
  readonly isOpen: boolean;
  /** Fully closed: the close handlers have run or are about to. */
  readonly isClosed: boolean;
  /** Bytes sent that the network has not taken yet (the peer reads slower than we write). */
  readonly bufferedBytes: number;
  /** Sends one text frame; silently ignored once the socket is going away. */
  send(text: string): void;
  /** Starts a clean close; the close handlers run once it completes. */
  close(code: number, reason: string): void;
  /** Cuts the socket at once (a peer that does not answer the close). */
  terminate(): void;
  /** Stop / start reading frames: how a flooding client is slowed. Sockets without backpressure may ignore it. */
  pause(): void;
  resume(): void;
  /** A liveness probe; an answer arrives as onPong. Sockets that cannot die silently may ignore it. */
  ping(): void;
  onFrame(handler: (frame: InboundFrame) => void): void;
  onPong(handler: () => void): void;
  /** Runs once, when the socket has closed, whichever side closed it. */
  onClose(handler: () => void): void;
}
