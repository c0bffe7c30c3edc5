import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { HttpError } from './http-body.js';

/** At most `points` within `seconds`. */
export interface LimitWindow {
  points: number;
  seconds: number;
}

/** How often sign-in and sign-up may be tried (rate-limiter-flexible counts them). */
export interface AccountLimits {
  /** Wrong passwords for one username, from anywhere: guessing one person's password. A success clears them. */
  signInFailuresPerUsername: LimitWindow;
  /** Sign-in attempts from one address, right or wrong: guessing many people's passwords. */
  signInsPerAddress: LimitWindow;
  /** Accounts created from one address. */
  signUpsPerAddress: LimitWindow;
}

export const DEFAULT_ACCOUNT_LIMITS: AccountLimits = {
  signInFailuresPerUsername: { points: 10, seconds: 15 * 60 },
  signInsPerAddress: { points: 60, seconds: 15 * 60 },
  signUpsPerAddress: { points: 20, seconds: 60 * 60 },
};

/** Makes the counter for one kind of attempt: in memory on one node (a shared store across nodes). */
export type LimiterFactory = (name: keyof AccountLimits, window: LimitWindow) => RateLimiterAbstract;

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
      clearExpiredByTimeout: name === 'signInFailuresPerUsername',
      keyPrefix: name,
      points: window.points,
      duration: window.seconds,
    });
}

/**
 * The account endpoints' guard against guessing and mass sign-up: each check either passes or
 * throws a 429 `rate_limited` HttpError that says when to try again (Retry-After).
 */
export class AccountGuard {
  private readonly failuresPerUsername: RateLimiterAbstract;
  private readonly signInsPerAddress: RateLimiterAbstract;
  private readonly signUpsPerAddress: RateLimiterAbstract;

  constructor(
    private readonly limits: AccountLimits = DEFAULT_ACCOUNT_LIMITS,
    limiter: LimiterFactory = memoryLimiters,
  ) {
    this.failuresPerUsername = limiter('signInFailuresPerUsername', limits.signInFailuresPerUsername);
    this.signInsPerAddress = limiter('signInsPerAddress', limits.signInsPerAddress);
    this.signUpsPerAddress = limiter('signUpsPerAddress', limits.signUpsPerAddress);
  }

  /** Before a sign-in is checked: counts it for the address, and refuses a username that is locked. */
  async beforeSignIn(address: string, username: string): Promise<void> {
    await spend(this.signInsPerAddress, address, 'Too many sign-in attempts from this address');
    const failures = await this.failuresPerUsername.get(username);
    if (failures && failures.consumedPoints >= this.limits.signInFailuresPerUsername.points) {
      throw tooMany('Too many wrong passwords for this username', failures.msBeforeNext);
    }
  }

  /** A wrong password (or no such user: the same answer, so the same count). */
  async signInFailed(username: string): Promise<void> {
    await this.failuresPerUsername.penalty(username, 1);
  }

  async signInSucceeded(username: string): Promise<void> {
    await this.failuresPerUsername.delete(username);
  }

  async beforeSignUp(address: string): Promise<void> {
    await spend(this.signUpsPerAddress, address, 'Too many accounts created from this address');
  }
}

async function spend(limiter: RateLimiterAbstract, key: string, message: string): Promise<void> {
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
