/**
 * A bare protocol client over `ws`: JSON.parse only, no zod, no mirror. Used for the 998 idle
 * connections and for the protocol-floor baselines (what the same exchange costs without the core).
 */
import WebSocket from 'ws';
import { wsText } from '../../../sync/node/ws-text.js';
import { SYNC_PATH } from '../../../sync/protocol/frames.js';
import { SYNC_PROTOCOL } from '../../../sync/protocol/version.js';

type Frame = { type: string; rid?: string; [key: string]: unknown };

export class RawClient {
  private nextRid = 0;
  private readonly waiting = new Map<string, (frame: Frame) => void>();
  private readonly pushListeners = new Set<(frame: Frame, receivedAt: bigint) => void>();
  private readonly closeListeners = new Set<(code: number) => void>();
  /** The number the welcome gave this socket's device among its account's. */
  deviceNumber = 0;

  private constructor(private readonly ws: WebSocket) {}

  /** Opens an authenticated socket and resolves once the welcome push arrived. */
  static connect(serverUrl: string, token: string, timeoutMs = 15_000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(serverUrl + SYNC_PATH, [SYNC_PROTOCOL], {
        headers: { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
      });
      const client = new RawClient(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('No welcome within the timeout'));
      }, timeoutMs);
      let welcomed = false;
      ws.on('message', (data) => {
        const receivedAt = process.hrtime.bigint();
        const frame = JSON.parse(wsText(data)) as Frame;
        if (!welcomed && frame.type === 'welcome') {
          welcomed = true;
          client.deviceNumber = frame.deviceNumber as number;
          clearTimeout(timer);
          resolve(client);
          return;
        }
        client.receive(frame, receivedAt);
      });
      ws.on('error', (error) => {
        clearTimeout(timer);
        if (!welcomed) reject(error);
      });
      ws.on('close', (code) => {
        for (const resolveWaiting of client.waiting.values()) resolveWaiting({ type: 'error', code: 'disconnected' });
        client.waiting.clear();
        for (const listener of client.closeListeners) listener(code);
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves with its reply (an error reply resolves too; check `type`). */
  request(frame: Omit<Frame, 'rid'>): Promise<Frame> {
    const rid = `r${++this.nextRid}`;
    return new Promise((resolve) => {
      this.waiting.set(rid, resolve);
      this.ws.send(JSON.stringify({ ...frame, rid }));
    });
  }

  onPush(listener: (frame: Frame, receivedAt: bigint) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  /** Called with the close code when the socket closes (the server's doing unless close() was called). */
  onClose(listener: (code: number) => void): void {
    this.closeListeners.add(listener);
  }

  close(): void {
    this.ws.terminate();
  }

  private receive(frame: Frame, receivedAt: bigint): void {
    if (frame.rid !== undefined) {
      const resolve = this.waiting.get(frame.rid);
      if (resolve) {
        this.waiting.delete(frame.rid);
        resolve(frame);
      }
      return;
    }
    for (const listener of this.pushListeners) listener(frame, receivedAt);
  }
}

/**
 * Opens many sockets, `concurrency` handshakes at a time. `onOpen` runs as each one is welcomed, so
 * a listener can see every push from the first (presence arrives right after the welcome).
 */
export async function connectMany(
  serverUrl: string,
  tokens: readonly string[],
  concurrency = 32,
  onOpen?: (client: RawClient) => void,
): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const token = tokens[next++]!;
      const client = await RawClient.connect(serverUrl, token);
      onOpen?.(client);
      clients.push(client);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tokens.length) }, worker));
  return clients;
}
