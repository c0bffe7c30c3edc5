import { randomFillSync, randomUUID } from 'node:crypto';
import type { Runtime, TimerHandle } from '../common/runtime.js';

/** The production runtime: wall clock, real timers, cryptographic randomness. */
export function realRuntime(): Runtime {
  return {
    clock: { now: () => Date.now() },
    timers: {
      setTimeout: (callback, delayMs) => {
        const handle = setTimeout(callback, delayMs);
        // A pending retry must never keep a process alive on its own.
        handle.unref?.();
        return handle as unknown as TimerHandle;
      },
      clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
    },
    random: {
      next: () => Math.random(),
      uuid: () => randomUUID(),
      hex: randomHex,
    },
  };
}

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let taken = POOL_BYTES;

/**
 * Cryptographic random bytes as hex, cut from a pool filled a page at a time (as randomUUID
 * does): a call to the system's generator per id costs more than the rest of composing an id.
 * Bytes handed out are wiped from the pool, so none of a token or salt stays behind in it.
 */
export function randomHex(byteLength: number): string {
  if (byteLength > POOL_BYTES) return randomFillSync(Buffer.alloc(byteLength)).toString('hex');
  if (taken + byteLength > POOL_BYTES) {
    randomFillSync(pool);
    taken = 0;
  }
  const hex = pool.toString('hex', taken, taken + byteLength);
  pool.fill(0, taken, taken + byteLength);
  taken += byteLength;
  return hex;
}
