/**
 * A loopback TCP proxy that a test can cut and restore: the network between one client and the
 * server, without touching the server or other clients. Listens on 127.0.0.1 only.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** Bytes the clients have sent through the proxy towards the server so far. */
  bytesToServer(): number;
  /** Closes every connection through the proxy and refuses new ones until restored. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  listenPort?: number;
  /**
   * While cut, a connection is refused at once; with this, only after its first bytes, which this is
   * told (to tell what was refused: a WebSocket upgrade from a plain HTTP request, say).
   */
  onRefused?: (firstBytes: Buffer) => void;
}

export async function startTcpProxy(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let open = true;
  let bytesToServer = 0;
  const server = net.createServer((client) => {
    if (!open) {
      const { onRefused } = options;
      if (!onRefused) {
        client.destroy();
        return;
      }
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      client.once('data', (chunk: Buffer) => {
        onRefused(chunk);
        client.destroy();
      });
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => (bytesToServer += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(options.listenPort ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    bytesToServer: () => bytesToServer,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    close() {
      open = false;
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
