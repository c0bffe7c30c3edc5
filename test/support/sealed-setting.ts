import { createHash } from 'node:crypto';
import { SettingsSeal } from '../../sync/client/crypto/sealed-settings.js';
import { loadSignal } from '../../sync/client/crypto/signal-library.js';
import type { Setting } from '../../sync/protocol/frames.js';

/**
 * A sealed setting as the server sees one (client/crypto/sealed-settings.ts): an opaque key and
 * an opaque value. The server reads neither, so its tests need no identity to make one: `about`
 * picks the key (the same `about`, the same register), `value` the bytes it holds.
 */
export function sealedSetting(about: string, value: string): Extract<Setting, { kind: 'sealed' }> {
  return {
    kind: 'sealed',
    key: createHash('sha256').update(about).digest('base64url'),
    value: Buffer.from(`sealed ${value}`, 'utf8').toString('base64'),
  };
}

/** What seals this test's private settings: a fresh identity's (client/crypto/sealed-settings.ts). */
export async function newSettingsSeal(): Promise<SettingsSeal> {
  const signal = await loadSignal();
  return new SettingsSeal(signal, signal.IdentityKeyPair.generate());
}
