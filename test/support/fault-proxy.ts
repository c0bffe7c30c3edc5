/**
 * A loopback TCP proxy that misbehaves on command, between one real client and the real server:
 *
 *   stall()   – stop forwarding bytes in both directions, on every connection (new ones too), while
 *               keeping the sockets open: a train in a tunnel. What arrives meanwhile is held and
 *               delivered, in order, by unstall(), as TCP would once the link is back.
 *   cut()     – close every connection cleanly (FIN both ways); new connections are accepted.
 *   reset()   – destroy every connection with a TCP RST (socket.resetAndDestroy()).
 *   throttle(n) – forward at most about n bytes a second per connection and direction (null: no limit).
 *
 * It counts the bytes that arrived each way (bytesToServer, bytesToClient), so a test can tell
 * how much a resumed transfer cost.
 *
 * Listens on 127.0.0.1 only and connects to 127.0.0.1:<targetPort>. See tcp-proxy.ts for the plain
 * cut/restore proxy; this one is separate so that one keeps its behaviour.
 */
import net from 'node:net';

export interface FaultProxy {
  port: number;
  /** ws://127.0.0.1:<port>: hand this to a client as its server address. */
  url: string;
  /** Connections accepted so far (a reconnecting client shows up here). */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  readonly stalled: boolean;
  /** Bytes that arrived from clients for the server / from the server for clients so far. */
  readonly bytesToServer: number;
  readonly bytesToClient: number;
  throttle(bytesPerSecond: number | null): void;
  stall(): void;
  unstall(): void;
  cut(): void;
  reset(): void;
  close(): Promise<void>;
}

type Held = Buffer | 'end' | 'destroy';

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  /** Held while stalled: bytes or events from the client (toServer) and from the server (toClient). */
  toServer: Held[];
  toClient: Held[];
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const links = new Set<Link>();
  let accepted = 0;
  let stalled = false;
  let closing = false;
  let bytesToServer = 0;
  let bytesToClient = 0;
  let bytesPerSecond: number | null = null;

  const deliver = (to: net.Socket, item: Held) => {
    if (to.destroyed) return;
    if (item === 'end') to.end();
    else if (item === 'destroy') to.destroy();
    else to.write(item);
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    if (closing) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    const link: Link = { client, upstream, toServer: [], toClient: [] };
    links.add(link);
    const relay = (from: net.Socket, to: net.Socket, queue: Held[]) => {
      from.on('data', (chunk: Buffer) => {
        if (to === upstream) bytesToServer += chunk.length;
        else bytesToClient += chunk.length;
        if (stalled) queue.push(chunk);
        else deliver(to, chunk);
        if (bytesPerSecond !== null) {
          // Reading pauses for as long as this chunk takes at the allowed rate.
          from.pause();
          setTimeout(() => from.resume(), (chunk.length / bytesPerSecond) * 1000);
        }
      });
      from.on('end', () => (stalled ? queue.push('end') : deliver(to, 'end')));
      from.on('close', () => {
        if (stalled) queue.push('destroy');
        else deliver(to, 'destroy');
        if (client.destroyed && upstream.destroyed) links.delete(link);
      });
      from.on('error', () => undefined);
    };
    relay(client, upstream, link.toServer);
    relay(upstream, client, link.toClient);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return [...links].filter((link) => !link.client.destroyed).length;
    },
    get stalled() {
      return stalled;
    },
    get bytesToServer() {
      return bytesToServer;
    },
    get bytesToClient() {
      return bytesToClient;
    },
    throttle(limit) {
      bytesPerSecond = limit;
    },
    stall() {
      stalled = true;
    },
    unstall() {
      stalled = false;
      for (const link of links) {
        for (const item of link.toServer.splice(0)) deliver(link.upstream, item);
        for (const item of link.toClient.splice(0)) deliver(link.client, item);
      }
    },
    cut() {
      for (const link of links) {
        link.toServer.length = 0;
        link.toClient.length = 0;
        link.client.end();
        link.upstream.end();
      }
    },
    reset() {
      for (const link of [...links]) {
        links.delete(link);
        for (const socket of [link.client, link.upstream]) {
          if (socket.destroyed) continue;
          // RST needs a connected TCP handle; a socket still connecting is simply destroyed.
          if (socket.readyState === 'open' || socket.readyState === 'readOnly' || socket.readyState === 'writeOnly') {
            socket.resetAndDestroy();
          } else {
            socket.destroy();
          }
        }
      }
    },
    close() {
      closing = true;
      stalled = false;
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      links.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
