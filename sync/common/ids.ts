import type { Random } from './runtime.js';

/**
 * A UUID version 7 (RFC 9562): 48 bits of milliseconds, then randomness. Ids made later sort
 * later, so SQLite's unique indexes on message ids grow at their right edge instead of touching a
 * random page per row; that keeps each catch-up commit small (measured in test/bench).
 */
export function timeOrderedId(now: number, random: Random): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  const rest = random.hex(10); // 80 random bits, 74 of which survive version and variant
  const variant = ((parseInt(rest[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${rest.slice(0, 3)}-${variant}${rest.slice(4, 7)}-${rest.slice(8, 20)}`;
}
