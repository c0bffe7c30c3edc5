import { randomBytes, randomUUID } from 'node:crypto';
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
      hex: (byteLength) => randomBytes(byteLength).toString('hex'),
    },
  };
}
