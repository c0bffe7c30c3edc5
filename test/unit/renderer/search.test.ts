import { afterEach, describe, expect, it } from 'vitest';
import type { AppApiClient } from '../../../sync/app-api/client.js';
import type { SearchResult } from '../../../sync/app-api/contract.js';
import { isMacPlatform, isSearchShortcut, rowForKey, type Keys } from '../../../renderer/components/keys.js';
import { en } from '../../../renderer/i18n/en.js';
import { SEARCH_DELAY_MS, SEARCH_LIMIT } from '../../../renderer/state/search.js';
import { createAppStore, type AppStore } from '../../../renderer/state/store.js';
import { bob, connectedLink, FakeApi, settle, summary } from './fake-api.js';

const stores: AppStore[] = [];
afterEach(() => stores.splice(0).forEach((store) => store.dispose()));

function hit(messageId: string, text: string, overrides: Partial<SearchResult> = {}): SearchResult {
  return {
    conversationId: 'c1',
    conversationTitle: bob.displayName,
    messageId,
    senderName: bob.displayName,
    own: false,
    at: 1000,
    snippet: [{ text, match: true }],
    ...overrides,
  };
}

interface Call {
  query: string;
  answer(results: SearchResult[]): void;
  fail(error: Error): void;
}

/** The fake core, with searchMessages answered by the test, call by call, in any order. */
class SearchingApi extends FakeApi {
  searches: Call[] = [];
  /** Answered at once instead of waiting for the test (when set). */
  instant: ((query: string) => SearchResult[]) | null = null;

  override client(): AppApiClient {
    return {
      ...super.client(),
      searchMessages: (args: { query: string; limit?: number }) => {
        this.calls.push({ method: 'searchMessages', args });
        if (this.instant) return Promise.resolve(this.instant(args.query));
        return new Promise<SearchResult[]>((resolve, reject) => {
          this.searches.push({ query: args.query, answer: resolve, fail: reject });
        });
      },
    };
  }
}

async function start(api: FakeApi): Promise<AppStore> {
  api.conversations = [summary({ id: 'c1', lastActivityAt: 50 }), summary({ id: 'c2', lastActivityAt: 10 })];
  const store = createAppStore(api.client(), connectedLink);
  stores.push(store);
  await settle();
  return store;
}

/** Past the typing pause, and every answer given so far applied. */
async function pause(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SEARCH_DELAY_MS + 30));
  await settle();
}

/** Records the jumps the search asks for, answering `found`. */
function recordJumps(store: AppStore, found = true): { conversationId: string; messageId: string }[] {
  const jumps: { conversationId: string; messageId: string }[] = [];
  const actions = store.getState().actions;
  store.setState({
    actions: {
      ...actions,
      jumpToMessage: async (conversationId, messageId) => {
        jumps.push({ conversationId, messageId });
        return found;
      },
    },
  });
  return jumps;
}

describe('search in the store', () => {
  it('searches once the person pauses, for what the box holds then', async () => {
    const api = new SearchingApi();
    const store = await start(api);
    const { setSearchQuery } = store.getState().actions;
    for (const query of ['h', 'he', 'hel', 'hello']) setSearchQuery(query);
    expect(store.getState().search).toMatchObject({ query: 'hello', pending: true, results: [] });
    expect(api.callsOf('searchMessages')).toEqual([]);

    await pause();
    expect(api.callsOf('searchMessages')).toEqual([{ query: 'hello', limit: SEARCH_LIMIT }]);
    api.searches[0]!.answer([hit('m2', 'hello'), hit('m1', 'hello there')]);
    await settle();
    expect(store.getState().search).toMatchObject({ query: 'hello', pending: false, error: null, selected: 0 });
    expect(store.getState().search.results.map((r) => r.messageId)).toEqual(['m2', 'm1']);
  });

  it('never asks about a blank box, and emptying it ends the search at once', async () => {
    const api = new SearchingApi();
    const store = await start(api);
    const { setSearchQuery, clearSearch } = store.getState().actions;
    setSearchQuery('   ');
    await pause();
    expect(api.callsOf('searchMessages')).toEqual([]);
    expect(store.getState().search).toMatchObject({ query: '   ', pending: false, results: [] });

    setSearchQuery('cat');
    await pause();
    api.searches[0]!.answer([hit('m1', 'cat')]);
    await settle();
    clearSearch();
    expect(store.getState().search).toEqual({ query: '', results: [], pending: false, error: null, selected: 0 });
  });

  it('drops an earlier answer that arrives after a newer query, however late', async () => {
    const api = new SearchingApi();
    const store = await start(api);
    const { setSearchQuery } = store.getState().actions;
    setSearchQuery('ca');
    await pause();
    setSearchQuery('cat');
    await pause();
    expect(api.searches.map((s) => s.query)).toEqual(['ca', 'cat']);

    // The newer answer first, then the slower earlier one: the newer stays.
    api.searches[1]!.answer([hit('m-cat', 'cat')]);
    await settle();
    api.searches[0]!.answer([hit('m-car', 'car'), hit('m-cat', 'cat')]);
    await settle();
    expect(store.getState().search.results.map((r) => r.messageId)).toEqual(['m-cat']);
    expect(store.getState().search.pending).toBe(false);
  });

  it('does not show an answer to what the box held before the person typed on', async () => {
    const api = new SearchingApi();
    const store = await start(api);
    const { setSearchQuery } = store.getState().actions;
    setSearchQuery('do');
    await pause();
    setSearchQuery('dog'); // typed while 'do' is in flight, not searched yet
    api.searches[0]!.answer([hit('m-door', 'door')]);
    await settle();
    expect(store.getState().search).toMatchObject({ query: 'dog', pending: true, results: [] });
    await pause();
    api.searches[1]!.answer([hit('m-dog', 'dog')]);
    await settle();
    expect(store.getState().search).toMatchObject({ query: 'dog', pending: false });
    expect(store.getState().search.results.map((r) => r.messageId)).toEqual(['m-dog']);
  });

  it('reads results again when messages change, keeping the selected one', async () => {
    const api = new SearchingApi();
    const store = await start(api);
    const { setSearchQuery, selectSearchResult } = store.getState().actions;
    setSearchQuery('tea');
    await pause();
    api.searches[0]!.answer([hit('m3', 'tea'), hit('m2', 'tea'), hit('m1', 'tea')]);
    await settle();
    selectSearchResult(1);
    expect(store.getState().search.selected).toBe(1);

    // A newer match arrived in another conversation: the selection stays on m2.
    api.emit({ type: 'messages', conversationId: 'c2' });
    await pause();
    expect(api.searches).toHaveLength(2);
    api.searches[1]!.answer([hit('m4', 'tea', { conversationId: 'c2' }), hit('m3', 'tea'), hit('m2', 'tea'), hit('m1', 'tea')]);
    await settle();
    const { results, selected } = store.getState().search;
    expect(results[selected]?.messageId).toBe('m2');

    // Nothing is asked while nothing is searched for.
    store.getState().actions.clearSearch();
    api.emit({ type: 'messages', conversationId: 'c2' });
    await pause();
    expect(api.searches).toHaveLength(2);
  });

  it('keeps the selection within the results', async () => {
    const api = new SearchingApi();
    api.instant = () => [hit('m2', 'x'), hit('m1', 'x')];
    const store = await start(api);
    const { setSearchQuery, selectSearchResult } = store.getState().actions;
    setSearchQuery('x');
    await pause();
    selectSearchResult(5);
    expect(store.getState().search.selected).toBe(1);
    selectSearchResult(-1);
    expect(store.getState().search.selected).toBe(0);
  });

  it('opens the selected result; Enter right after typing waits for the answer to what was typed', async () => {
    const api = new SearchingApi();
    api.instant = (query) => (query === 'pear' ? [hit('m-pear', 'pear', { conversationId: 'c2' })] : [hit('m-pea', 'pea')]);
    const store = await start(api);
    const jumps = recordJumps(store);
    const { setSearchQuery, openSearchResult } = store.getState().actions;
    setSearchQuery('pea');
    await pause();
    setSearchQuery('pear');
    await openSearchResult();
    expect(jumps).toEqual([{ conversationId: 'c2', messageId: 'm-pear' }]);
    // The query stays, so another result can be picked.
    expect(store.getState().search).toMatchObject({ query: 'pear', pending: false });

    await openSearchResult(0);
    expect(jumps).toHaveLength(2);
    await openSearchResult(7); // no such result
    expect(jumps).toHaveLength(2);
  });

  it('says so when the message found has gone since', async () => {
    const api = new SearchingApi();
    api.instant = () => [hit('m1', 'plum')];
    const store = await start(api);
    const jumps = recordJumps(store, false);
    store.getState().actions.setSearchQuery('plum');
    await pause();
    await store.getState().actions.openSearchResult(0);
    expect(jumps).toHaveLength(1);
    expect(store.getState().notice).toBe(en.search.gone);
  });

  it('shows why a search failed, and forgets the search on signing out', async () => {
    const api = new SearchingApi();
    const store = await start(api);
    store.getState().actions.setSearchQuery('kiwi');
    await pause();
    api.searches[0]!.fail(new Error('bridge gone'));
    await settle();
    const { search } = store.getState();
    expect(search.pending).toBe(false);
    expect(search.results).toEqual([]);
    expect(search.error).toEqual(expect.any(String));
    expect(search.error).not.toBe('');

    api.session = null;
    api.emit({ type: 'session', session: null });
    await settle();
    expect(store.getState().search.query).toBe('');
  });
});

describe('keys of the search and the windowed lists', () => {
  const key = (init: Partial<Keys>): Keys => ({
    key: '',
    code: '',
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...init,
  });

  it('Ctrl+K searches, ⌘K on macOS, by letter or by key position on a non-Latin layout', () => {
    expect(isSearchShortcut(key({ key: 'k', code: 'KeyK', ctrlKey: true }), false)).toBe(true);
    expect(isSearchShortcut(key({ key: 'K', code: 'KeyK', ctrlKey: true }), false)).toBe(true);
    expect(isSearchShortcut(key({ key: 'л', code: 'KeyK', ctrlKey: true }), false)).toBe(true);
    expect(isSearchShortcut(key({ key: 'k', code: 'KeyV', ctrlKey: true }), false)).toBe(true); // Dvorak
    expect(isSearchShortcut(key({ key: 't', code: 'KeyK', ctrlKey: true }), false)).toBe(false); // Dvorak's T
    expect(isSearchShortcut(key({ key: 'k', code: 'KeyK' }), false)).toBe(false);
    expect(isSearchShortcut(key({ key: 'k', code: 'KeyK', ctrlKey: true, shiftKey: true }), false)).toBe(false);
    expect(isSearchShortcut(key({ key: 'k', code: 'KeyK', metaKey: true }), false)).toBe(false);
    expect(isSearchShortcut(key({ key: 'k', code: 'KeyK', metaKey: true }), true)).toBe(true);
    expect(isSearchShortcut(key({ key: 'k', code: 'KeyK', ctrlKey: true }), true)).toBe(false);
    expect(isMacPlatform('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36')).toBe(true);
    expect(isMacPlatform('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36')).toBe(false);
  });

  it('arrow, Home, End and page keys move within the rows', () => {
    expect(rowForKey('ArrowDown', 0, 3, 10)).toBe(1);
    expect(rowForKey('ArrowDown', 2, 3, 10)).toBe(2);
    expect(rowForKey('ArrowUp', 0, 3, 10)).toBe(0);
    expect(rowForKey('Home', 2, 3, 10)).toBe(0);
    expect(rowForKey('End', 0, 10_000, 10)).toBe(9_999);
    expect(rowForKey('PageDown', 9_995, 10_000, 10)).toBe(9_999);
    expect(rowForKey('PageUp', 5, 10_000, 10)).toBe(0);
    expect(rowForKey('Enter', 5, 10, 10)).toBeNull();
    expect(rowForKey('ArrowDown', 0, 0, 10)).toBeNull();
  });
});
