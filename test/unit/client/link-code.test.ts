/**
 * The hand-over a link code is for (crypto/link-code.ts): the account keys, and beside them the
 * reference to the linking device's history export, open only with the code's key, for that
 * account and device.
 */
import { describe, expect, it } from 'vitest';
import { newAccountKeys } from '../../../sync/client/crypto/account-keys.js';
import { openHandOver, parseLinkCode, formatLinkCode, sealHandOver } from '../../../sync/client/crypto/link-code.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';

const signal = await loadSignal();
const verifier = { N: 2, r: 1, p: 1, salt: '0'.repeat(32), hash: '1'.repeat(64) };
const keys = newAccountKeys(signal, 'alice-id', verifier, 1_000);
const history = { uploadId: 'a'.repeat(32), key: Buffer.alloc(32, 7).toString('base64'), sha256: 'b'.repeat(64), size: 4096 };

function codeFor(deviceNumber: number) {
  const privateKey = signal.PrivateKey.generate();
  return { privateKey, code: parseLinkCode(formatLinkCode(deviceNumber, privateKey.getPublicKey().serialize()))! };
}

describe('the link hand-over', () => {
  it('carries the keys and the history export’s reference, for that account and device only', () => {
    const { privateKey, code } = codeFor(2);
    const sealed = sealHandOver(signal, code, keys, history);
    expect(openHandOver(privateKey, sealed, 'alice-id', 2)).toEqual({ keys, history });
    expect(() => openHandOver(privateKey, sealed, 'alice-id', 3)).toThrow();
    expect(() => openHandOver(privateKey, sealed, 'mallory-id', 2)).toThrow();
  });

  it('without a history (none sent, or a reference that does not read) still hands over the keys', () => {
    const { privateKey, code } = codeFor(2);
    expect(openHandOver(privateKey, sealHandOver(signal, code, keys), 'alice-id', 2)).toEqual({ keys, history: null });
    const odd = sealHandOver(signal, code, keys, { ...history, sha256: 'not a digest' });
    expect(openHandOver(privateKey, odd, 'alice-id', 2)).toEqual({ keys, history: null });
  });
});
