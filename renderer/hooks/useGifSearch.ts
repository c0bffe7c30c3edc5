/**
 * The GIFs tab's search: asks once the person pauses typing, shows only the answer for the words
 * in the box now (a slower earlier answer is dropped), and pages on with "More GIFs".
 */
import { useCallback, useEffect, useState } from 'react';
import type { GifResultView, GifSearchView } from '../../sync/app-api/gifs-api.js';
import { gifProblemOf, type GifProblem } from '../state/gifs.js';
import { useActions } from '../state/context.js';

/** Wait this long after the last keystroke before searching (the server allows 60 searches a minute). */
export const GIF_SEARCH_DEBOUNCE_MS = 400;

export type GifSearchState =
  | { kind: 'idle' }
  | { kind: 'searching'; query: string }
  | { kind: 'failed'; query: string; problem: GifProblem }
  | {
      kind: 'results';
      query: string;
      results: GifResultView[];
      next: number | null;
      attribution: GifSearchView['attribution'];
      /** A further page is being fetched, or failed (the results so far stay). */
      more: 'idle' | 'loading' | GifProblem;
    };

export interface GifSearch {
  state: GifSearchState;
  /** Fetches the next page of the results shown. */
  more: () => void;
  /** Searches the words in the box again after a failure. */
  retry: () => void;
}

export function useGifSearch(text: string): GifSearch {
  const { searchGifs } = useActions();
  const query = text.trim().replace(/\s+/gu, ' ');
  const [state, setState] = useState<GifSearchState>({ kind: 'idle' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (query === '') return;
    let cancelled = false;
    const timer = setTimeout(() => {
      searchGifs(query, 0).then(
        (page) => !cancelled && setState({ kind: 'results', query, ...page, more: 'idle' }),
        (error: unknown) => !cancelled && setState({ kind: 'failed', query, problem: gifProblemOf(error) }),
      );
    }, GIF_SEARCH_DEBOUNCE_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [query, attempt, searchGifs]);

  // Only the answer for the words in the box now is shown; until it lands, the search is under way.
  const shown: GifSearchState =
    query === '' ? { kind: 'idle' } : state.kind !== 'idle' && state.query === query ? state : { kind: 'searching', query };

  const more = () => {
    if (shown.kind !== 'results' || shown.next === null || shown.more === 'loading') return;
    const { query: asked, next } = shown;
    setState({ ...shown, more: 'loading' });
    // A page for words no longer in the box is dropped: the state then holds another query.
    searchGifs(asked, next).then(
      (page) =>
        setState((now) =>
          now.kind === 'results' && now.query === asked
            ? { ...now, results: [...now.results, ...newResults(now.results, page.results)], next: page.next, more: 'idle' }
            : now,
        ),
      (error: unknown) =>
        setState((now) => (now.kind === 'results' && now.query === asked ? { ...now, more: gifProblemOf(error) } : now)),
    );
  };

  const retry = useCallback(() => {
    setState({ kind: 'idle' });
    setAttempt((n) => n + 1);
  }, []);

  return { state: shown, more, retry };
}

/** A provider's pages may overlap when its results shift between requests: each GIF is listed once. */
function newResults(had: GifResultView[], page: GifResultView[]): GifResultView[] {
  const seen = new Set(had.map((result) => result.id));
  return page.filter((result) => !seen.has(result.id));
}
