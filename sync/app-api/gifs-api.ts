/**
 * The app API's calls for the picker's "GIFs" tab (issue 33): a search through this person's
 * server, and copying the GIF chosen into the attachment store so it is sent like any image.
 * The GIFs a page shows are served by the host at `GIFS_PAGE_PATH/<id>` (main/common/gif-gateway.ts),
 * not over the app API: they are bytes, not answers.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { GIF_LIMITS, gifIdSchema, type GifSearchResponse } from '../protocol/gif-frames.js';

/** The page-relative path under which the hosts serve a search result's GIF. */
export const GIFS_PAGE_PATH = 'gifs';

/** The server has no GIF provider (the app says GIFs are not set up there). */
export const GIFS_NOT_CONFIGURED = 'gifs_not_configured';

export const gifsApiArgs = {
  /**
   * One page of results for a few words. Refused 'offline' without a connection, 'not_found' with
   * the message GIFS_NOT_CONFIGURED when the server offers no GIFs, 'rate_limited' past the
   * server's limit, 'refused' with a code (gif_provider_failed…) when the provider failed.
   */
  searchGifs: z
    .object({
      query: z.string().trim().min(1).max(GIF_LIMITS.maxQueryChars),
      offset: z.number().int().min(0).max(GIF_LIMITS.maxOffset),
    })
    .strict(),
  /** Copies a result's GIF into this profile's attachment store (what sendMessage's attachments name). */
  storeGif: z.object({ id: gifIdSchema }).strict(),
} as const;

export interface GifResultView {
  id: string;
  title: string;
  width: number;
  height: number;
}

export interface GifSearchView {
  results: GifResultView[];
  /** The offset of the next page; null after the last. */
  next: number | null;
  /** Whose GIFs these are, for the "Powered by" mark their terms ask for; null for the server's own. */
  attribution: GifSearchResponse['attribution'];
}

/** A GIF copied into the attachment store, as the host's file gateway answers for a picked file. */
export interface StoredGifView {
  sha256: string;
  size: number;
  mime: string;
}

export interface GifsApiResults {
  searchGifs: GifSearchView;
  storeGif: StoredGifView;
}

/** Where the page loads a result's GIF from (through the host and the server, never the provider). */
export function gifPageUrl(id: string): string {
  return `${GIFS_PAGE_PATH}/${encodeURIComponent(id)}`;
}
