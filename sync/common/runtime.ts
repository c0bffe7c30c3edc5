/**
 * Everything in sync/ that depends on time or chance receives it through these interfaces,
 * so the simulation and unit tests can drive the clock and the dice themselves.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export type TimerHandle = { readonly __brand: 'TimerHandle' };

export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface Random {
  /** Uniform in [0, 1). Used for jitter. */
  next(): number;
  /** A random RFC 4122 version-4 UUID (client message ids, conversation ids). */
  uuid(): string;
  /** `byteLength` random bytes as lowercase hex (session tokens, salts). */
  hex(byteLength: number): string;
}

export interface Runtime {
  clock: Clock;
  timers: Timers;
  random: Random;
}
