import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Clock } from '../../common/runtime.js';
import {
  GIF_LIMITS,
  GIF_RENDITIONS,
  GIF_SEARCH_PATH,
  GIFS_PATH,
  gifIdSchema,
  type GifRendition,
  type GifSearchResponse,
} from '../../protocol/gif-frames.js';
import { spend, type LimitWindow } from '../account-limits.js';
import { requireUser, type SessionLookup } from '../http-auth.js';
import { HttpError, requestPath, sendJson } from '../http-body.js';
import type { ServerLogger } from '../logger.js';
import { providerFailed, type GifProvider } from './gif-provider.js';
import { SearchCache } from './search-cache.js';

/** How often one account may search and fetch GIFs (a page of results is followed by a fetch per GIF shown). */
export interface GifRateLimits {
  searchesPerAccount: LimitWindow;
  gifsPerAccount: LimitWindow;
}

export const GIF_RATE_LIMITS: GifRateLimits = {
  searchesPerAccount: { points: 60, seconds: 60 },
  gifsPerAccount: { points: 600, seconds: 60 },
};

/** The server's GIF search (`--gif-provider`): where GIFs come from, and how often each account may ask. */
export interface GifsOptions {
  provider: GifProvider;
  limits?: GifRateLimits;
}

export interface GifsDeps {
  sessions: SessionLookup;
  /** null when the operator configured no provider: every request is answered 404 `gifs_not_configured`. */
  gifs: GifsOptions | null;
  clock: Clock;
  logger: ServerLogger;
}

/**
 * GET /v1/gifs/search and GET /v1/gifs/<id>, for signed-in accounts only: the server asks the
 * provider on the person's behalf, so the provider learns the query and the server's address,
 * never who asked. Provider failures are logged for the operator and answered 502 with a code.
 */
export function createGifsHandler(deps: GifsDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const limits = deps.gifs?.limits ?? GIF_RATE_LIMITS;
  const searches = new RateLimiterMemory({
    keyPrefix: 'gifSearches',
    points: limits.searchesPerAccount.points,
    duration: limits.searchesPerAccount.seconds,
  });
  const fetches = new RateLimiterMemory({
    keyPrefix: 'gifFetches',
    points: limits.gifsPerAccount.points,
    duration: limits.gifsPerAccount.seconds,
  });
  const cache = new SearchCache(deps.clock);

  return async (req, res) => {
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      throw new HttpError(405, 'invalid', 'GIFs are read with GET');
    }
    const user = await requireUser(deps.sessions, req, res);
    if (!deps.gifs) throw new HttpError(404, 'gifs_not_configured', 'This server offers no GIF search');
    const { provider } = deps.gifs;
    const path = requestPath(req);
    try {
      if (path === GIF_SEARCH_PATH) {
        await spend(searches, user.id, 'Too many GIF searches');
        const { query, offset } = searchInput(req);
        let page = cache.get(query, offset);
        if (!page) {
          page = await provider.search(query, offset, GIF_LIMITS.pageSize);
          cache.set(query, offset, page);
        }
        const next = page.next !== null && page.next <= GIF_LIMITS.maxOffset ? page.next : null;
        const answer: GifSearchResponse = { results: page.results, next, attribution: provider.attribution };
        return sendJson(res, 200, answer);
      }
      const id = path.slice(GIFS_PATH.length + 1);
      const notFound = () => new HttpError(404, 'not_found', 'No such GIF');
      if (!gifIdSchema.safeParse(id).success) throw notFound();
      const rendition = renditionOf(req);
      await spend(fetches, user.id, 'Too many GIFs fetched');
      const bytes = await provider.gif(id, rendition);
      if (!bytes) throw notFound();
      res.writeHead(200, {
        'content-type': 'image/gif',
        'content-length': bytes.length,
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, max-age=86400',
      });
      res.end(bytes);
    } catch (error) {
      // A provider that broke in a way it did not foresee (a disk error in the folder, say) failed all the same.
      if (!(error instanceof HttpError)) {
        deps.logger.error('The GIF provider failed unexpectedly', error);
        throw providerFailed('The GIF provider failed');
      }
      if (error.status === 502) deps.logger.warn('The GIF provider failed', { code: error.code, message: error.message });
      throw error;
    }
  };
}

/** `rendition`: `original` when absent, or `preview`. */
function renditionOf(req: IncomingMessage): GifRendition {
  const rendition = new URL(req.url ?? '/', 'http://server').searchParams.get('rendition') ?? 'original';
  const known = GIF_RENDITIONS.find((each) => each === rendition);
  if (!known) throw new HttpError(400, 'invalid', `rendition is one of ${GIF_RENDITIONS.join(', ')}`);
  return known;
}

/** `q` (1 to 100 characters, spaces folded, any case) and `offset` (a whole number up to GIF_LIMITS.maxOffset, 0 if absent). */
function searchInput(req: IncomingMessage): { query: string; offset: number } {
  const params = new URL(req.url ?? '/', 'http://server').searchParams;
  const raw = params.get('q') ?? '';
  if (raw.length > GIF_LIMITS.maxQueryChars)
    throw new HttpError(400, 'invalid', `A GIF search is at most ${GIF_LIMITS.maxQueryChars} characters`);
  const query = raw.trim().replace(/\s+/g, ' ').toLowerCase();
  if (query === '') throw new HttpError(400, 'invalid', 'A GIF search needs words (q)');
  const rawOffset = params.get('offset') ?? '0';
  const offset = Number(rawOffset);
  if (!/^\d{1,5}$/.test(rawOffset) || offset > GIF_LIMITS.maxOffset) {
    throw new HttpError(400, 'invalid', `offset must be a whole number from 0 to ${GIF_LIMITS.maxOffset}`);
  }
  return { query, offset };
}
