/**
 * The sidebar's search: what the person types is searched in the core's index (searchMessages)
 * once they pause, and only the answer to the newest query is ever shown: every keystroke and every
 * search started makes the answers still in flight stale, so a slow earlier answer can never
 * overwrite a newer one. Results are re-read (same query, selection kept) when messages change, so
 * an edit or a delete shows in them. Opening a result jumps to its message (jumpToMessage, the
 * messages area) and leaves the query in place, so the person can pick another one.
 */
import type { SearchResult } from '../../sync/app-api/contract.js';
import { MAX_QUERY_CHARS } from '../../sync/common/search-text.js';
import { t } from '../i18n/index.js';
import { reuse } from './equal.js';
import { describeError } from './errors.js';
import type { AppActions, SearchState, StoreKit } from './types.js';

/** How long typing must pause before a search starts: light, the index answers in milliseconds. */
export const SEARCH_DELAY_MS = 120;
/** Results asked for per search (the contract's largest is 200). */
export const SEARCH_LIMIT = 100;

export const idleSearch: SearchState = { query: '', results: [], pending: false, error: null, selected: 0 };

/** Whether this query puts the sidebar in search mode (anything but spaces). */
export function isSearching(query: string): boolean {
  return query.trim() !== '';
}

/** A result's identity: message ids are unique within their conversation. */
export function resultKey(result: SearchResult): string {
  return `${result.conversationId}\u0000${result.messageId}`;
}

type SearchActions = Pick<AppActions, 'setSearchQuery' | 'clearSearch' | 'selectSearchResult' | 'openSearchResult'>;

interface Options {
  /** SEARCH_DELAY_MS unless a test wants another. */
  delayMs?: number;
}

export function createSearch(kit: StoreKit, options: Options = {}) {
  const delayMs = options.delayMs ?? SEARCH_DELAY_MS;
  const { api, get, set } = kit;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Grows with every query typed and every search started: an answer counts only if it is the newest. */
  let generation = 0;
  /** The newest search started, until it settles (Enter waits for it). */
  let running: Promise<void> | null = null;
  /** The query the results shown answer, or null. */
  let answered: string | null = null;

  const stopTimer = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const update = (patch: Partial<SearchState>) => set({ search: { ...get().search, ...patch } });

  /** The selected result after an answer: the same message when the query is the same, else the first. */
  const selectedAfter = (previous: SearchState, query: string, results: readonly SearchResult[]): number => {
    if (answered !== query) return 0;
    const was = previous.results[previous.selected];
    const index = was === undefined ? -1 : results.findIndex((r) => resultKey(r) === resultKey(was));
    if (index >= 0) return index;
    return Math.max(0, Math.min(previous.selected, results.length - 1));
  };

  const run = (): Promise<void> => {
    stopTimer();
    const query = get().search.query;
    const userId = kit.userId();
    if (!isSearching(query) || userId === null) return Promise.resolve();
    const mine = ++generation;
    const task = (async () => {
      try {
        const found = await api.searchMessages({ query: query.slice(0, MAX_QUERY_CHARS), limit: SEARCH_LIMIT });
        if (mine !== generation || kit.userId() !== userId) return;
        const previous = get().search;
        const results = reuse(previous.results, found, resultKey);
        const selected = selectedAfter(previous, query, results);
        answered = query;
        set({ search: { ...previous, results, pending: false, error: null, selected } });
      } catch (error) {
        if (mine !== generation || kit.userId() !== userId) return;
        answered = null;
        update({ results: [], pending: false, error: describeError(error), selected: 0 });
      }
    })();
    running = task;
    return task;
  };

  const schedule = () => {
    stopTimer();
    timer = setTimeout(() => void run(), delayMs);
  };

  const actions: SearchActions = {
    setSearchQuery(query) {
      if (query === get().search.query) return;
      // Whatever is in flight now answers an older query.
      generation++;
      stopTimer();
      if (!isSearching(query)) {
        answered = null;
        set({ search: { ...idleSearch, query } });
        return;
      }
      update({ query, pending: true });
      schedule();
    },

    clearSearch() {
      actions.setSearchQuery('');
    },

    selectSearchResult(index) {
      const { results, selected } = get().search;
      const clamped = Math.max(0, Math.min(index, results.length - 1));
      if (clamped !== selected) update({ selected: clamped });
    },

    async openSearchResult(index) {
      // Enter right after typing: answer what is in the box first, never open a stale result.
      if (get().search.pending) await (timer !== null ? run() : (running ?? Promise.resolve()));
      const { results, selected, pending } = get().search;
      if (pending) return;
      const at = index ?? selected;
      const result = results[at];
      if (!result) return;
      if (at !== selected) update({ selected: at });
      let found: boolean;
      try {
        found = await get().actions.jumpToMessage(result.conversationId, result.messageId);
      } catch (error) {
        get().actions.showNotice(describeError(error));
        return;
      }
      if (!found) {
        get().actions.showNotice(t.search.gone);
        refresh();
      }
    },
  };

  /** Messages or conversations changed: read the results again, unless a search is due anyway. */
  const refresh = () => {
    if (!isSearching(get().search.query) || timer !== null) return;
    schedule();
  };

  return {
    actions,
    refresh,
    reset() {
      stopTimer();
      generation++;
      answered = null;
      running = null;
      set({ search: idleSearch });
    },
    dispose: stopTimer,
  };
}
