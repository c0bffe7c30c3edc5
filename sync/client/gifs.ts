/**
 * GIF search for the picker's "GIFs" tab (issue 33), always through this person's server (§26 of
 * docs/protocol.md): the provider never learns who searched, and the app never contacts it. A GIF
 * chosen is copied into the attachment store and sent as an ordinary sealed image, so recipients
 * never contact anyone either.
 *
 * The GIFs a page of results shows (small previews) are fetched once and kept in memory (never on disk: what someone
 * browsed is nobody's business), so scrolling back and choosing one costs no second request.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { AppApiError } from '../app-api/contract.js';
import { GIFS_NOT_CONFIGURED, type GifSearchView, type StoredGifView } from '../app-api/gifs-api.js';
import { REDIRECT_REFUSED } from '../app-api/core-refusals.js';
import {
  GIF_LIMITS,
  GIF_SEARCH_PATH,
  GIFS_PATH,
  gifErrorResponseSchema,
  gifIdSchema,
  gifSearchResponseSchema,
  type GifRendition,
} from '../protocol/gif-frames.js';
import type { BlobStore } from './attachments/blob-store.js';

type Fetch = typeof globalThis.fetch;

/** How many bytes of GIFs stay in memory: a few pages of results, whatever their sizes. */
export const GIF_MEMORY_BYTES = 48 * 1024 * 1024;
/** A search or a GIF that takes longer is given up (the server itself waits at most 8 s for GIPHY). */
const REQUEST_TIMEOUT_MS = 20_000;

export interface GifsDeps {
  fetch: Fetch;
  /** The signed-in session's server and token; null when signed out. */
  session(): { httpBase: string; token: string } | null;
  blobs: BlobStore;
}

export class Gifs {
  private readonly memory = new Map<string, Buffer>();
  private memoryBytes = 0;
  private readonly fetching = new Map<string, Promise<Buffer>>();

  constructor(private readonly deps: GifsDeps) {}

  async search(query: string, offset: number): Promise<GifSearchView> {
    const params = new URLSearchParams({ q: query, offset: String(offset) });
    const response = await this.request(`${GIF_SEARCH_PATH}?${params.toString()}`);
    const parsed = gifSearchResponseSchema.safeParse(await response.json().catch(() => null));
    if (!parsed.success) throw new AppApiError('refused', 'gif_provider_failed');
    const { results, next, attribution } = parsed.data;
    return { results: results.map(({ id, title, width, height }) => ({ id, title, width, height })), next, attribution };
  }

  /**
   * A rendition's bytes, checked to be a GIF within the size limit; from memory when they were
   * fetched already. The page shows previews; the original is what is sent.
   */
  bytes(id: string, rendition: GifRendition): Promise<Buffer> {
    // The host's gateway passes on whatever the page asked for: only a provider id goes further.
    if (!gifIdSchema.safeParse(id).success) return Promise.reject(new AppApiError('invalid_argument', 'not_a_gif_id'));
    const key = `${rendition}/${id}`;
    const kept = this.memory.get(key);
    if (kept) {
      // Most recently used last: the oldest go first when memory is full.
      this.memory.delete(key);
      this.memory.set(key, kept);
      return Promise.resolve(kept);
    }
    const under = this.fetching.get(key);
    if (under) return under;
    const fetching = this.download(id, rendition, key).finally(() => this.fetching.delete(key));
    this.fetching.set(key, fetching);
    return fetching;
  }

  /** Copies the GIF into the attachment store, for sendMessage to send as an image. */
  async store(id: string): Promise<StoredGifView> {
    const bytes = await this.bytes(id, 'original');
    const stored = await this.deps.blobs.put(Readable.from([bytes]), GIF_LIMITS.maxGifBytes);
    return { sha256: stored.sha256, size: stored.size, mime: stored.mime };
  }

  private async download(id: string, rendition: GifRendition, key: string): Promise<Buffer> {
    const query = rendition === 'original' ? '' : `?rendition=${rendition}`;
    const response = await this.request(`${GIFS_PATH}/${encodeURIComponent(id)}${query}`);
    const bytes = await readCapped(response, GIF_LIMITS.maxGifBytes);
    const header = bytes.subarray(0, 6).toString('latin1');
    if (header !== 'GIF87a' && header !== 'GIF89a') throw new AppApiError('refused', 'gif_not_gif');
    this.keep(key, bytes);
    return bytes;
  }

  private keep(key: string, bytes: Buffer): void {
    this.memory.set(key, bytes);
    this.memoryBytes += bytes.length;
    for (const [oldId, old] of this.memory) {
      if (this.memoryBytes <= GIF_MEMORY_BYTES) break;
      this.memory.delete(oldId);
      this.memoryBytes -= old.length;
    }
  }

  private async request(path: string): Promise<Response> {
    const session = this.deps.session();
    if (!session) throw new AppApiError('not_signed_in', 'Sign in first.');
    let response: Response;
    try {
      response = await this.deps.fetch(`${session.httpBase}${path}`, {
        headers: { authorization: `Bearer ${session.token}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        // The token never follows a redirect.
        redirect: 'manual',
      });
    } catch {
      throw new AppApiError('offline', `Can't reach the server at ${session.httpBase}.`);
    }
    if (response.ok) return response;
    return refusal(response);
  }
}

/** The server's refusal as a code the renderer puts in words (never the server's sentence). */
async function refusal(response: Response): Promise<never> {
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new AppApiError('refused', REDIRECT_REFUSED);
  }
  const error = gifErrorResponseSchema.safeParse(await response.json().catch(() => null));
  const code = error.success ? error.data.code : `http_${response.status}`;
  if (response.status === 401) throw new AppApiError('unauthorized', code);
  if (code === GIFS_NOT_CONFIGURED) throw new AppApiError('not_found', code);
  if (response.status === 404) throw new AppApiError('not_found', code);
  if (response.status === 429) throw new AppApiError('rate_limited', code);
  if (response.status === 400) throw new AppApiError('invalid_argument', code);
  throw new AppApiError('refused', code);
}

/** The body, refused as soon as it passes `maxBytes` (a server saying less in Content-Length is not trusted). */
async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new AppApiError('refused', 'gif_too_large');
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!response.body) return Buffer.alloc(0);
  for await (const chunk of response.body as NodeReadableStream<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new AppApiError('refused', 'gif_too_large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
