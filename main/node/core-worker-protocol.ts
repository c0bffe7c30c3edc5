/**
 * Messages between a host's main thread and the core worker (main/node/core-worker.ts).
 *   host → worker:  { type: 'call', id, method, args }   an untrusted app API call, relayed as-is
 *                   { type: 'close' }                     close the core, then let the thread end
 *                   { type: 'file_key', id, op, keyId, key? } the file gateway's access to attachment keys
 *                   { type: 'gif', id, gifId }            the gif gateway's request for a search result's bytes
 *   worker → host:  { type: 'ready' }                     the core is open
 *                   { type: 'failed', message, code? }    the core could not be opened (code: e.g. mirror_unreadable)
 *                   { type: 'reply', id, reply }          the dispatcher's result envelope
 *                   { type: 'event', event }              a core change notification
 *                   { type: 'closed' }                    the core is closed; safe to end the thread
 *                   { type: 'file_key_reply', id, ... }   a file key (or null), done, or why not
 *                   { type: 'gif_reply', id, ... }        a GIF's bytes, or the app error code saying why not
 *                   { type: 'log', line }                 a log line (JSON) for the host's log file
 * File keys travel only between the host's main thread and the worker: never over the app API.
 * Validation of (method, args) happens in the worker, by the app API dispatcher.
 */
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { AppCallResult } from '../../sync/app-api/dispatcher.js';
import { KEY_ID_PATTERN } from '../../sync/client/attachments/file-keys.js';
import type { HostVersions } from '../../sync/client/client-core-types.js';
import { isLogLevel, type LogLevel } from '../../sync/common/logger.js';

/** What the worker receives as `workerData`: ClientCoreOptions minus what cannot cross threads. */
export interface CoreWorkerData {
  profileDir: string;
  defaultServerUrl: string;
  nativeBinding?: string;
  /** The mirror's key as 64 hex characters (kept in memory only; see main/common/mirror-key-file.ts). */
  mirrorKey?: string;
  /** --allow-loopback-previews: link previews may fetch http://127.0.0.1 (tests only). */
  allowLoopbackPreviews?: boolean;
  /** --offline: start with Work offline on, before anything connects. */
  workOffline?: boolean;
  /** --log-level: what the core logs (its lines come back as 'log' messages); nothing unless given. */
  logLevel?: LogLevel;
  /** For getAbout: the app's version, and Electron's and Chromium's where the host has them. */
  hostVersions?: HostVersions;
}

export type FileKeyRequest =
  | { type: 'file_key'; id: number; op: 'add'; keyId: string; key: string }
  | { type: 'file_key'; id: number; op: 'get' | 'forget'; keyId: string };

/** Keys (hex) the file gateway asked for: a key or null for 'get', null once done for the others. */
export type FileKeyReply = { type: 'file_key_reply'; id: number } & (
  { ok: true; key: string | null } | { ok: false; message: string }
);

export interface GifRequest {
  type: 'gif';
  id: number;
  gifId: string;
}

/** The bytes (moved, not copied, across threads), or the AppApiError's code and message. */
export type GifReply = { type: 'gif_reply'; id: number } & (
  { ok: true; bytes: Uint8Array } | { ok: false; code: string; message: string }
);

export type HostToWorker =
  { type: 'call'; id: number; method: string; args: unknown } | { type: 'close' } | FileKeyRequest | GifRequest;

export type WorkerToHost =
  | { type: 'ready' }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'reply'; id: number; reply: AppCallResult }
  | { type: 'event'; event: AppEvent }
  | { type: 'closed' }
  | { type: 'log'; line: string }
  | FileKeyReply
  | GifReply;

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
    (value.mirrorKey === undefined || (typeof value.mirrorKey === 'string' && /^[0-9a-f]{64}$/.test(value.mirrorKey))) &&
    (value.allowLoopbackPreviews === undefined || typeof value.allowLoopbackPreviews === 'boolean') &&
    (value.workOffline === undefined || typeof value.workOffline === 'boolean') &&
    (value.logLevel === undefined || isLogLevel(value.logLevel)) &&
    (value.hostVersions === undefined || isHostVersions(value.hostVersions))
  );
}

function isHostVersions(value: unknown): value is HostVersions {
  const versionOrNull = (field: unknown) => field === null || typeof field === 'string';
  return (
    isRecord(value) &&
    typeof value.app === 'string' &&
    typeof value.node === 'string' &&
    versionOrNull(value.electron) &&
    versionOrNull(value.chromium)
  );
}

export function parseHostMessage(value: unknown): HostToWorker | null {
  if (!isRecord(value)) return null;
  if (value.type === 'close') return { type: 'close' };
  if (value.type === 'file_key') return parseFileKeyRequest(value);
  if (value.type === 'gif') {
    return isRequestId(value.id) && typeof value.gifId === 'string' ? { type: 'gif', id: value.id, gifId: value.gifId } : null;
  }
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
      return {
        type: 'failed',
        message: typeof value.message === 'string' ? value.message : 'unknown error',
        ...(typeof value.code === 'string' ? { code: value.code } : {}),
      };
    case 'reply':
      if (typeof value.id === 'number' && isRecord(value.reply) && typeof value.reply.ok === 'boolean') {
        return { type: 'reply', id: value.id, reply: value.reply as AppCallResult };
      }
      return null;
    case 'event':
      if (isRecord(value.event) && typeof value.event.type === 'string') return { type: 'event', event: value.event as AppEvent };
      return null;
    case 'log':
      return typeof value.line === 'string' ? { type: 'log', line: value.line } : null;
    case 'file_key_reply':
      if (typeof value.id !== 'number') return null;
      if (value.ok === true && (value.key === null || (typeof value.key === 'string' && HEX_KEY.test(value.key)))) {
        return { type: 'file_key_reply', id: value.id, ok: true, key: value.key };
      }
      if (value.ok === false && typeof value.message === 'string') {
        return { type: 'file_key_reply', id: value.id, ok: false, message: value.message };
      }
      return null;
    case 'gif_reply':
      if (typeof value.id !== 'number') return null;
      if (value.ok === true && value.bytes instanceof Uint8Array)
        return { type: 'gif_reply', id: value.id, ok: true, bytes: value.bytes };
      if (value.ok === false && typeof value.code === 'string' && typeof value.message === 'string') {
        return { type: 'gif_reply', id: value.id, ok: false, code: value.code, message: value.message };
      }
      return null;
    default:
      return null;
  }
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

const HEX_KEY = /^[0-9a-f]{64}$/;

function parseFileKeyRequest(value: Record<string, unknown>): FileKeyRequest | null {
  const { id, op, keyId, key } = value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId))
    return null;
  if (op === 'add') return typeof key === 'string' && HEX_KEY.test(key) ? { type: 'file_key', id, op, keyId, key } : null;
  if (op === 'get' || op === 'forget') return { type: 'file_key', id, op, keyId };
  return null;
}
