/**
 * Helpers for the attachment tests: files on disk, tus uploads through tus-js-client (the client
 * core's library), raw tus requests through fetch (to see exact statuses and bodies), downloads,
 * and sending a message that carries uploads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { ATTACHMENTS_PATH, UPLOADS_PATH, UPLOAD_SHA256_METADATA } from '../../../sync/protocol/attachments.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import type { TestClient } from '../../support/server-harness.js';

export const TUS_VERSION = '1.0.0';

export interface TestFile {
  path: string;
  bytes: Buffer;
  sha256: string;
  size: number;
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `size` random bytes written to `<dir>/<name>`. */
export async function testFile(
  dir: string,
  size: number,
  name = `file-${size}-${randomBytes(4).toString('hex')}.bin`,
): Promise<TestFile> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes, sha256: sha256Of(bytes), size };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The upload id at the end of an upload URL. */
export function uploadIdOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

export interface TusResult {
  /** The upload URL (absolute), once the server created it. */
  url: string | null;
  /** null when the upload finished; else the status the server answered (null: no answer, e.g. cut). */
  failure: { status: number | null; body: string | null; error: Error } | null;
}

export interface RunningTusUpload {
  upload: tus.Upload;
  result: Promise<TusResult>;
}

/**
 * Uploads a file with tus-js-client from a ranged file stream (as the client core does). It never
 * retries on its own: a cut is a failure the test resumes from with `uploadUrl`.
 */
export function startTusUpload(
  httpUrl: string,
  token: string,
  file: Pick<TestFile, 'path' | 'size'> & { sha256: string },
  options: { uploadUrl?: string; chunkSize?: number; onProgress?: (sent: number, total: number) => void } = {},
): RunningTusUpload {
  let resolve!: (result: TusResult) => void;
  const result = new Promise<TusResult>((r) => (resolve = r));
  // tus-js-client reads ranges of an fs.ReadStream by its path; its types only name Buffer and readers.
  const input = createReadStream(file.path) as unknown as Buffer;
  const upload: tus.Upload = new tus.Upload(input, {
    endpoint: httpUrl + UPLOADS_PATH,
    ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : {}),
    uploadSize: file.size,
    metadata: { [UPLOAD_SHA256_METADATA]: file.sha256 },
    headers: bearer(token),
    retryDelays: null,
    storeFingerprintForResuming: false,
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onSuccess: () => resolve({ url: upload.url, failure: null }),
    onError: (error) => {
      const response = (error as tus.DetailedError).originalResponse ?? null;
      resolve({
        url: upload.url,
        failure: { status: response ? response.getStatus() : null, body: response ? response.getBody() : null, error },
      });
    },
  });
  upload.start();
  return { upload, result };
}

/** Uploads a whole file and resolves with its upload id; fails the test unless it finished. */
export async function uploadFile(httpUrl: string, token: string, file: TestFile): Promise<string> {
  const { url, failure } = await startTusUpload(httpUrl, token, file).result;
  if (failure || !url) throw new Error(`Upload failed: ${failure?.status} ${failure?.body} ${failure?.error.message}`);
  return uploadIdOf(url);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

async function raw(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A tus creation request as a client would make it, with whatever headers the test chooses. */
export async function createUpload(
  httpUrl: string,
  headers: Record<string, string>,
  declared: { length?: number | string; sha256?: string | null } = {},
): Promise<RawResponse> {
  const all: Record<string, string> = { 'tus-resumable': TUS_VERSION };
  if (declared.length !== undefined) all['upload-length'] = String(declared.length);
  if (typeof declared.sha256 === 'string') {
    all['upload-metadata'] = `${UPLOAD_SHA256_METADATA} ${Buffer.from(declared.sha256).toString('base64')}`;
  }
  const response = await fetch(httpUrl + UPLOADS_PATH, { method: 'POST', headers: { ...all, ...headers } });
  return raw(response);
}

/** Any tus request to an upload URL (HEAD for the offset, PATCH with bytes, DELETE). */
export async function uploadRequest(
  url: string,
  method: 'HEAD' | 'PATCH' | 'DELETE' | 'GET',
  headers: Record<string, string>,
  body?: Uint8Array,
): Promise<RawResponse> {
  const response = await fetch(url, {
    method,
    headers: {
      'tus-resumable': TUS_VERSION,
      ...(method === 'PATCH' ? { 'content-type': 'application/offset+octet-stream' } : {}),
      ...headers,
    },
    ...(body ? { body } : {}),
  });
  return raw(response);
}

/** GET (or HEAD) of an attachment, with the body as bytes. */
export async function download(
  httpUrl: string,
  id: string,
  headers: Record<string, string>,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${httpUrl}${ATTACHMENTS_PATH}/${id}`, { method, headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** Sends an envelope (sealing `text`) that refers to the uploads `uploadIds` and returns the server's reply (sent or error). */
export function sendWithAttachments(
  socket: TestClient,
  conversationId: string,
  clientId: string,
  uploadIds: string[],
  text = '',
): Promise<ServerFrame> {
  return socket.sendEnvelope(conversationId, clientId, text, { attachments: uploadIds });
}

/** Like sendWithAttachments, but fails unless the envelope was stored. */
export function sendAttachments(
  socket: TestClient,
  conversationId: string,
  clientId: string,
  uploadIds: string[],
  text = '',
): Promise<EnvelopeEvent> {
  return socket.send(conversationId, clientId, text, { attachments: uploadIds });
}
