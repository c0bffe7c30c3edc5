/**
 * How the sync engine reaches the server. The engine only sees text frames; the production
 * implementation is a `ws` WebSocket (ws-transport.ts), tests and the simulation may plug in an
 * in-memory one.
 */
export interface SocketHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  /** Called once, whether the socket failed to open or closed later. */
  onClose(info: { code: number; reason: string; unauthorized: boolean }): void;
}

export interface SyncSocket {
  send(text: string): void;
  close(): void;
}

export interface SyncTransport {
  open(url: string, token: string, handlers: SocketHandlers): SyncSocket;
}
