/**
 * A full disk, as SQLite reports it, for the databases under one folder: while `fill()` holds,
 * every statement that writes fails with SQLITE_FULL ("database or disk is full") before it
 * runs; reads go on. Patches better-sqlite3's Statement.run for the test's process (the server
 * running in the same process is under another folder and unaffected); `restore()` undoes it.
 */
import Database from 'better-sqlite3-multiple-ciphers';

export interface FullDisk {
  fill(): void;
  free(): void;
  /** How many writes were refused so far. */
  readonly refused: number;
  restore(): void;
}

export function simulateFullDisk(folder: string): FullDisk {
  const probe = new Database(':memory:');
  const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Database.Statement;
  probe.close();
  // Taken off the prototype as it is, to be put back by restore().
  const originalRun: unknown = Object.getOwnPropertyDescriptor(statementPrototype, 'run')?.value;
  if (typeof originalRun !== 'function') throw new Error('better-sqlite3 statements have no run method to wrap');
  let full = false;
  let refused = 0;
  statementPrototype.run = function run(this: Database.Statement, ...params: unknown[]) {
    if (full && !this.reader && this.database.name.startsWith(folder)) {
      refused++;
      throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    }
    return Reflect.apply(originalRun, this, params) as Database.RunResult;
  };
  return {
    fill: () => void (full = true),
    free: () => void (full = false),
    get refused() {
      return refused;
    },
    restore: () => {
      Object.defineProperty(statementPrototype, 'run', { value: originalRun, writable: true, configurable: true });
    },
  };
}
