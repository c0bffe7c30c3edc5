import { z } from 'zod';
import { GIF_LIMITS, gifIdSchema, type GifResult } from '../../protocol/gif-frames.js';
import { checkedGif, readCapped } from './gif-bytes.js';
import { HttpError } from '../http-body.js';
import { providerFailed, type GifPage, type GifProvider } from './gif-provider.js';

export const GIPHY_API = 'https://api.giphy.com/v1/gifs';
/** How long one call to GIPHY may take before the client is told it failed. */
export const GIPHY_TIMEOUT_MS = 8_000;
/** A page of search results is tens of KiB; more is not an answer worth reading. */
const MAX_JSON_BYTES = 1024 * 1024;

export interface GiphyOptions {
  apiKey: string;
  /** globalThis.fetch in production; tests pass a fake, so nothing reaches the internet. */
  fetch: typeof fetch;
  timeoutMs?: number;
  maxBytes?: number;
}

/** GIPHY sends numbers as strings ("480"); anything else is garbage. */
const count = z.coerce.number().int().positive();
const original = z.object({
  url: z.string(),
  width: count,
  height: count,
  size: z.coerce.number().int().nonnegative().optional(),
});
/** A smaller rendition to show among results; a GIF without one (or with a damaged one) shows its original. */
const fixedWidth = z.object({ url: z.string() }).optional().catch(undefined);
const giphyGif = z.object({
  id: gifIdSchema,
  title: z.string().max(500).catch(''),
  images: z.object({ original, fixed_width: fixedWidth }),
});
const searchAnswer = z.object({
  data: z.array(giphyGif).max(GIF_LIMITS.pageSize * 2),
  pagination: z.object({
    total_count: z.number().int().nonnegative(),
    count: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
  }),
});
const gifAnswer = z.object({ data: giphyGif });

/**
 * Only GIPHY's media hosts over https: the server fetches the URL a GIPHY answer names, and must
 * never be steered to any other host (its own network, say) by an answer it cannot vouch for.
 */
export function isGiphyMedia(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      parsed.protocol === 'https:' &&
      /^media\d*\.giphy\.com$/.test(parsed.hostname) &&
      parsed.port === '' &&
      parsed.username === ''
    );
  } catch {
    return false;
  }
}

/**
 * GIPHY's search API, called by the server: GIPHY sees the server's address, its key and the query,
 * never who asked. GIFs are fetched from GIPHY's `original` rendition (`fixed_width` for a preview)
 * and checked before they go out.
 */
export function giphyProvider(options: GiphyOptions): GifProvider {
  const timeoutMs = options.timeoutMs ?? GIPHY_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? GIF_LIMITS.maxGifBytes;

  async function call(url: string): Promise<Response> {
    try {
      // No redirects: one could lead anywhere, past the host checks.
      return await options.fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch {
      throw providerFailed('GIPHY did not answer');
    }
  }

  /** The body, capped; a body cut off midway (the timeout, a dropped connection) is the provider failing too. */
  async function bodyOf(response: Response, limit: number): Promise<Buffer> {
    try {
      return await readCapped(response.body, limit);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw providerFailed('GIPHY stopped answering');
    }
  }

  async function json<T>(url: string, schema: z.ZodType<T>): Promise<T | null> {
    const response = await call(url);
    if (response.status === 404) return null;
    if (!response.ok) throw providerFailed(`GIPHY answered ${response.status}`);
    const text = (await bodyOf(response, MAX_JSON_BYTES)).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw providerFailed('GIPHY answered something that is not JSON');
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw providerFailed('GIPHY answered in an unexpected shape');
    return parsed.data;
  }

  const key = `api_key=${encodeURIComponent(options.apiKey)}`;
  return {
    attribution: 'giphy',
    async search(query, offset, limit): Promise<GifPage> {
      const url = `${GIPHY_API}/search?${key}&q=${encodeURIComponent(query)}&limit=${limit}&offset=${offset}`;
      const answer = await json(url, searchAnswer);
      if (!answer) throw providerFailed('GIPHY has no search');
      const results: GifResult[] = answer.data.slice(0, limit).map((gif) => ({
        id: gif.id,
        title: gif.title,
        width: gif.images.original.width,
        height: gif.images.original.height,
        ...(gif.images.original.size !== undefined ? { size: gif.images.original.size } : {}),
      }));
      const end = offset + answer.pagination.count;
      return { results, next: answer.pagination.count > 0 && end < answer.pagination.total_count ? end : null };
    },
    async gif(id, rendition) {
      const answer = await json(`${GIPHY_API}/${encodeURIComponent(id)}?${key}`, gifAnswer);
      if (!answer) return null;
      const { images } = answer.data;
      const { url } = (rendition === 'preview' && images.fixed_width) || images.original;
      if (!isGiphyMedia(url)) throw providerFailed('GIPHY named a GIF outside its media hosts');
      const response = await call(url);
      if (!response.ok) throw providerFailed(`GIPHY's media host answered ${response.status}`);
      if (Number(response.headers.get('content-length')) > maxBytes) {
        response.body?.cancel().catch(() => undefined);
        throw providerFailed(`The GIF is larger than ${maxBytes} bytes`, 'gif_too_large');
      }
      return checkedGif(await bodyOf(response, maxBytes), maxBytes);
    },
  };
}
