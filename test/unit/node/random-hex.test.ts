import { describe, expect, it } from 'vitest';
import { randomHex } from '../../../sync/node/real-runtime.js';

describe('randomHex', () => {
  it('gives the asked number of bytes as lowercase hex, never the same twice, across refills of its pool', () => {
    const seen = new Set<string>();
    // 10 bytes at a time through several refills of the 4 KiB pool, and sizes that straddle one.
    for (let i = 0; i < 2_000; i += 1) {
      const hex = randomHex(10);
      expect(hex).toMatch(/^[0-9a-f]{20}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(2_000);
    for (const bytes of [1, 3, 16, 32, 4_000, 4_096, 10_000])
      expect(randomHex(bytes)).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
  });

  it('hands out bytes that are random, not the wiped zeros of an earlier call', () => {
    // 8,192 bytes in calls of 8, through two refills: eight zero bytes in a row would be wiped bytes handed out again.
    const hexes = Array.from({ length: 1_024 }, () => randomHex(8));
    expect(hexes.filter((hex) => hex === '0000000000000000')).toEqual([]);
    const ones = [...hexes.join('')].reduce((sum, digit) => sum + (parseInt(digit, 16).toString(2).split('1').length - 1), 0);
    // 65,536 bits: a fair source gives 32,768 ones, with a standard deviation of 128.
    expect(Math.abs(ones - 32_768)).toBeLessThan(1_000);
  });
});
