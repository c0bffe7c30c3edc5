import Database from 'better-sqlite3-multiple-ciphers';
import { applyDatabaseKey } from './database-key.js';

export type Db = Database.Database;

/**
 * One numbered schema step. `version` is what PRAGMA user_version reads after it ran; the list
 * must be 1, 2, 3, … with no gaps. A migration is never edited once released: add the next one.
 */
export interface Migration {
  version: number;
  description: string;
  /**
   * Set for a step that rebuilds a table other tables point at. SQLite's documented procedure for
   * that: foreign keys off (it cannot be switched inside a transaction, so around it), the step,
   * then `foreign_key_check` inside the same transaction, so a broken reference rolls it all back.
   */
  rebuildsReferencedTables?: boolean;
  up(db: Db): void;
}

export class DatabaseFromTheFutureError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `${path} has schema version ${found}, but this build only knows up to ${supported}. ` +
        'It was written by a newer version of the app; refusing to open it so nothing is lost.',
    );
    this.name = 'DatabaseFromTheFutureError';
  }
}

export interface OpenOptions {
  /** Path to a better-sqlite3 native binding built for another ABI (Electron); see README. */
  nativeBinding?: string;
  readonly?: boolean;
  /** 32 random bytes: the file is encrypted with them (SQLCipher); see database-key.ts. */
  key?: Uint8Array;
  /** Deleted content is overwritten with zeros instead of lingering in free pages. */
  secureDelete?: boolean;
}

/** Opens (creating if needed) a database in WAL mode and brings its schema up to date. */
export function openDatabase(path: string, migrations: readonly Migration[], options: OpenOptions = {}): Db {
  const db = new Database(path, {
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    ...(options.readonly ? { readonly: true } : {}),
  });
  try {
    // The key comes before any other statement: nothing can be read without it.
    if (options.key) applyDatabaseKey(db, options.key);
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash or power loss
    // can roll back the last transactions, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (options.secureDelete) db.pragma('secure_delete = ON');
    migrate(db, path, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Runs each pending migration in its own transaction together with the user_version bump. */
export function migrate(db: Db, path: string, migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migration list is broken: position ${index + 1} holds version ${migration.version}`);
    }
  });
  const latest = migrations.length;
  const current = schemaVersion(db);
  if (current > latest) throw new DatabaseFromTheFutureError(path, current, latest);
  for (const migration of migrations.slice(current)) {
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    if (migration.rebuildsReferencedTables) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        migration.up(db);
        if (migration.rebuildsReferencedTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) {
            throw new Error(`Migration ${migration.version} left ${broken.length} broken references; rolled back`);
          }
        }
        db.pragma(`user_version = ${migration.version}`);
      })();
    } finally {
      if (migration.rebuildsReferencedTables) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    }
  }
}

/**
 * `LIMIT` with a bound row count, for SQL run often. SQLite (3.53 here) reads the value of a bare
 * `LIMIT ?` while planning, so each binding, even of the same value, makes the next run prepare
 * the statement again: the outbox's next rows, read at every send, took 37 µs that way and 3 µs
 * with the count written in. As an expression the count is only evaluated when the statement runs.
 */
export const BOUND_LIMIT = 'LIMIT (? + 0)';

const statementCaches = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * better-sqlite3 compiles SQL on every prepare(); hot paths (applying thousands of events during a
 * catch-up) reuse the compiled statement instead. Keyed by the database and the SQL text.
 */
export function cachedStatement(db: Db, sql: string): Database.Statement {
  return cached(db, sql, sql, false);
}

/**
 * The same, for a statement that returns each row's first column alone (better-sqlite3's pluck).
 * Cached apart from `cachedStatement`'s: pluck() changes a statement for every later user, so one
 * plucked use of SQL text that another caller reads as rows would hand that caller bare values.
 */
export function cachedValueStatement(db: Db, sql: string): Database.Statement {
  return cached(db, `pluck:${sql}`, sql, true);
}

function cached(db: Db, key: string, sql: string, pluck: boolean): Database.Statement {
  let cache = statementCaches.get(db);
  if (!cache) {
    cache = new Map();
    statementCaches.set(db, cache);
  }
  let statement = cache.get(key);
  if (!statement) {
    statement = pluck ? db.prepare(sql).pluck() : db.prepare(sql);
    cache.set(key, statement);
  }
  return statement;
}
