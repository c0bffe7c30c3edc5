/**
 * AppTransport over the browser host's loopback WebSocket (see sync/app-api/bridge-frames.ts).
 *
 * - Calls made while the socket is not open are queued and sent once it opens; a call that waits
 *   longer than `queueTimeoutMs` is rejected so the UI never hangs forever.
 * - When an open socket drops (the host restarted), every call already sent is rejected with a
 *   TransportError: its answer is lost. Then the transport reconnects with exponential backoff
 *   (250 ms doubling to 5 s) and reports `recovered` so the app re-reads everything.
 * - Replies are matched by id; pushes are forwarded to subscribers. Malformed frames are ignored.
 */
import { BRIDGE_MAX_FRAME_BYTES, type BridgeRequest } from '../../sync/app-api/bridge-frames.js';
import { appEventSchema, type AppApiMethod, type AppEvent } from '../../sync/app-api/contract.js';
import type { AppCallResult } from '../../sync/app-api/dispatcher.js';
import { TransportError, type RendererTransport, type TransportStatus } from './types.js';

export interface BridgeTransportOptions {
  /** ws:// or wss:// address of the bridge. */
  url: string;
  /** Injectable for tests; defaults to the browser's WebSocket. */
  WebSocketImpl?: typeof WebSocket;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How long a call may wait for the socket to open before it is rejected. */
  queueTimeoutMs?: number;
}

type Timer = ReturnType<typeof setTimeout>;

interface Call {
  resolve(result: AppCallResult): void;
  reject(error: Error): void;
}

interface QueuedCall extends Call {
  id: number;
  frame: string;
  timer: Timer;
}

const encoder = new TextEncoder();

export function createBridgeTransport(options: BridgeTransportOptions): RendererTransport {
  const WebSocketImpl = options.WebSocketImpl ?? WebSocket;
  const initialDelayMs = options.initialDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const queueTimeoutMs = options.queueTimeoutMs ?? 15_000;

  let socket: WebSocket | null = null;
  let isOpen = false;
  let everOpened = false;
  let closed = false;
  let delayMs = initialDelayMs;
  let reconnectTimer: Timer | null = null;
  let status: TransportStatus = 'connecting';
  let nextId = 1;

  const sent = new Map<number, Call>();
  const queue: QueuedCall[] = [];
  const eventListeners = new Set<(event: AppEvent) => void>();
  const statusListeners = new Set<(status: TransportStatus, recovered: boolean) => void>();

  function setStatus(next: TransportStatus, recovered: boolean): void {
    if (next === status && !recovered) return;
    status = next;
    for (const listener of [...statusListeners]) {
      try {
        listener(next, recovered);
      } catch (error) {
        console.error('bridge status listener failed', error);
      }
    }
  }

  function connect(): void {
    reconnectTimer = null;
    if (closed) return;
    let ws: WebSocket;
    try {
      ws = new WebSocketImpl(options.url);
    } catch (error) {
      console.error('bridge: cannot open WebSocket', error);
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      isOpen = true;
      delayMs = initialDelayMs;
      const recovered = everOpened;
      everOpened = true;
      flushQueue();
      setStatus('connected', recovered);
    };
    ws.onmessage = (message: MessageEvent) => {
      if (socket === ws && typeof message.data === 'string') handleFrame(message.data);
    };
    ws.onerror = () => {
      // A close event always follows; it does the work.
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      const wasOpen = isOpen;
      socket = null;
      isOpen = false;
      if (wasOpen) failSent('The connection to the app was lost before it answered.');
      if (closed) return;
      setStatus(everOpened ? 'reconnecting' : 'connecting', false);
      scheduleReconnect();
    };
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer !== null) return;
    reconnectTimer = setTimeout(connect, delayMs);
    delayMs = Math.min(delayMs * 2, maxDelayMs);
  }

  function failSent(reason: string): void {
    const calls = [...sent.values()];
    sent.clear();
    for (const call of calls) call.reject(new TransportError(reason));
  }

  function flushQueue(): void {
    while (queue.length > 0 && isOpen && socket) {
      const call = queue.shift()!;
      clearTimeout(call.timer);
      transmit(socket, call.id, call.frame, call);
    }
  }

  function transmit(ws: WebSocket, id: number, frame: string, call: Call): void {
    sent.set(id, call);
    try {
      ws.send(frame);
    } catch (error) {
      sent.delete(id);
      call.reject(new TransportError(`Could not send to the app: ${String(error)}`));
    }
  }

  function handleFrame(data: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    const record = frame as Record<string, unknown>;
    if (typeof record.id === 'number' && 'reply' in record) {
      const call = sent.get(record.id);
      if (!call) return;
      sent.delete(record.id);
      if (isCallResult(record.reply)) call.resolve(record.reply);
      else call.reject(new TransportError('The app sent a malformed reply.'));
      return;
    }
    if ('event' in record) {
      const event = parseEvent(record.event);
      if (!event) return;
      for (const listener of [...eventListeners]) {
        try {
          listener(event);
        } catch (error) {
          console.error('bridge event listener failed', error);
        }
      }
    }
  }

  const transport: RendererTransport = {
    kind: 'bridge',

    invoke(method: AppApiMethod, args: unknown): Promise<AppCallResult> {
      if (closed) return Promise.reject(new TransportError('The connection to the app is closed.'));
      const id = nextId++;
      const request: BridgeRequest = { id, method, args };
      let frame: string;
      try {
        frame = JSON.stringify(request);
      } catch (error) {
        return Promise.reject(new TransportError(`Cannot encode the call: ${String(error)}`));
      }
      if (frame.length * 3 > BRIDGE_MAX_FRAME_BYTES && encoder.encode(frame).byteLength > BRIDGE_MAX_FRAME_BYTES) {
        return Promise.reject(new TransportError('The call is too large to send.'));
      }
      return new Promise<AppCallResult>((resolve, reject) => {
        if (isOpen && socket) {
          transmit(socket, id, frame, { resolve, reject });
          return;
        }
        const queued: QueuedCall = {
          id,
          frame,
          resolve,
          reject,
          timer: setTimeout(() => {
            const index = queue.indexOf(queued);
            if (index >= 0) queue.splice(index, 1);
            reject(new TransportError('The app is not reachable.'));
          }, queueTimeoutMs),
        };
        queue.push(queued);
      });
    },

    subscribe(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },

    status: () => status,

    onStatus(listener) {
      statusListeners.add(listener);
      return () => {
        statusListeners.delete(listener);
      };
    },

    close() {
      if (closed) return;
      closed = true;
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const ws = socket;
      socket = null;
      isOpen = false;
      ws?.close();
      failSent('The connection to the app is closed.');
      for (const call of queue.splice(0)) {
        clearTimeout(call.timer);
        call.reject(new TransportError('The connection to the app is closed.'));
      }
      eventListeners.clear();
      statusListeners.clear();
    },
  };

  connect();
  return transport;
}

function isCallResult(value: unknown): value is AppCallResult {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.ok === true ? 'result' in record : record.ok === false && typeof record.error === 'object';
}

/** Accepts only the event shapes of the contract; anything else is dropped. */
export function parseEvent(value: unknown): AppEvent | null {
  const parsed = appEventSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
