import { describe, expect, it } from 'vitest';
import { formatRecoveryKey, parseRecoveryKey, RECOVERY_KEY_CHARS } from '../../../sync/app-api/account-keys-api.js';

const KEY = 'abcd0123efgh4567ijkl89mnopqrstuvwxyz0123456789abcdefghijklmnopqr';

describe('the recovery key as people read and type it', () => {
  it('is shown in sixteen groups of four', () => {
    expect(KEY).toHaveLength(RECOVERY_KEY_CHARS);
    const shown = formatRecoveryKey(KEY);
    expect(shown.split(' ')).toHaveLength(16);
    expect(shown.startsWith('abcd 0123 efgh 4567 ')).toBe(true);
  });

  it('is taken back grouped or not, in either case, with stray spaces or dashes', () => {
    expect(parseRecoveryKey(formatRecoveryKey(KEY))).toBe(KEY);
    expect(parseRecoveryKey(KEY)).toBe(KEY);
    expect(parseRecoveryKey(`  ${formatRecoveryKey(KEY).toUpperCase().replaceAll(' ', '-')}\n`)).toBe(KEY);
  });

  it('is refused when a character is missing or not a letter or digit', () => {
    expect(parseRecoveryKey(KEY.slice(1))).toBeNull();
    expect(parseRecoveryKey(`${KEY.slice(1)}!`)).toBeNull();
    expect(parseRecoveryKey('')).toBeNull();
  });
});
