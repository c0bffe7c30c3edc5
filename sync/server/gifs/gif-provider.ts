import type { GifRendition, GifResult, GifSearchResponse } from '../../protocol/gif-frames.js';
import { HttpError } from '../http-body.js';

/** One page of a provider's results: at most `limit` from `offset`, and where the next page starts. */
export interface GifPage {
  results: GifResult[];
  next: number | null;
}

/** Where GIFs come from: GIPHY (giphy-provider.ts) or a folder of the operator's (folder-provider.ts). */
export interface GifProvider {
  readonly attribution: GifSearchResponse['attribution'];
  search(query: string, offset: number, limit: number): Promise<GifPage>;
  /** The GIF's bytes (checked to be a GIF within the size cap), or null for an id the provider does not have. */
  gif(id: string, rendition: GifRendition): Promise<Buffer | null>;
}

/** A provider that failed, answered garbage or offered something unfit to pass on: the client sees 502 and a code. */
export function providerFailed(
  message: string,
  code: 'gif_provider_failed' | 'gif_too_large' | 'gif_not_gif' = 'gif_provider_failed',
): HttpError {
  return new HttpError(502, code, message);
}
