import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../../sync/common/ids.js';

const random = (values: string[]) => ({ next: () => 0.5, uuid: () => '', hex: (n: number) => values.shift()!.slice(0, n * 2) });

describe('time-ordered ids', () => {
  it('is a version 7 UUID that sorts by time', () => {
    const a = timeOrderedId(1_700_000_000_000, random(['ffffffffffffffffffff']));
    const b = timeOrderedId(1_700_000_000_001, random(['00000000000000000000']));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
  });

  it('differs when the randomness differs within the same millisecond', () => {
    const a = timeOrderedId(5, random(['0123456789abcdef0123']));
    const b = timeOrderedId(5, random(['fedcba9876543210fedc']));
    expect(a).not.toBe(b);
  });
});
