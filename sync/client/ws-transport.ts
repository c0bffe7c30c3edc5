import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { LIMITS } from '../protocol/limits.js';
import { PROTOCOL_HEADER, SYNC_PROTOCOL, UPGRADE_REQUIRED_STATUS } from '../protocol/version.js';
import type { Outdated, SocketHandlers, SyncSocket, SyncTransport } from './transport.js';
import { wsText } from '../node/ws-text.js';

/** The production transport: a `ws` WebSocket offering this protocol version, with the session token as a bearer header. */
export const wsTransport: SyncTransport = {
  open(url: string, token: string, handlers: SocketHandlers): SyncSocket {
    const socket = new WebSocket(url, [SYNC_PROTOCOL], {
      headers: { Authorization: `Bearer ${token}` },
      maxPayload: LIMITS.maxServerFrameBytes,
      handshakeTimeout: 10_000,
    });
    let closed = false;
    let unauthorized = false;
    let outdated: Outdated | undefined;
    // The TCP socket under the WebSocket (the upgrade response's), to send a burst of frames (a
    // window of the outbox, catch-up requests side by side) in one write instead of one each.
    let tcp: Duplex | null = null;
    // The socket while it is corked: frames sent meanwhile wait for release().
    let held: Duplex | null = null;
    const release = () => {
      const socket = held;
      held = null;
      socket?.uncork();
    };
    socket.on('upgrade', (response) => {
      tcp = response.socket;
      // A server from before this version does not name it: its frames would be misread.
      if (response.headers[PROTOCOL_HEADER.toLowerCase()] !== SYNC_PROTOCOL) {
        outdated = 'server';
        socket.terminate();
      }
    });
    const finish = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      handlers.onClose({ code, reason, unauthorized, ...(outdated ? { outdated } : {}) });
    };
    socket.on('open', () => handlers.onOpen());
    socket.on('message', (data, isBinary) => {
      if (!isBinary) handlers.onMessage(wsText(data));
    });
    socket.on('unexpected-response', (_request, response) => {
      unauthorized = response.statusCode === 401;
      if (response.statusCode === UPGRADE_REQUIRED_STATUS) outdated = 'app';
      socket.terminate();
      finish(1006, `HTTP ${response.statusCode}`);
    });
    socket.on('error', (error) => finish(1006, error.message));
    socket.on('close', (code, reason) => finish(code, reason.toString()));
    return {
      send: (text) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        if (tcp && !held) {
          // Held until the callbacks of the current task have run (or flush()): everything they send goes together.
          held = tcp;
          held.cork();
          process.nextTick(release);
        }
        socket.send(text);
      },
      flush: release,
      close: () => {
        if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
        else socket.close(1000);
      },
    };
  },
};
