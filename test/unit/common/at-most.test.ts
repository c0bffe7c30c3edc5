import { describe, expect, it } from 'vitest';
import { eachAtMost } from '../../../sync/common/at-most.js';

/** Work that waits to be let go, so the test sees how many run at once. */
function heldWork() {
  const running = new Set<number>();
  const waiting = new Map<number, () => void>();
  let most = 0;
  const started: number[] = [];
  const work = (item: number) =>
    new Promise<void>((resolve, reject) => {
      started.push(item);
      running.add(item);
      most = Math.max(most, running.size);
      waiting.set(item, () => {
        running.delete(item);
        if (item < 0) reject(new Error(`item ${item} failed`));
        else resolve();
      });
    });
  const letGo = async (item: number) => {
    await new Promise((resolve) => setImmediate(resolve));
    waiting.get(item)!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { work, letGo, started, most: () => most };
}

describe('each item at most so many at once', () => {
  it('starts items in order as earlier ones end, never more than the limit', async () => {
    const { work, letGo, started, most } = heldWork();
    const all = eachAtMost([1, 2, 3, 4, 5], 2, work);
    await letGo(2);
    expect(started).toEqual([1, 2, 3]);
    for (const item of [1, 3, 4, 5]) await letGo(item);
    await all;
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(most()).toBe(2);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const { work, letGo, started } = heldWork();
    const all = eachAtMost([1, -2, 3, 4], 2, work);
    const outcome = all.catch((error: unknown) => error);
    await letGo(-2);
    expect(((await outcome) as Error).message).toBe('item -2 failed');
    await letGo(1);
    expect(started).toEqual([1, -2]);
  });

  it('does nothing for no items', async () => {
    await expect(eachAtMost([], 4, () => Promise.reject(new Error('never')))).resolves.toBeUndefined();
  });
});
