import { describe, expect, it } from 'vitest';
import { INDEX_GATHER_MS, SearchIndexer } from '../../../sync/client/search-indexer.js';
import { handRuntime } from '../../support/hand-runtime.js';

/** A pending tail of `messages`, indexed `limit` at a time, with every call recorded. */
function tail(messages: number) {
  let left = messages;
  const calls: number[] = [];
  return {
    calls,
    left: () => left,
    indexPending(limit: number): boolean {
      calls.push(limit);
      left = Math.max(0, left - limit);
      return left > 0;
    },
  };
}

describe('SearchIndexer', () => {
  it('indexes the whole tail in chunks, a turn of the event loop apart, a moment after it was kicked', async () => {
    const { runtime, advance } = handRuntime();
    const index = tail(5_000);
    const indexer = new SearchIndexer(
      index,
      runtime.timers,
      () => false,
      () => undefined,
    );
    expect(index.calls).toEqual([]);
    indexer.kick();
    await advance(INDEX_GATHER_MS - 1);
    // Writes meanwhile join the same pass instead of putting it off.
    indexer.kick();
    expect(index.calls).toEqual([]);
    await advance(1);
    expect(index.calls).toEqual([2_000, 2_000, 2_000]);
    expect(index.left()).toBe(0);
  });

  it('waits while a catch-up runs, and indexes when it is over', async () => {
    const { runtime, advance } = handRuntime();
    const index = tail(100);
    let catchingUp = true;
    const indexer = new SearchIndexer(
      index,
      runtime.timers,
      () => catchingUp,
      () => undefined,
    );
    indexer.kick();
    await advance(1_000);
    expect(index.calls).toEqual([]);
    catchingUp = false;
    await advance(100);
    expect(index.calls).toEqual([2_000]);
    expect(index.left()).toBe(0);
  });

  it('reports a failed chunk and tries again only when kicked again; nothing after stop', async () => {
    const { runtime, advance } = handRuntime();
    const errors: unknown[] = [];
    let fail = true;
    const index = tail(10);
    const indexer = new SearchIndexer(
      {
        indexPending: (limit) => {
          if (fail) throw new Error('disk full');
          return index.indexPending(limit);
        },
      },
      runtime.timers,
      () => false,
      (error) => errors.push(error),
    );
    indexer.kick();
    await advance(10_000);
    expect(errors).toHaveLength(1);
    fail = false;
    await advance(10_000);
    expect(index.calls).toEqual([]);
    indexer.kick();
    await advance(INDEX_GATHER_MS);
    expect(index.left()).toBe(0);
    indexer.stop();
    indexer.kick();
    await advance(10_000);
    expect(index.calls).toEqual([2_000]);
  });
});
