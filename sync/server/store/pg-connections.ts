import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { fromRow, toParameter } from './pg-text.js';

/**
 * The PostgreSQL store's connections: one pg.Pool, every checkout timed (the metrics turn the
 * waits into a histogram), and the one way the store runs a transaction.
 */

export interface PostgresPoolOptions {
  /** How many connections the pool keeps at most (default 10). */
  poolSize?: number;
  /** Called with how long each checkout waited for a connection, in milliseconds. */
  onPoolWait?: (ms: number) => void;
  /** Called with how many envelopes each append run stores together (1: alone). */
  onEnvelopeRun?: (envelopes: number) => void;
  /** Called with how many receipts each watermark run raises together (1: alone). */
  onReceiptRun?: (receipts: number) => void;
}

/** How long a checkout may wait for a connection before it fails (the database is unreachable). */
const CONNECT_TIMEOUT_MS = 10_000;

export class PostgresConnections {
  readonly pool: pg.Pool;
  private readonly onPoolWait: (ms: number) => void;

  constructor(url: string, options: PostgresPoolOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: withGenericPlans(url),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
    });
    // An idle connection that breaks (the server restarted) is dropped by the pool, and the next
    // checkout opens a new one; without a listener the error would end the process.
    this.pool.on('error', () => undefined);
    this.onPoolWait = options.onPoolWait ?? (() => undefined);
  }

  async connect(): Promise<pg.PoolClient> {
    const started = performance.now();
    const client = await this.pool.connect();
    this.onPoolWait(performance.now() - started);
    return client;
  }

  /** One statement on its own (autocommit): the rows it returns. */
  async query<R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]> {
    const client = await this.connect();
    try {
      return (await sessionOn(client).query<R>(text, values)).rows;
    } finally {
      client.release();
    }
  }
}

/**
 * `url` with the session setting that every statement runs on its generic plan, beside any options
 * the URL gives. A custom plan is made afresh at every call, and PostgreSQL keeps making them for a
 * statement whose generic plan it guesses costlier: every statement over unnest() of a batch's
 * arrays, which it guesses at 10 rows. Planning the envelope facts took several times as long as
 * running them.
 */
function withGenericPlans(url: string): string {
  const parsed = new URL(url);
  const given = parsed.searchParams.get('options');
  parsed.searchParams.set('options', [given, '-c plan_cache_mode=force_generic_plan'].filter(Boolean).join(' '));
  return parsed.toString();
}

/** What the store's statements run on: a connection, with text made safe for PostgreSQL (pg-text.ts). */
export interface Session {
  query<R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>;
}

function sessionOn(client: pg.ClientBase): Session {
  return {
    async query<R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) {
      const name = values ? preparedName(text) : undefined;
      const result = await client.query<R>({
        text,
        ...(name ? { name } : {}),
        ...(values ? { values: values.map(toParameter) } : {}),
      });
      return { rows: result.rows.map(fromRow), rowCount: result.rowCount ?? 0 };
    },
  };
}

/**
 * Distinct statement texts that run as named prepared statements, at most: the store's statements
 * are fixed texts (a few dozen), and one built on the fly beyond the cap still runs, unnamed.
 */
const MAX_PREPARED = 256;
const preparedNames = new Map<string, string>();

/**
 * The name a parameterised statement is prepared under on each connection the first time it runs
 * there. An unnamed statement is parsed and planned on every call; the store's facts queries cost
 * PostgreSQL several times more to plan than to run, and a named one is planned once per
 * connection (a generic plan) after a few calls.
 */
function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `store_${preparedNames.size + 1}`;
    preparedNames.set(text, name);
  }
  return name;
}

const INT8_OID = 20;

/**
 * int8 (BIGINT, COUNT(*)) as a JS number rather than pg's default string: sequence numbers,
 * timestamps and sizes stay far below 2^53, and one that does not is corrupt, not rounded.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`A BIGINT from the database does not fit a JS number: ${text}`);
  return value;
}

function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') return parseInt8;
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}

/** Runs `fn` on a connection of the pool outside any transaction: each statement is its own. */
export async function withSession<T>(connections: PostgresConnections, fn: (session: Session) => Promise<T>): Promise<T> {
  const client = await connections.connect();
  let failure: Error | undefined;
  try {
    return await fn(sessionOn(client));
  } catch (error) {
    // A lost race is an answer, not a broken connection.
    if (!(error instanceof RetryTransaction)) failure = error as Error;
    throw error;
  } finally {
    // A connection whose statement failed may be in a bad state: closed rather than reused.
    client.release(failure);
  }
}

/** A race lost to a writer that has committed since: the transaction is rolled back and run again, and then sees it. */
export class RetryTransaction extends Error {
  constructor(what: string) {
    super(`Lost a race: ${what}`);
    this.name = 'RetryTransaction';
  }
}

/** Attempts before a transaction that keeps losing races gives up (each loss means another writer won). */
const MAX_ATTEMPTS = 5;

export type Isolation = 'READ COMMITTED' | 'REPEATABLE READ READ ONLY';

/**
 * Runs `fn` in one transaction on a connection of the pool: BEGIN, COMMIT when it returns,
 * ROLLBACK when it throws, and the connection always goes back to the pool; after any failure but
 * a lost race it is closed instead (a ROLLBACK that failed may have left it inside a transaction).
 * When `fn` throws RetryTransaction it runs again in a fresh transaction.
 */
export async function inTransaction<T>(
  connections: PostgresConnections,
  fn: (tx: Session) => Promise<T>,
  isolation: Isolation = 'READ COMMITTED',
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await connections.connect();
    let failure: Error | undefined;
    try {
      return await transactionOn(client, () => fn(sessionOn(client)), isolation);
    } catch (error) {
      if (error instanceof RetryTransaction && attempt < MAX_ATTEMPTS) continue;
      failure = error as Error;
      throw error;
    } finally {
      client.release(failure);
    }
  }
}

/** BEGIN … COMMIT around `fn` on a connection the caller holds; ROLLBACK when it throws. */
export async function transactionOn<T>(
  client: pg.ClientBase,
  fn: () => Promise<T>,
  isolation: Isolation = 'READ COMMITTED',
): Promise<T> {
  await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  await client.query('COMMIT');
  return result;
}
