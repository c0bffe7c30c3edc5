/**
 * The WebSocket transport holds back the frames sent in one task to write them together, and
 * flush() writes what it holds at once: the corked TCP socket is uncorked then, not at the end of
 * the task, and every frame arrives once, in order, around any number of flushes.
 */
import { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import type { SyncSocket } from '../../../sync/client/transport.js';
import { wsTransport } from '../../../sync/client/ws-transport.js';
import { wsText } from '../../../sync/node/ws-text.js';
import { PROTOCOL_HEADER, SYNC_PROTOCOL } from '../../../sync/protocol/version.js';
import { eventually } from '../../support/client-harness.js';

const servers: WebSocketServer[] = [];
const sockets: SyncSocket[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/**
 * A WebSocket server that speaks this protocol version (protocol/version.ts) and keeps the text of
 * every frame it receives, and a client on it.
 */
async function connected(): Promise<{ socket: SyncSocket; received: string[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SYNC_PROTOCOL });
  server.on('headers', (headers) => headers.push(`${PROTOCOL_HEADER}: ${SYNC_PROTOCOL}`));
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const received: string[] = [];
  server.on('connection', (peer) => peer.on('message', (data) => received.push(wsText(data))));
  const { port } = server.address() as AddressInfo;
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const socket = wsTransport.open(`ws://127.0.0.1:${port}`, 'token', {
    onOpen: () => opened(),
    onMessage: () => undefined,
    onClose: () => undefined,
  });
  sockets.push(socket);
  await open;
  return { socket, received };
}

describe('the WebSocket transport', () => {
  it('holds the frames of a task until flush() writes them, at once', async () => {
    const { socket, received } = await connected();
    // The client's TCP socket is the one the transport corks.
    const cork = vi.spyOn(Socket.prototype, 'cork');
    socket.send('a');
    socket.send('b');
    const tcp = cork.mock.contexts[0] as Socket;
    expect(tcp).toBeInstanceOf(Socket);
    expect(tcp.writableCorked).toBeGreaterThan(0);
    socket.flush?.();
    expect(tcp.writableCorked).toBe(0);
    await eventually(
      () => received,
      (list) => list.length === 2,
      'both frames',
    );
    expect(received).toEqual(['a', 'b']);
  });

  it('delivers every frame once and in order, flushed or not, and a flush with nothing held does nothing', async () => {
    const { socket, received } = await connected();
    socket.flush?.();
    socket.send('1');
    socket.flush?.();
    socket.flush?.();
    socket.send('2');
    socket.send('3');
    socket.flush?.();
    socket.send('4');
    // '4' goes at the end of the task, with whatever else it sends.
    await Promise.resolve();
    socket.send('5');
    await eventually(
      () => received,
      (list) => list.length >= 5,
      'five frames',
    );
    expect(received).toEqual(['1', '2', '3', '4', '5']);
  });
});
