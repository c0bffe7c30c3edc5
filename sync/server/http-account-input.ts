import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { HttpError } from './http-body.js';

/**
 * The account endpoints answer the app, never a web page another site serves: a page can post a
 * plain form (text/plain, urlencoded, multipart) to any address without the browser asking first,
 * so only JSON is taken, which a page can send only after a CORS preflight this server never
 * approves; and a request a browser made for a page of another origin says so in `Origin` (the
 * app's own requests carry none).
 */
export function refuseWebPages(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, req.headers.host)) {
    req.resume();
    throw new HttpError(403, 'forbidden', `Requests from web pages (${origin}) are not accepted here`);
  }
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new HttpError(415, 'invalid', 'Send the request body as application/json');
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'bad_frame', 'Request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, 'invalid', z.prettifyError(result.error));
  return result.data;
}
