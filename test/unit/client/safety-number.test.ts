/** Safety numbers (crypto/safety-number.ts) from two real identities, and how they read (safety-number-api.ts). */
import { describe, expect, it } from 'vitest';
import { safetyNumberGroups } from '../../../sync/app-api/safety-number-api.js';
import { safetyNumber } from '../../../sync/client/crypto/safety-number.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';

const signal = await loadSignal();

describe('safety numbers', () => {
  const alice = { userId: 'u-alice', identityKey: signal.IdentityKeyPair.generate().publicKey };
  const bob = { userId: 'u-bob', identityKey: signal.IdentityKeyPair.generate().publicKey };

  it('gives both people the same sixty digits, and scannable codes that match each other', () => {
    const hers = safetyNumber(signal, alice, bob);
    const his = safetyNumber(signal, bob, alice);
    expect(hers.digits).toMatch(/^\d{60}$/);
    expect(his.digits).toBe(hers.digits);
    const scannable = (encoded: string) =>
      signal.ScannableFingerprint._fromBuffer(new Uint8Array(Buffer.from(encoded, 'base64')));
    expect(scannable(hers.scannable).compare(scannable(his.scannable))).toBe(true);
  });

  it('changes when either identity key changes, and with someone else', () => {
    const before = safetyNumber(signal, alice, bob).digits;
    const bobAgain = { ...bob, identityKey: signal.IdentityKeyPair.generate().publicKey };
    const after = safetyNumber(signal, alice, bobAgain);
    expect(after.digits).not.toBe(before);
    expect(safetyNumber(signal, bobAgain, alice).digits).toBe(after.digits);
    // The scannable code of the old keys does not match the new.
    const scannable = (encoded: string) =>
      signal.ScannableFingerprint._fromBuffer(new Uint8Array(Buffer.from(encoded, 'base64')));
    expect(scannable(safetyNumber(signal, bob, alice).scannable).compare(scannable(after.scannable))).toBe(false);
    const carol = { userId: 'u-carol', identityKey: bob.identityKey };
    expect(safetyNumber(signal, alice, carol).digits).not.toBe(before);
  });

  it('reads in twelve groups of five', () => {
    const digits = safetyNumber(signal, alice, bob).digits;
    const groups = safetyNumberGroups(digits);
    expect(groups).toHaveLength(12);
    expect(groups.every((group) => /^\d{5}$/.test(group))).toBe(true);
    expect(groups.join('')).toBe(digits);
    expect(safetyNumberGroups('123456789012')).toEqual(['12345', '67890', '12']);
  });
});
