/** The search cache keeps pages for its time on the injected clock, and no more of them than its bound. */
import { describe, expect, it } from 'vitest';
import { SearchCache } from '../../../../sync/server/gifs/search-cache.js';

const page = (id: string) => ({ results: [{ id, title: id, width: 1, height: 1 }], next: null });

describe('the GIF search cache', () => {
  it('answers a page until its time is up', () => {
    let now = 1_000;
    const cache = new SearchCache({ now: () => now }, 60_000, 10);
    cache.set('cat', 0, page('a'));
    expect(cache.get('cat', 0)).toEqual(page('a'));
    expect(cache.get('cat', 24)).toBeUndefined();
    now += 59_999;
    expect(cache.get('cat', 0)).toEqual(page('a'));
    now += 1;
    expect(cache.get('cat', 0)).toBeUndefined();
  });

  it('lets the oldest page go past its bound', () => {
    const cache = new SearchCache({ now: () => 0 }, 60_000, 2);
    cache.set('a', 0, page('a'));
    cache.set('b', 0, page('b'));
    cache.set('c', 0, page('c'));
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.get('b', 0)).toEqual(page('b'));
    expect(cache.get('c', 0)).toEqual(page('c'));
  });
});
