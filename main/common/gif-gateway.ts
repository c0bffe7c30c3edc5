/**
 * The page's door to GIF search results, shared by both hosts: GET `gifs/<id>` answers the GIF's
 * bytes, which the core fetched through this person's server (sync/client/gifs.ts). The page shows
 * results as ordinary images from its own origin, so the CSP needs no provider's host and the
 * provider never sees the person's address.
 */
import { Readable } from 'node:stream';
import { GIFS_PAGE_PATH } from '../../sync/app-api/gifs-api.js';
import { gifIdSchema } from '../../sync/protocol/gif-frames.js';
import { SECURITY_HEADERS } from './csp.js';
import { gatewayError, type GatewayResponse } from './file-gateway.js';

/** What the core answers: the bytes, or a rejection carrying the app error code (CoreWorkerError). */
export type GifBytes = (gifId: string) => Promise<Uint8Array>;

const PREFIX = `/${GIFS_PAGE_PATH}/`;

/** The GIF id a URL pathname asks for; null when it is not a gif address, '' when it is one with no valid id. */
export function gifTargetOf(pathname: string): string | null {
  if (!pathname.startsWith(PREFIX)) return null;
  let id: string;
  try {
    id = decodeURIComponent(pathname.slice(PREFIX.length));
  } catch {
    return '';
  }
  return gifIdSchema.safeParse(id).success ? id : '';
}

/** How a refusal reads to the page: the app error code decides the status, the body is only a code. */
const STATUS_OF_CODE: Record<string, number> = {
  not_found: 404,
  invalid_argument: 400,
  offline: 503,
  rate_limited: 429,
  not_signed_in: 401,
  unauthorized: 401,
};

export async function handleGifRequest(gifBytes: GifBytes, request: { method: string; gifId: string }): Promise<GatewayResponse> {
  const { method, gifId } = request;
  if (method !== 'GET' && method !== 'HEAD') {
    const refused = gatewayError(405, 'method_not_allowed');
    return { ...refused, headers: { ...refused.headers, Allow: 'GET, HEAD' } };
  }
  if (gifId === '') return gatewayError(404, 'not_found');
  let bytes: Uint8Array;
  try {
    bytes = await gifBytes(gifId);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return gatewayError(typeof code === 'string' ? (STATUS_OF_CODE[code] ?? 502) : 502, 'gif_unavailable');
  }
  return {
    status: 200,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': 'image/gif',
      'Content-Length': String(bytes.byteLength),
    },
    body: method === 'HEAD' ? null : Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]),
  };
}
