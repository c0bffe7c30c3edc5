import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost. N must be a power of two; memory use is about 128 · N · r bytes. */
export interface PasswordCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's recommended minimum for scrypt (about 32 MiB and tens of milliseconds per hash). */
export const DEFAULT_PASSWORD_COST: PasswordCost = { N: 2 ** 15, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;
// Refuse absurd parameters read back from storage, so one corrupt row cannot exhaust memory.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/**
 * How many hashes run at once, and how many may wait for a turn. scrypt runs on libuv's thread
 * pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), which file reads and writes share:
 * two at a time leave it room, and a flood of sign-ins beyond the queue is refused at once
 * instead of piling up requests and memory.
 */
export interface HashingLimits {
  concurrent: number;
  queued: number;
  /** Of all those, how many one address may have (client-address.ts limit key): one flood cannot fill the queue. */
  perAddress: number;
}

export const DEFAULT_HASHING_LIMITS: HashingLimits = { concurrent: 2, queued: 64, perAddress: 4 };

/** Every turn at hashing is taken and the queue is full: the server is busy, try again shortly. */
export class PasswordsBusyError extends Error {
  constructor() {
    super('Too many passwords are being checked at once');
    this.name = 'PasswordsBusyError';
  }
}

/** `address`: whom the work is for (the client's limit key), so one address's share of the turns is bounded. */
export interface PasswordHasher {
  hash(password: string, address: string): Promise<string>;
  verify(password: string, stored: string, address: string): Promise<boolean>;
  /**
   * Spends the same effort as a real check and returns false. Used for unknown usernames, so the
   * response time does not tell an attacker which usernames exist.
   */
  verifyNothing(password: string, address: string): Promise<false>;
}

/**
 * Hashes are stored as `scrypt$N$r$p$saltHex$hashHex`: the parameters travel with each hash, so
 * the cost can be raised later without invalidating existing passwords.
 */
export function createPasswordHasher(
  randomHex: (byteLength: number) => string,
  cost: PasswordCost = DEFAULT_PASSWORD_COST,
  limits: HashingLimits = DEFAULT_HASHING_LIMITS,
): PasswordHasher {
  checkCost(cost);
  const turns = new Turns(limits);
  let decoy: Promise<string> | undefined;

  async function hash(password: string, address: string): Promise<string> {
    const salt = Buffer.from(randomHex(SALT_BYTES), 'hex');
    const key = await turns.run(address, () => derive(password, salt, cost, KEY_BYTES));
    return ['scrypt', cost.N, cost.r, cost.p, salt.toString('hex'), key.toString('hex')].join('$');
  }

  async function verify(password: string, stored: string, address: string): Promise<boolean> {
    const parsed = parseHash(stored);
    if (!parsed) return false;
    const key = await turns.run(address, () => derive(password, parsed.salt, parsed.cost, parsed.key.length));
    return timingSafeEqual(key, parsed.key);
  }

  async function verifyNothing(password: string, address: string): Promise<false> {
    decoy ??= hash('decoy password that matches nothing', address);
    await verify(password, await decoy, address);
    return false;
  }

  return { hash, verify, verifyNothing };
}

/**
 * At most `concurrent` jobs at once, `queued` more waiting in order, and `perAddress` of them (run
 * or waiting) for one address; beyond that, PasswordsBusyError.
 */
class Turns {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Jobs running or waiting, by address; an address with none has no entry. */
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: HashingLimits) {}

  async run<T>(address: string, job: () => Promise<T>): Promise<T> {
    const mine = this.byAddress.get(address) ?? 0;
    if (mine >= this.limits.perAddress) throw new PasswordsBusyError();
    this.byAddress.set(address, mine + 1);
    try {
      return await this.take(job);
    } finally {
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left === 0) this.byAddress.delete(address);
      else this.byAddress.set(address, left);
    }
  }

  private async take<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.concurrent) {
      if (this.waiting.length >= this.limits.queued) throw new PasswordsBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await job();
    } finally {
      // The turn passes straight to the next in line (running stays the same), or is given back.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

function derive(password: string, salt: Buffer, cost: PasswordCost, keyBytes: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: cost.N,
    r: cost.r,
    p: cost.p,
    // Node's default ceiling (32 MiB) is exactly what N=2^15, r=8 needs and it refuses it; leave room.
    maxmem: 256 * cost.N * cost.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parseHash(stored: string): { cost: PasswordCost; salt: Buffer; key: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (!isSaneCost(cost) || !/^[0-9a-f]+$/.test(salt) || !/^[0-9a-f]+$/.test(key) || key.length % 2 !== 0) {
    return null;
  }
  return { cost, salt: Buffer.from(salt, 'hex'), key: Buffer.from(key, 'hex') };
}

function isSaneCost(cost: PasswordCost): boolean {
  const { N, r, p } = cost;
  return (
    Number.isInteger(N) &&
    N >= 2 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= MAX_R &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= MAX_P
  );
}

function checkCost(cost: PasswordCost): void {
  if (!isSaneCost(cost)) {
    throw new RangeError(`Unusable scrypt cost ${JSON.stringify(cost)}: N a power of two ≤ 2^20, 1 ≤ r ≤ 32, 1 ≤ p ≤ 16`);
  }
}
