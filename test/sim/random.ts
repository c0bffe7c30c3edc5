import type { Random } from '../../sync/common/runtime.js';

/**
 * A small seeded PRNG (mulberry32): the simulation's only source of chance. Every node, the
 * network and the fault knobs draw from streams forked off one seed, so a seed replays exactly.
 */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An independent stream, for a node or a subsystem. */
  fork(): SeededRandom {
    return new SeededRandom(Math.floor(this.next() * 4294967296));
  }

  int(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  hex(byteLength: number): string {
    let out = '';
    for (let i = 0; i < byteLength; i++) out += this.int(0, 255).toString(16).padStart(2, '0');
    return out;
  }

  /** RFC 4122 version 4 layout, so ids look like the real ones (and fit every id schema). */
  uuid(): string {
    const h = this.hex(16).split('');
    h[12] = '4';
    h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}
