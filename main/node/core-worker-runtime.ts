/**
 * The worker side of the relay, independent of how the core is opened so tests can run it with a
 * fake core. main/node/core-worker.ts wires it to the real openClientCore.
 */
import { createAppDispatcher, type AppCallResult } from '../../sync/app-api/dispatcher.js';
import { AppApiError } from '../../sync/app-api/contract.js';
import type { ClientCore, ClientCoreOptions } from '../../sync/client/client-core-types.js';
import type { FileKeyring } from '../../sync/client/attachments/file-keys.js';
import { errorFields, SILENT_LOGGER, type Logger } from '../../sync/common/logger.js';
import { createLogger } from '../common/logging.js';
import {
  parseHostMessage,
  type CoreWorkerData,
  type FileKeyReply,
  type FileKeyRequest,
  type GifReply,
  type GifRequest,
  type WorkerToHost,
} from './core-worker-protocol.js';

/** The bits of worker_threads' parentPort this needs. */
export interface WorkerPort {
  postMessage(message: WorkerToHost, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  close(): void;
}

export type OpenCore = (options: ClientCoreOptions) => Promise<ClientCore>;

/** A typed failure's code (MirrorUnreadableError's mirror_unreadable), so the host can tell it apart. */
function codeOf(error: unknown): { code?: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { code } : {};
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The core's logger: its lines go to the host (the one writer of the profile's log files) as 'log'
 * messages, until the port closes.
 */
function workerLogger(port: WorkerPort, data: CoreWorkerData, portOpen: () => boolean): Logger {
  if (data.logLevel === undefined || data.logLevel === 'silent') return SILENT_LOGGER;
  return createLogger({
    level: data.logLevel,
    name: 'core',
    destination: { write: (line) => portOpen() && port.postMessage({ type: 'log', line }) },
  });
}

export function runCoreWorker(port: WorkerPort, data: CoreWorkerData, openCore: OpenCore): void {
  let state: 'opening' | 'open' | 'closing' | 'closed' | 'failed' = 'opening';
  let unsubscribe: (() => void) | null = null;
  /** The open mirror's attachment keys (none while the core is in recovery). */
  let fileKeys: FileKeyring | null = null;
  const log = workerLogger(port, data, () => state !== 'closed' && state !== 'failed');

  const opening = (async () => {
    const core = await openCore({
      profileDir: data.profileDir,
      defaultServerUrl: data.defaultServerUrl,
      onFileKeys: (keys) => {
        fileKeys = keys;
      },
      ...(data.nativeBinding ? { nativeBinding: data.nativeBinding } : {}),
      ...(data.mirrorKey ? { mirrorKey: Buffer.from(data.mirrorKey, 'hex') } : {}),
      ...(data.workOffline ? { workOffline: true } : {}),
      ...(data.hostVersions ? { hostVersions: data.hostVersions } : {}),
      logger: log,
    });
    const dispatch = createAppDispatcher(core);
    return { core, dispatch };
  })();

  opening.then(
    ({ core }) => {
      if (state !== 'opening') return;
      state = 'open';
      unsubscribe = core.subscribe((event) => port.postMessage({ type: 'event', event }));
      port.postMessage({ type: 'ready' });
    },
    (error: unknown) => {
      log.error('the client core could not be opened', errorFields(error));
      state = 'failed';
      process.exitCode = 1;
      port.postMessage({ type: 'failed', message: describe(error), ...codeOf(error) });
      // The host ends the thread when it reads 'failed'; closing the port lets it end on its own too.
      port.close();
    },
  );

  const unavailable = (message: string): AppCallResult => ({ ok: false, error: { code: 'internal', message } });

  async function call(id: number, method: string, args: unknown): Promise<void> {
    let reply: AppCallResult;
    try {
      const { dispatch } = await opening;
      reply = state === 'open' ? await dispatch(method, args) : unavailable('The client core is shutting down');
    } catch (error) {
      reply = unavailable(`The client core could not be opened: ${describe(error)}`);
    }
    if (!reply.ok) {
      // Refusals are ordinary (not signed in, offline, a wrong password): their code is enough. An
      // internal failure is a bug or a broken disk: its message too.
      const { code, message } = reply.error;
      if (code === 'internal') log.error('call failed', { method, code, error: message });
      else log.info('call refused', { method, code });
    }
    if (state === 'closed') return;
    port.postMessage({ type: 'reply', id, reply });
  }

  /** The host's file gateway reaching attachment keys; never through the app API the page can call. */
  async function fileKey(request: FileKeyRequest): Promise<void> {
    let reply: FileKeyReply;
    try {
      await opening;
      const keys = state === 'open' ? fileKeys : null;
      if (keys === null) throw new Error('The messages on this device are not open');
      switch (request.op) {
        case 'get': {
          const key = await keys.get(request.keyId);
          reply = { type: 'file_key_reply', id: request.id, ok: true, key: key?.toString('hex') ?? null };
          break;
        }
        case 'add':
          await keys.add(request.keyId, Buffer.from(request.key, 'hex'));
          reply = { type: 'file_key_reply', id: request.id, ok: true, key: null };
          break;
        case 'forget':
          await keys.forget(request.keyId);
          reply = { type: 'file_key_reply', id: request.id, ok: true, key: null };
          break;
      }
    } catch (error) {
      reply = { type: 'file_key_reply', id: request.id, ok: false, message: describe(error) };
    }
    if (state === 'closed') return;
    port.postMessage(reply);
  }

  /** The host's gif gateway asking for a search result's bytes, moved to the host's thread. */
  async function gif(request: GifRequest): Promise<void> {
    let reply: GifReply;
    try {
      const { core } = await opening;
      if (state !== 'open' || !core.gifBytes) throw new AppApiError('internal', 'The client core is not open');
      const bytes = await core.gifBytes(request.gifId);
      reply = { type: 'gif_reply', id: request.id, ok: true, bytes: new Uint8Array(bytes) };
    } catch (error) {
      const { code, message } = error instanceof AppApiError ? error : { code: 'internal', message: describe(error) };
      reply = { type: 'gif_reply', id: request.id, ok: false, code, message };
    }
    if (state === 'closed') return;
    // A copy is moved: the core keeps its own for the next time the page shows this GIF.
    port.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []);
  }

  async function close(): Promise<void> {
    if (state === 'closing' || state === 'closed') return;
    const wasOpen = state === 'open' || state === 'opening';
    state = 'closing';
    if (wasOpen) {
      try {
        const { core } = await opening;
        unsubscribe?.();
        await core.close();
      } catch (error) {
        process.exitCode = 1;
        log.error('closing the client core failed', errorFields(error));
        console.error(`core worker: closing the client core failed: ${describe(error)}`);
      }
    }
    state = 'closed';
    port.postMessage({ type: 'closed' });
    port.close();
  }

  port.on('message', (raw) => {
    const message = parseHostMessage(raw);
    if (!message) return;
    if (message.type === 'close') void close();
    else if (message.type === 'file_key') void fileKey(message);
    else if (message.type === 'gif') void gif(message);
    else void call(message.id, message.method, message.args);
  });
}
