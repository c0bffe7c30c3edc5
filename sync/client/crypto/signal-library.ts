/**
 * libsignal, loaded on first use rather than with the core: loading it (its native module and its
 * JavaScript) blocks the thread for longer than a whole cold start may take, and nothing on the
 * first screen needs it. Everything of ours that encrypts, decrypts or makes keys gets it from
 * here; the layering lint keeps the package out of every other module (and out of the server).
 */
import type * as Signal from '@signalapp/libsignal-client';
import type { AccountEntropyPool } from '@signalapp/libsignal-client/dist/AccountKeys.js';

export type SignalLibrary = typeof Signal & { AccountEntropyPool: typeof AccountEntropyPool };

let loading: Promise<SignalLibrary> | null = null;

/** The library, loaded once per thread; later calls share the first load. */
export function loadSignal(): Promise<SignalLibrary> {
  loading ??= Promise.all([
    import('@signalapp/libsignal-client'),
    import('@signalapp/libsignal-client/dist/AccountKeys.js'),
  ]).then(([signal, accountKeys]) => ({ ...signal, AccountEntropyPool: accountKeys.AccountEntropyPool }));
  return loading;
}
