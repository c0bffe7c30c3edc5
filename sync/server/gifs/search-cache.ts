import type { Clock } from '../../common/runtime.js';
import type { GifPage } from './gif-provider.js';

/** Long enough that a person paging back and forth, or many asking for "happy", cost one provider call. */
export const SEARCH_CACHE_MS = 60_000;
/** Pages kept at most (each a few KiB); the oldest go first. */
export const SEARCH_CACHE_ENTRIES = 1_000;

/** Search pages by query and offset, for a minute, in memory, bounded: a repeated search never reaches the provider. */
export class SearchCache {
  private readonly pages = new Map<string, { page: GifPage; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = SEARCH_CACHE_MS,
    private readonly maxEntries = SEARCH_CACHE_ENTRIES,
  ) {}

  get(query: string, offset: number): GifPage | undefined {
    const key = cacheKey(query, offset);
    const hit = this.pages.get(key);
    if (!hit) return undefined;
    if (hit.until > this.clock.now()) return hit.page;
    this.pages.delete(key);
    return undefined;
  }

  set(query: string, offset: number, page: GifPage): void {
    const key = cacheKey(query, offset);
    this.pages.delete(key);
    // A Map iterates in insertion order: the first key is the oldest page.
    while (this.pages.size >= this.maxEntries) this.pages.delete(this.pages.keys().next().value!);
    this.pages.set(key, { page, until: this.clock.now() + this.ttlMs });
  }
}

function cacheKey(query: string, offset: number): string {
  return `${offset} ${query}`;
}
