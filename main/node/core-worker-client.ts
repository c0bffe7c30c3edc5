/**
 * The host's side of the core worker: starts dist/main/core-worker.cjs in a worker thread and
 * relays the app API to it. Works as an AppTransport. If the worker dies, every pending and later
 * call resolves to an `internal` error and the failure is reported through `onError`.
 */
import { Worker } from 'node:worker_threads';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { AppCallResult } from '../../sync/app-api/dispatcher.js';
import type { FileKeyring } from '../../sync/client/attachments/file-keys.js';
import {
  parseWorkerMessage,
  type CoreWorkerData,
  type FileKeyReply,
  type GifReply,
  type HostToWorker,
} from './core-worker-protocol.js';

export interface StartCoreWorkerOptions extends CoreWorkerData {
  /**
   * Called once if the core cannot be opened or the worker stops without being asked to (crash,
   * uncaught exception). Defaults to printing the error.
   */
  onError?: (error: Error) => void;
  /** The core's log lines (JSON), for the host's log file; dropped unless given. */
  onLog?: (line: string) => void;
}

export interface CoreWorkerHandle {
  /** Resolves when the core is open; rejects if it could not be opened or the worker died first. */
  readonly ready: Promise<void>;
  invoke(method: string, args: unknown): Promise<AppCallResult>;
  subscribe(listener: (event: AppEvent) => void): () => void;
  /** The attachment files' keys in the core's mirror, for this host's file gateway. */
  readonly fileKeys: FileKeyring;
  /** A GIF search result's bytes, for this host's gif gateway; rejects with a CoreWorkerError carrying the app error code. */
  gifBytes(gifId: string): Promise<Uint8Array>;
  /** Closes the core cleanly (queued messages stay on disk), then ends the thread. Idempotent. */
  close(): Promise<void>;
}

export class CoreWorkerError extends Error {
  constructor(
    message: string,
    /** Why the core could not be opened, when it said (e.g. mirror_unreadable). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CoreWorkerError';
  }
}

/**
 * The largest semi-space of the core thread's young generation (V8's nursery). A catch-up parses
 * pages of events and drops them once applied; with V8's default nursery, scavenges come so often
 * that pages still in use are promoted, and the old generation's collections pay for them.
 */
export const CORE_SEMI_SPACE_MB = 32;
/** V8's young generation holds two semi-spaces and a new large-object space of the same size. */
const CORE_YOUNG_GENERATION_MB = 3 * CORE_SEMI_SPACE_MB;

export function startCoreWorker(workerScriptPath: string, options: StartCoreWorkerOptions): CoreWorkerHandle {
  const { onError = (error: Error) => console.error(error.message), onLog = () => {}, ...rest } = options;
  const data: CoreWorkerData = {
    profileDir: rest.profileDir,
    defaultServerUrl: rest.defaultServerUrl,
    ...(rest.nativeBinding ? { nativeBinding: rest.nativeBinding } : {}),
    ...(rest.mirrorKey ? { mirrorKey: rest.mirrorKey } : {}),
    ...(rest.allowLoopbackPreviews ? { allowLoopbackPreviews: true } : {}),
    ...(rest.workOffline ? { workOffline: true } : {}),
    ...(rest.logLevel ? { logLevel: rest.logLevel } : {}),
    ...(rest.hostVersions ? { hostVersions: rest.hostVersions } : {}),
  };

  const worker = new Worker(workerScriptPath, {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: CORE_YOUNG_GENERATION_MB },
  });
  const pending = new Map<number, (reply: AppCallResult) => void>();
  const pendingKeys = new Map<number, (reply: FileKeyReply) => void>();
  const pendingGifs = new Map<number, (reply: GifReply) => void>();
  const listeners = new Set<(event: AppEvent) => void>();
  let nextId = 1;
  /** Set once the worker can no longer answer; calls resolve to this error. */
  let deadReason: string | null = null;
  let closeRequested = false;
  let reported = false;

  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // A host that never awaits `ready` still hears about failures through onError.
  ready.catch(() => {});

  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => (resolveExited = resolve));

  function failAll(reason: string): void {
    deadReason ??= reason;
    for (const [id, resolve] of pending) {
      pending.delete(id);
      resolve({ ok: false, error: { code: 'internal', message: deadReason } });
    }
    for (const [id, resolve] of pendingKeys) {
      pendingKeys.delete(id);
      resolve({ type: 'file_key_reply', id, ok: false, message: deadReason });
    }
    for (const [id, resolve] of pendingGifs) {
      pendingGifs.delete(id);
      resolve({ type: 'gif_reply', id, ok: false, code: 'internal', message: deadReason });
    }
  }

  function report(error: Error): void {
    rejectReady(error);
    if (reported || closeRequested) return;
    reported = true;
    onError(error);
  }

  let lastError: Error | null = null;

  worker.on('message', (raw: unknown) => {
    const message = parseWorkerMessage(raw);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        resolveReady();
        break;
      case 'failed': {
        const error = new CoreWorkerError(`The client core could not be opened: ${message.message}`, message.code);
        failAll(error.message);
        report(error);
        void worker.terminate();
        break;
      }
      case 'reply': {
        const resolve = pending.get(message.id);
        if (resolve) {
          pending.delete(message.id);
          resolve(message.reply);
        }
        break;
      }
      case 'event':
        for (const listener of [...listeners]) {
          try {
            listener(message.event);
          } catch (error) {
            console.error('core worker: event listener threw', error);
          }
        }
        break;
      case 'file_key_reply': {
        const resolve = pendingKeys.get(message.id);
        pendingKeys.delete(message.id);
        resolve?.(message);
        break;
      }
      case 'gif_reply': {
        const resolve = pendingGifs.get(message.id);
        pendingGifs.delete(message.id);
        resolve?.(message);
        break;
      }
      case 'log':
        onLog(message.line);
        break;
      case 'closed':
        failAll('The client core is closed');
        // The core has closed its database and connection: nothing left worth waiting for.
        void worker.terminate();
        break;
    }
  });

  worker.on('error', (error) => {
    lastError = error;
  });

  worker.on('exit', (code) => {
    const reason = closeRequested
      ? 'The client core is closed'
      : `The client core stopped unexpectedly (exit code ${code})${lastError ? `: ${lastError.message}` : ''}`;
    failAll(reason);
    if (!closeRequested) report(lastError ?? new CoreWorkerError(reason));
    else rejectReady(new CoreWorkerError(reason));
    listeners.clear();
    resolveExited();
  });

  function post(message: HostToWorker): void {
    worker.postMessage(message);
  }

  async function fileKey(request: { op: 'add'; keyId: string; key: string } | { op: 'get' | 'forget'; keyId: string }) {
    if (deadReason !== null || closeRequested) throw new CoreWorkerError(deadReason ?? 'The client core is closing');
    const id = nextId++;
    const reply = await new Promise<FileKeyReply>((resolve) => {
      pendingKeys.set(id, resolve);
      post({ type: 'file_key', id, ...request });
    });
    if (!reply.ok) throw new CoreWorkerError(`The key of an attachment file is out of reach: ${reply.message}`);
    return reply.key;
  }

  const fileKeys: FileKeyring = {
    add: async (keyId, key) => void (await fileKey({ op: 'add', keyId, key: key.toString('hex') })),
    get: async (keyId) => {
      const key = await fileKey({ op: 'get', keyId });
      return key === null ? null : Buffer.from(key, 'hex');
    },
    forget: async (keyId) => void (await fileKey({ op: 'forget', keyId })),
  };

  async function gifBytes(gifId: string): Promise<Uint8Array> {
    if (deadReason !== null || closeRequested) throw new CoreWorkerError(deadReason ?? 'The client core is closing', 'internal');
    const id = nextId++;
    const reply = await new Promise<GifReply>((resolve) => {
      pendingGifs.set(id, resolve);
      post({ type: 'gif', id, gifId });
    });
    if (!reply.ok) throw new CoreWorkerError(reply.message, reply.code);
    return reply.bytes;
  }

  return {
    ready,
    fileKeys,
    gifBytes,
    invoke(method, args) {
      if (deadReason !== null || closeRequested) {
        return Promise.resolve({
          ok: false,
          error: { code: 'internal', message: deadReason ?? 'The client core is closing' },
        });
      }
      const id = nextId++;
      return new Promise<AppCallResult>((resolve) => {
        pending.set(id, resolve);
        try {
          post({ type: 'call', id, method, args });
        } catch (error) {
          // Arguments that cannot be cloned across threads (functions, symbols…) are malformed calls.
          pending.delete(id);
          resolve({
            ok: false,
            error: {
              code: 'invalid_argument',
              message: `Arguments cannot be sent: ${error instanceof Error ? error.message : String(error)}`,
            },
          });
        }
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      if (!closeRequested) {
        closeRequested = true;
        if (deadReason === null) post({ type: 'close' });
      }
      await exited;
    },
  };
}
