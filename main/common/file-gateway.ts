/**
 * The page's door to this profile's attachment store, shared by both hosts (Node http in the
 * browser host, protocol.handle in Electron): POST `files` copies a file the person picked into the
 * store (the request body is streamed straight into BlobStore.put), GET/HEAD `files/<sha256>`
 * serves a stored file back, with single byte ranges, so images show, voice messages play and
 * `?save=<name>` downloads it under a sanitised name.
 *
 * Nothing here reads a file whole, and nothing a page sends can name a path: only 64-hex names
 * reach the store. Stored files are encrypted at rest, their keys in the core's mirror: this host
 * reaches them through the core worker (CoreWorkerHandle.fileKeys), and serves the plaintext. Stored files are served as inert bytes unless they are a raster image or a
 * recording (never HTML or SVG), always with nosniff.
 */
import type { Readable } from 'node:stream';
import { ATTACHMENT_LIMITS, isInlineImageType, isVoiceType, sanitizeFileName } from '../../sync/protocol/attachments.js';
import { FILES_PATH, type StoredFile } from '../../sync/app-api/contract.js';
import { BlobStore, BlobStoreError } from '../../sync/client/attachments/blob-store.js';
import type { FileKeyring } from '../../sync/client/attachments/file-keys.js';
import { SECURITY_HEADERS } from './csp.js';

/** What a host writes back: status, headers, and a body to stream (or a short JSON text). */
export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable | string | null;
}

/** Which of the gateway's addresses a URL pathname is, or null when it is none of them. */
export type FilesTarget = { kind: 'collection' } | { kind: 'file'; sha256: string } | { kind: 'unknown' };

const PREFIX = `/${FILES_PATH}`;

export function filesTargetOf(pathname: string): FilesTarget | null {
  if (pathname === PREFIX || pathname === `${PREFIX}/`) return { kind: 'collection' };
  if (!pathname.startsWith(`${PREFIX}/`)) return null;
  const name = pathname.slice(PREFIX.length + 1);
  return /^[0-9a-f]{64}$/.test(name) ? { kind: 'file', sha256: name } : { kind: 'unknown' };
}

const JSON_TYPE = 'application/json; charset=utf-8';

function json(status: number, value: unknown): GatewayResponse {
  return { status, headers: { ...SECURITY_HEADERS, 'Content-Type': JSON_TYPE }, body: JSON.stringify(value) };
}

export function gatewayError(status: number, code: string): GatewayResponse {
  return json(status, { code });
}

const IMPORT_ERROR_STATUS: Record<BlobStoreError['code'], number> = {
  file_too_large: 413,
  empty_file: 400,
  disk_full: 507,
  file_unreadable: 400,
  checksum_mismatch: 400,
};

/**
 * Copies a request body into the store. `maxBytes` is the largest file any server takes: the
 * person is told about their own server's (lower) limit before anything is posted.
 */
export async function importFile(
  store: BlobStore,
  body: Readable | AsyncIterable<Uint8Array>,
  maxBytes: number = ATTACHMENT_LIMITS.maxFileBytes,
): Promise<GatewayResponse> {
  try {
    const stored = await store.put(body, maxBytes);
    return json(201, { sha256: stored.sha256, size: stored.size, mime: stored.mime } satisfies StoredFile);
  } catch (error) {
    if (error instanceof BlobStoreError) return gatewayError(IMPORT_ERROR_STATUS[error.code], error.code);
    throw error;
  }
}

/** A single `bytes=` range, resolved against the size; 'unsatisfiable' for one past the end; null to send everything. */
export function parseRange(
  header: string | undefined | null,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  // Several ranges (a comma) or anything malformed: the whole file, as RFC 9110 allows.
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** `attachment; filename="<ascii>"; filename*=UTF-8''<encoded>` for a sanitised name. */
export function contentDisposition(rawName: string): string {
  const name = sanitizeFileName(rawName);
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The only types a stored file is ever served as; everything else is opaque bytes. */
export function servedContentType(sniffed: string): string {
  return isInlineImageType(sniffed) || isVoiceType(sniffed) ? sniffed : 'application/octet-stream';
}

export interface ServeRequest {
  method: string;
  sha256: string;
  /** The `save` query parameter: download under this name. */
  saveAs: string | null;
  range: string | undefined | null;
}

/** GET or HEAD of one stored file. */
export async function serveFile(store: BlobStore, request: ServeRequest): Promise<GatewayResponse> {
  let size: number | null;
  let sniffed: string;
  try {
    size = await store.sizeOf(request.sha256);
    if (size === null) return gatewayError(404, 'not_found');
    // Decrypts the first chunk: a file altered there, or whose key is gone, is refused here.
    sniffed = await store.sniff(request.sha256);
  } catch (error) {
    if (error instanceof BlobStoreError) return gatewayError(500, error.code);
    throw error;
  }
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Content-Type': servedContentType(sniffed),
    'Accept-Ranges': 'bytes',
    ETag: `"${request.sha256}"`,
  };
  if (request.saveAs !== null) headers['Content-Disposition'] = contentDisposition(request.saveAs);
  const range = parseRange(request.range, size);
  if (range === 'unsatisfiable') {
    return { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' }, body: null };
  }
  const head = request.method === 'HEAD';
  if (range === null) {
    return {
      status: 200,
      headers: { ...headers, 'Content-Length': String(size) },
      body: head ? null : store.read(request.sha256),
    };
  }
  return {
    status: 206,
    headers: {
      ...headers,
      'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
      'Content-Length': String(range.end - range.start + 1),
    },
    body: head ? null : store.read(request.sha256, range),
  };
}

export interface GatewayRequest {
  method: string;
  url: URL;
  /** Only read for POST to the collection. */
  body: () => Readable | AsyncIterable<Uint8Array>;
  range: string | undefined | null;
}

/**
 * Everything under /files: the host has already checked who may ask (Host, Origin) and that
 * the path is under /files (filesTargetOf(pathname) !== null).
 */
export async function handleFilesRequest(store: BlobStore, request: GatewayRequest): Promise<GatewayResponse> {
  const target = filesTargetOf(request.url.pathname);
  switch (target?.kind) {
    case 'collection':
      if (request.method !== 'POST') return withAllow(gatewayError(405, 'method_not_allowed'), 'POST');
      return importFile(store, request.body());
    case 'file':
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return withAllow(gatewayError(405, 'method_not_allowed'), 'GET, HEAD');
      }
      return serveFile(store, {
        method: request.method,
        sha256: target.sha256,
        saveAs: request.url.searchParams.get('save'),
        range: request.range,
      });
    case 'unknown':
    case undefined:
      return gatewayError(404, 'not_found');
  }
}

function withAllow(response: GatewayResponse, allow: string): GatewayResponse {
  return { ...response, headers: { ...response.headers, Allow: allow } };
}

/** Opens the store lazily (creating its folders once), for hosts that start before anything is attached. */
export function lazyBlobStore(profileDir: string, keys: FileKeyring): () => BlobStore {
  let store: BlobStore | null = null;
  return () => (store ??= new BlobStore(profileDir, keys));
}

/** The keys of whichever core is running (none yet: every file operation fails with file_unreadable). */
export function currentCoreFileKeys(current: () => { fileKeys: FileKeyring } | null): FileKeyring {
  const keys = () => {
    const core = current();
    if (!core) throw new BlobStoreError('file_unreadable', 'The messages on this device are not open yet');
    return core.fileKeys;
  };
  return {
    add: async (keyId, key) => keys().add(keyId, key),
    get: async (keyId) => keys().get(keyId),
    forget: async (keyId) => keys().forget(keyId),
  };
}
