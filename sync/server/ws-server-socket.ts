import WebSocket from 'ws';
import type { InboundFrame, ServerSocket } from './server-socket.js';

/** The production ServerSocket: a `ws` WebSocket accepted by the sync server's upgrade handler. */
export function wsServerSocket(ws: WebSocket): ServerSocket {
  ws.on('error', () => {
    // 'close' follows every error (including 1009 for oversized frames); nothing to add.
  });
  return {
    get isOpen() {
      return ws.readyState === WebSocket.OPEN;
    },
    get isClosed() {
      return ws.readyState === WebSocket.CLOSED;
    },
    get bufferedBytes() {
      return ws.bufferedAmount;
    },
    send(text) {
      if (ws.readyState !== WebSocket.OPEN) return;
      // Encoded once here: given a string, ws counts its UTF-8 bytes first (Buffer.byteLength, a
      // pass over the whole text, an eighth of the server's time building catch-up pages) and the
      // socket then encodes it again.
      ws.send(Buffer.from(text, 'utf8'), { binary: false }, (error) => {
        // A send fails only when the socket is going away; its 'close' handler cleans up.
        void error;
      });
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    pause: () => ws.pause(),
    resume: () => {
      if (ws.isPaused) ws.resume();
    },
    ping: () => ws.ping(),
    onFrame(handler) {
      ws.on('message', (data, isBinary) => handler(toFrame(data, isBinary)));
    },
    onPong(handler) {
      ws.on('pong', handler);
    },
    onClose(handler) {
      ws.once('close', () => handler());
    },
  };
}

function toFrame(data: WebSocket.RawData, isBinary: boolean): InboundFrame {
  if (isBinary) return { binary: true };
  if (Array.isArray(data)) return { binary: false, text: Buffer.concat(data).toString('utf8') };
  if (data instanceof ArrayBuffer) return { binary: false, text: Buffer.from(data).toString('utf8') };
  return { binary: false, text: data.toString('utf8') };
}
