import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { HttpError } from './http-body.js';

/** At most `points` within `seconds`. */
export interface LimitWindow {
  points: number;
  seconds: number;
}

/**
 * How often sign-in and sign-up may be tried (rate-limiter-flexible counts them). Guessing is
 * slowed where it comes from, never by a lock a stranger can put on the owner: wrong passwords
 * for one account from one address earn growing waits for that pair only, and the account-wide
 * limit spares the addresses the owner has signed in from.
 */
export interface AccountLimits {
  /**
   * Wrong passwords for one username from one address: `points` are free, then each one more
   * makes that pair wait, twice as long as the time before (from 30 s, at most an hour). A
   * success clears them; `seconds` is how long they are remembered.
   */
  signInFailuresPerUsernameAndAddress: LimitWindow;
  /**
   * Wrong passwords for one username from anywhere (guessing spread over many addresses): past
   * this, only addresses the account signed in from before may try.
   */
  signInFailuresPerUsername: LimitWindow;
  /** Sign-in attempts from one address, right or wrong: guessing many people's passwords. */
  signInsPerAddress: LimitWindow;
  /** Accounts created from one address. */
  signUpsPerAddress: LimitWindow;
}

export const DEFAULT_ACCOUNT_LIMITS: AccountLimits = {
  signInFailuresPerUsernameAndAddress: { points: 5, seconds: 24 * 60 * 60 },
  signInFailuresPerUsername: { points: 100, seconds: 60 * 60 },
  signInsPerAddress: { points: 60, seconds: 15 * 60 },
  signUpsPerAddress: { points: 20, seconds: 60 * 60 },
};

/** The first wait after the free wrong passwords, and the longest. */
export const FIRST_SIGN_IN_DELAY_SECONDS = 30;
export const LONGEST_SIGN_IN_DELAY_SECONDS = 60 * 60;
/**
 * How long an address the account signed in or connected from counts as the owner's. Every
 * connection renews it. (Under 24.8 days: the in-memory counter expires keys with a timer.)
 */
const KNOWN_ADDRESS_SECONDS = 20 * 24 * 60 * 60;

/** The wait after the `failures`-th wrong password of a pair, in seconds (0 while they are free). */
export function signInDelaySeconds(failures: number, free: number): number {
  if (failures <= free) return 0;
  return Math.min(LONGEST_SIGN_IN_DELAY_SECONDS, FIRST_SIGN_IN_DELAY_SECONDS * 2 ** Math.min(failures - free - 1, 20));
}

/** The counters the guard keeps: the limits', the pairs' waits, and the owners' addresses. */
type CounterName = keyof AccountLimits | 'signInDelays' | 'knownSignInAddresses';

/** Makes the counter for one kind of attempt: in memory on one node (a shared store across nodes). */
export type LimiterFactory = (name: CounterName, window: LimitWindow) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (name, window) =>
  new RateLimiterMemory({ keyPrefix: name, points: window.points, duration: window.seconds });

/** The table every node's counts live in (PostgreSQL migration 4 creates it, in the library's shape). */
export const RATE_LIMITS_TABLE = 'rate_limits';

/**
 * Counters in the PostgreSQL database the nodes share, so a guesser gains nothing by spreading
 * attempts over them. One table for every kind (keys carry the kind as prefix); the migrations
 * made it, so the library never creates tables at run time; one of the kinds sweeps expired rows
 * of all (the library does it every five minutes).
 */
export function postgresLimiters(pool: pg.Pool): LimiterFactory {
  return (name, window) =>
    new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: RATE_LIMITS_TABLE,
      tableCreated: true,
      clearExpiredByTimeout: name === 'signInFailuresPerUsernameAndAddress',
      keyPrefix: name,
      points: window.points,
      duration: window.seconds,
    });
}

/**
 * The account endpoints' guard against guessing and mass sign-up: each check either passes or
 * throws a 429 `rate_limited` HttpError that says when to try again (Retry-After). `address` is
 * the client's limit key (client-address.ts: an IPv6 client's /64).
 */
export class AccountGuard {
  private readonly failuresPerPair: RateLimiterAbstract;
  private readonly delays: RateLimiterAbstract;
  private readonly failuresPerUsername: RateLimiterAbstract;
  private readonly knownAddresses: RateLimiterAbstract;
  private readonly signInsPerAddress: RateLimiterAbstract;
  private readonly signUpsPerAddress: RateLimiterAbstract;

  constructor(
    private readonly limits: AccountLimits = DEFAULT_ACCOUNT_LIMITS,
    limiter: LimiterFactory = memoryLimiters,
  ) {
    this.failuresPerPair = limiter('signInFailuresPerUsernameAndAddress', limits.signInFailuresPerUsernameAndAddress);
    // A pair waits while it is blocked here; one point, so block() alone decides.
    this.delays = limiter('signInDelays', { points: 1, seconds: LONGEST_SIGN_IN_DELAY_SECONDS });
    this.failuresPerUsername = limiter('signInFailuresPerUsername', limits.signInFailuresPerUsername);
    this.knownAddresses = limiter('knownSignInAddresses', { points: 1, seconds: KNOWN_ADDRESS_SECONDS });
    this.signInsPerAddress = limiter('signInsPerAddress', limits.signInsPerAddress);
    this.signUpsPerAddress = limiter('signUpsPerAddress', limits.signUpsPerAddress);
  }

  /**
   * Before a sign-in is checked: counts it for the address, and refuses a pair that must wait,
   * or a username guessed at from everywhere unless the address is one its owner used.
   */
  async beforeSignIn(address: string, username: string): Promise<void> {
    await spend(this.signInsPerAddress, address, 'Too many sign-in attempts from this address');
    const pair = pairKey(username, address);
    const waiting = await this.delays.get(pair);
    if (waiting && waiting.consumedPoints > 1) {
      throw tooMany('Too many wrong passwords for this username from this address', waiting.msBeforeNext);
    }
    const failures = await this.failuresPerUsername.get(username);
    if (
      failures &&
      failures.consumedPoints >= this.limits.signInFailuresPerUsername.points &&
      !(await this.knownAddresses.get(pair))
    ) {
      throw tooMany('Too many wrong passwords for this username', failures.msBeforeNext);
    }
  }

  /** A wrong password (or no such user: the same answer, so the same count). */
  async signInFailed(address: string, username: string): Promise<void> {
    const pair = pairKey(username, address);
    const [counted] = await Promise.all([this.failuresPerPair.penalty(pair, 1), this.failuresPerUsername.penalty(username, 1)]);
    const delay = signInDelaySeconds(counted.consumedPoints, this.limits.signInFailuresPerUsernameAndAddress.points);
    if (delay > 0) await this.delays.block(pair, delay);
  }

  /** The right password: the pair starts afresh, and the address counts as the owner's from now on. */
  async signInSucceeded(address: string, username: string): Promise<void> {
    const pair = pairKey(username, address);
    await Promise.all([
      this.failuresPerPair.delete(pair),
      this.delays.delete(pair),
      this.knownAddresses.set(pair, 1, KNOWN_ADDRESS_SECONDS),
    ]);
  }

  /**
   * A session of the account connected from `address`: the owner's, for a while. Renewed once
   * half of that has passed, so most connections read the counter and write nothing.
   */
  async addressUsed(address: string, username: string): Promise<void> {
    const pair = pairKey(username, address);
    const known = await this.knownAddresses.get(pair);
    if (known && known.msBeforeNext > (KNOWN_ADDRESS_SECONDS * 1000) / 2) return;
    await this.knownAddresses.set(pair, 1, KNOWN_ADDRESS_SECONDS);
  }

  async beforeSignUp(address: string): Promise<void> {
    await spend(this.signUpsPerAddress, address, 'Too many accounts created from this address');
  }
}

function pairKey(username: string, address: string): string {
  // Usernames are lowercase letters, digits and . _ - only: a space cannot occur in one.
  return `${username.toLowerCase()} ${address}`;
}

/** Takes one point of `key` from `limiter`, or throws 429 `rate_limited` with when to try again. */
export async function spend(limiter: RateLimiterAbstract, key: string, message: string): Promise<void> {
  try {
    await limiter.consume(key, 1);
  } catch (rejection) {
    // The limiter rejects with its result when the points ran out, and with an Error when its store failed.
    if (rejection instanceof RateLimiterRes) throw tooMany(message, rejection.msBeforeNext);
    throw rejection;
  }
}

function tooMany(message: string, msBeforeNext: number): HttpError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HttpError(429, 'rate_limited', `${message}; try again in ${seconds} s`, undefined, seconds);
}
