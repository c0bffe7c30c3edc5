import { describe, expect, it } from 'vitest';
import {
  IMAGE_HEADER_BYTES,
  MAX_DECODED_PIXELS,
  dataUrlWithinBudget,
  declaredWithinBudget,
  headerWithinBudget,
} from '../../../renderer/state/image-budget.js';
import { zeroPng } from '../../support/png-bomb.js';

describe('image pixel budget', () => {
  it('refuses a real decompression-bomb PNG by its header, whatever size it declared', async () => {
    const bomb = await zeroPng(20_000, 20_000);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(declaredWithinBudget(100, 100)).toBe(true); // the sender may lie about the size
    expect(headerWithinBudget(bomb.subarray(0, IMAGE_HEADER_BYTES))).toBe(false);
    expect(dataUrlWithinBudget(`data:image/png;base64,${bomb.toString('base64')}`)).toBe(false);
  });

  it('passes an ordinary image and one exactly at the budget', async () => {
    expect(headerWithinBudget(await zeroPng(1920, 1080))).toBe(true);
    expect(headerWithinBudget((await zeroPng(10_000, 5_000)).subarray(0, IMAGE_HEADER_BYTES))).toBe(true);
    expect(headerWithinBudget((await zeroPng(10_000, 5_001)).subarray(0, IMAGE_HEADER_BYTES))).toBe(false);
    expect(dataUrlWithinBudget(`data:image/png;base64,${(await zeroPng(64, 64)).toString('base64')}`)).toBe(true);
  });

  it('refuses what has no readable header instead of decoding it', () => {
    expect(headerWithinBudget(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false);
    expect(headerWithinBudget(new TextEncoder().encode('not an image'))).toBe(false);
    expect(dataUrlWithinBudget('data:image/png,raw')).toBe(false);
  });

  it('judges a declared size against the same budget', () => {
    expect(MAX_DECODED_PIXELS).toBe(50_000_000);
    expect(declaredWithinBudget(20_000, 20_000)).toBe(false);
    expect(declaredWithinBudget(undefined, undefined)).toBe(true);
  });
});
