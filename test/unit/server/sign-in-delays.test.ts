import { describe, expect, it } from 'vitest';
import {
  FIRST_SIGN_IN_DELAY_SECONDS,
  LONGEST_SIGN_IN_DELAY_SECONDS,
  signInDelaySeconds,
} from '../../../sync/server/account-limits.js';

describe('the wait after wrong passwords from one address', () => {
  it('is none while they are free, then doubles with each one more, up to the longest', () => {
    expect([1, 2, 3, 4, 5].map((failures) => signInDelaySeconds(failures, 5))).toEqual([0, 0, 0, 0, 0]);
    expect([6, 7, 8, 9].map((failures) => signInDelaySeconds(failures, 5))).toEqual([
      FIRST_SIGN_IN_DELAY_SECONDS,
      FIRST_SIGN_IN_DELAY_SECONDS * 2,
      FIRST_SIGN_IN_DELAY_SECONDS * 4,
      FIRST_SIGN_IN_DELAY_SECONDS * 8,
    ]);
    expect(signInDelaySeconds(40, 5)).toBe(LONGEST_SIGN_IN_DELAY_SECONDS);
    expect(signInDelaySeconds(1_000_000, 5)).toBe(LONGEST_SIGN_IN_DELAY_SECONDS);
  });
});
