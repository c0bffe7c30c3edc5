import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from '../../../renderer/state/coalesce.js';

/** A promise and the functions that settle it. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('coalesce', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs the task at once when nothing is in flight', async () => {
    const task = vi.fn(async () => {});
    const refresh = coalesce(task);
    await refresh();
    await refresh();
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('lets every call made during a run share one more run, started after the first ends', async () => {
    const runs: ReturnType<typeof deferred>[] = [];
    let state = 0;
    const seen: number[] = [];
    const task = vi.fn(() => {
      seen.push(state);
      const run = deferred();
      runs.push(run);
      return run.promise;
    });
    const refresh = coalesce(task);

    const first = refresh();
    state = 1;
    const waiting = [refresh(), refresh(), refresh(), refresh()];
    state = 2;
    expect(task).toHaveBeenCalledTimes(1);
    // All calls made while the first run is in flight get the same pending promise.
    expect(new Set(waiting).size).toBe(1);

    runs[0]!.resolve();
    await first;
    await flush();
    // The pending run started only now, so it saw the newest state.
    expect(task).toHaveBeenCalledTimes(2);
    expect(seen).toEqual([0, 2]);

    // A call while the second run is in flight queues a third, not a fourth.
    const third = refresh();
    const alsoThird = refresh();
    expect(third).toBe(alsoThird);
    runs[1]!.resolve();
    await Promise.all(waiting);
    await flush();
    expect(task).toHaveBeenCalledTimes(3);
    runs[2]!.resolve();
    await third;
    expect(task).toHaveBeenCalledTimes(3);
  });

  it('never rejects, and keeps working after a failed run', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    let fail = true;
    const task = vi.fn(async () => {
      if (fail) throw new Error('boom');
    });
    const refresh = coalesce(task);
    await expect(refresh()).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledTimes(1);
    fail = false;
    await refresh();
    expect(task).toHaveBeenCalledTimes(2);
  });
});
