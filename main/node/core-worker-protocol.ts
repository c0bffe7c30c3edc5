/**
 * Messages between a host's main thread and the core worker (main/node/core-worker.ts).
 *   host → worker:  { type: 'call', id, method, args }   an untrusted app API call, relayed as-is
 *                   { type: 'close' }                     close the core, then let the thread end
 *   worker → host:  { type: 'ready' }                     the core is open
 *                   { type: 'failed', message }           the core could not be opened
 *                   { type: 'reply', id, reply }          the dispatcher's result envelope
 *                   { type: 'event', event }              a core change notification
 *                   { type: 'closed' }                    the core is closed; safe to end the thread
 * Validation of (method, args) happens in the worker, by the app API dispatcher.
 */
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { AppCallResult } from '../../sync/app-api/dispatcher.js';

/** What the worker receives as `workerData`: ClientCoreOptions minus what cannot cross threads. */
export interface CoreWorkerData {
  profileDir: string;
  defaultServerUrl: string;
  nativeBinding?: string;
  /** --allow-loopback-previews: link previews may fetch http://127.0.0.1 (tests only). */
  allowLoopbackPreviews?: boolean;
}

export type HostToWorker = { type: 'call'; id: number; method: string; args: unknown } | { type: 'close' };

export type WorkerToHost =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; reply: AppCallResult }
  | { type: 'event'; event: AppEvent }
  | { type: 'closed' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isCoreWorkerData(value: unknown): value is CoreWorkerData {
  return (
    isRecord(value) &&
    typeof value.profileDir === 'string' &&
    value.profileDir.length > 0 &&
    typeof value.defaultServerUrl === 'string' &&
    (value.nativeBinding === undefined || typeof value.nativeBinding === 'string') &&
    (value.allowLoopbackPreviews === undefined || typeof value.allowLoopbackPreviews === 'boolean')
  );
}

export function parseHostMessage(value: unknown): HostToWorker | null {
  if (!isRecord(value)) return null;
  if (value.type === 'close') return { type: 'close' };
  if (
    value.type === 'call' &&
    typeof value.id === 'number' &&
    Number.isSafeInteger(value.id) &&
    typeof value.method === 'string'
  ) {
    return { type: 'call', id: value.id, method: value.method, args: value.args };
  }
  return null;
}

export function parseWorkerMessage(value: unknown): WorkerToHost | null {
  if (!isRecord(value)) return null;
  switch (value.type) {
    case 'ready':
    case 'closed':
      return { type: value.type };
    case 'failed':
      return { type: 'failed', message: typeof value.message === 'string' ? value.message : 'unknown error' };
    case 'reply':
      if (typeof value.id === 'number' && isRecord(value.reply) && typeof value.reply.ok === 'boolean') {
        return { type: 'reply', id: value.id, reply: value.reply as AppCallResult };
      }
      return null;
    case 'event':
      if (isRecord(value.event) && typeof value.event.type === 'string') return { type: 'event', event: value.event as AppEvent };
      return null;
    default:
      return null;
  }
}
