import { describe, expect, it } from 'vitest';
import { formatRecoveryKey, RECOVERY_KEY_CHARS } from '../../../sync/app-api/account-keys-api.js';

const KEY = 'abcd0123efgh4567ijkl89mnopqrstuvwxyz0123456789abcdefghijklmnopqr';

describe('the recovery key as people read and type it', () => {
  it('is shown in sixteen groups of four', () => {
    expect(KEY).toHaveLength(RECOVERY_KEY_CHARS);
    const shown = formatRecoveryKey(KEY);
    expect(shown.split(' ')).toHaveLength(16);
    expect(shown.startsWith('abcd 0123 efgh 4567 ')).toBe(true);
  });
});
