import type { Random } from '../common/runtime.js';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };
export const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so many clients
 * coming back after an outage spread out instead of arriving together, yet none retries instantly.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: Random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exponential / 2 + random.next() * (exponential / 2));
}
