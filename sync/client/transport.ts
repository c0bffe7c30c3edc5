/**
 * How the sync engine reaches the server. The engine only sees text frames; the production
 * implementation is a `ws` WebSocket (ws-transport.ts), tests and the simulation may plug in an
 * in-memory one.
 */
/** Which side is older, when the app and the server speak different protocol versions. */
export type Outdated = 'app' | 'server';

export interface SocketHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  /**
   * Called once, whether the socket failed to open or closed later. `outdated` says the two sides
   * speak different versions (protocol/version.ts): 'app' when the server refused this one, 'server'
   * when the server did not choose it.
   */
  onClose(info: { code: number; reason: string; unauthorized: boolean; outdated?: Outdated }): void;
}

export interface SyncSocket {
  /** May hold the frame back to go out in one write with the others of the current task. */
  send(text: string): void;
  /**
   * Writes what send() holds back now, instead of at the end of the current task: a sender that
   * has put its whole burst on the socket need not wait for the rest of the task. Optional: a
   * transport that holds nothing back has nothing to write.
   */
  flush?(): void;
  close(): void;
}

export interface SyncTransport {
  open(url: string, token: string, handlers: SocketHandlers): SyncSocket;
}
