/**
 * GIF search through the server (issue 33): the server proxies a provider (GIPHY, or a folder of
 * the operator's own), so the provider never learns who searches and the app never talks to it.
 * These schemas are the one description of the HTTP answers, for the server and the client alike.
 */
import { z } from 'zod';
import { ERROR_CODES } from './frames.js';

/** GET `${GIF_SEARCH_PATH}?q=<text>&offset=<n>`: one page of results. */
export const GIF_SEARCH_PATH = '/v1/gifs/search';
/** GET `${GIFS_PATH}/<id>[?rendition=preview]`: the GIF's bytes (image/gif). */
export const GIFS_PATH = '/v1/gifs';

/**
 * Which of a GIF's files: the one sent (`original`, the default), or a smaller one to show among
 * results (`preview`: GIPHY's 200-pixel-wide `fixed_width`; a folder has one file for both).
 */
export const GIF_RENDITIONS = ['original', 'preview'] as const;
export type GifRendition = (typeof GIF_RENDITIONS)[number];

export const GIF_LIMITS = {
  /** A search is a few words; anything longer is refused (400 `invalid`). */
  maxQueryChars: 100,
  /** Results per page. */
  pageSize: 24,
  /** The furthest a search pages (GIPHY's own ceiling). */
  maxOffset: 4_999,
  /** The largest GIF the server passes on; larger ones are refused (502 `gif_too_large`). */
  maxGifBytes: 8 * 1024 * 1024,
} as const;

/** Provider ids are short tokens; nothing else is looked up (no paths, no URLs). */
export const gifIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const gifResultSchema = z.object({
  id: gifIdSchema,
  title: z.string().max(500),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Reserved; absent today (the server serves a smaller rendition itself: GIF_RENDITIONS). */
  previewUrl: z.string().optional(),
  /** Bytes of the GIF, when the provider says. */
  size: z.number().int().nonnegative().optional(),
});
export type GifResult = z.infer<typeof gifResultSchema>;

export const gifSearchResponseSchema = z.object({
  results: z.array(gifResultSchema).max(GIF_LIMITS.pageSize),
  /** The offset of the next page, or null when this is the last. */
  next: z.number().int().nonnegative().nullable(),
  /** Whose GIFs these are, for the "Powered by" mark the provider's terms ask for; null for the operator's own. */
  attribution: z.enum(['giphy']).nullable(),
});
export type GifSearchResponse = z.infer<typeof gifSearchResponseSchema>;

/**
 * The codes only GIF answers carry (beside `unauthorized`, `invalid`, `not_found` and
 * `rate_limited`): no provider on this server (404), and a provider that failed (502).
 */
export const GIF_ERROR_CODES = ['gifs_not_configured', 'gif_provider_failed', 'gif_too_large', 'gif_not_gif'] as const;
export type GifErrorCode = (typeof GIF_ERROR_CODES)[number];

/** Any refused GIF request: `{code, message}`, as other HTTP errors. */
export const gifErrorResponseSchema = z.object({ code: z.enum([...ERROR_CODES, ...GIF_ERROR_CODES]), message: z.string() });
