import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../protocol/frames.js';
import type { GifErrorCode } from '../protocol/gif-frames.js';
import type { RefusalReason } from '../protocol/refusal-reasons.js';
import type { Refusal } from './refusals.js';

/** Account requests are a few short strings; anything bigger is a mistake or an attack. */
export const MAX_HTTP_BODY_BYTES = 16 * 1024;

/** The codes HTTP errors carry: the socket's, and those of endpoints only HTTP has. */
export type HttpErrorCode = ErrorCode | GifErrorCode;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    /** For a refusal of a well-formed request: exactly why (the client has its own words for it). */
    readonly reason?: RefusalReason,
    /** When to ask again (a Retry-After header), for a refusal that passes. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  /** A refusal from the shared table, answered over HTTP with `status`; `message` overrides its words for developers. */
  static refusal(status: number, refusal: Refusal, message = refusal.message): HttpError {
    return new HttpError(status, refusal.code, message, refusal.reason);
  }
}

/** The path of a request without its query; never throws, whatever the client sent. */
export function requestPath(req: IncomingMessage): string {
  return (req.url ?? '/').split('?', 1)[0] || '/';
}

/** Reads and parses a JSON body, refusing oversized ones without buffering them. */
export function readJsonBody(req: IncomingMessage, maxBytes = MAX_HTTP_BODY_BYTES): Promise<unknown> {
  const tooLarge = () => new HttpError(413, 'invalid', `Request body is larger than ${maxBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.off('end', onEnd);
        // Keep draining (and discarding) so the client can read our 413 instead of a reset.
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'bad_frame', 'Request body is not valid JSON'));
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  // After a refused body the connection may still carry its unread rest: do not reuse it.
  if (error.status === 413) res.setHeader('connection', 'close');
  if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(Math.ceil(error.retryAfterSeconds)));
  sendJson(res, error.status, errorBody(error));
}

/** The JSON every HTTP error answers with: {code, reason?, message}. */
export function errorBody(error: HttpError): { code: HttpErrorCode; reason?: RefusalReason; message: string } {
  return error.reason === undefined
    ? { code: error.code, message: error.message }
    : { code: error.code, reason: error.reason, message: error.message };
}
