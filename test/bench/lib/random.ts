/**
 * Deterministic data for the benchmarks: the same seed gives the same users, ids and texts on
 * every run, so two runs differ only in the code (and the machine).
 */

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick() from an empty list');
    return item;
  }

  /** An index drawn with probability proportional to `weights` (cumulative weights precomputed). */
  weighted(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const x = this.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** An RFC 4122 version-4-shaped UUID, like the ones clients and the server generate. */
  uuid(): string {
    let hex = '';
    for (let i = 0; i < 4; i += 1) hex += this.hexWord();
    const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  hex(bytes: number): string {
    let hex = '';
    while (hex.length < bytes * 2) hex += this.hexWord();
    return hex.slice(0, bytes * 2);
  }

  /** 32 random bits as 8 hex digits. */
  private hexWord(): string {
    const word = Math.floor(this.next() * 4294967296);
    return word.toString(16).padStart(8, '0');
  }
}

export function cumulativeWeights(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((weight) => (sum += weight));
}

const WORDS = (
  'the a to and of you i it in is that we for on this be can are just have with what so not but was ' +
  'meeting tomorrow tonight later coffee lunch dinner train late sorry thanks great sounds good okay ' +
  'yes no maybe perhaps call me back when you get home the report draft deadline friday monday ' +
  'weekend photos from trip look amazing did see news about project release bug fix deploy server ' +
  'client mirror offline sync message reply edit reaction weather rain sunny cold warm picked up kids ' +
  'school groceries milk bread cheese remember birthday party gift idea movie book recommend'
).split(' ');

/** Chat-like text: mostly short, sometimes a paragraph (5–200 characters, about 50 on average). */
export function chatText(rng: Rng): string {
  const words = rng.chance(0.1) ? rng.int(12, 35) : rng.int(1, 10);
  const out: string[] = [];
  for (let i = 0; i < words; i += 1) out.push(rng.pick(WORDS));
  const text = out.join(' ');
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return (capitalised + rng.pick(['', '', '.', '!', '?', ' :)'])).slice(0, 200);
}

export const BENCH_EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🎉'] as const;
