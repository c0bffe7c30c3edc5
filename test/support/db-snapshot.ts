/**
 * Every row of every table of a SQLite database, read through a separate read-only handle, so a
 * test can show that something changed nothing stored:
 *
 *   const db = openSnapshotReader(join(server.dataDir, SERVER_DATABASE_FILE));
 *   const before = db.snapshot();
 *   ... hostile input ...
 *   expect(db.snapshot()).toEqual(before);
 *
 * Both databases run in WAL mode: the reader sees every committed write and never blocks the
 * writer. Values are read as SQLite holds them: text as hex of its bytes (so a stored byte
 * sequence that is not valid UTF-8 cannot hide behind a U+FFFD), everything else as is.
 */
import Database from 'better-sqlite3-multiple-ciphers';

/** Table name → its rows, each as a JSON string, sorted (so row order never matters). */
export type DbSnapshot = Record<string, string[]>;

export interface SnapshotReader {
  snapshot(): DbSnapshot;
  close(): void;
}

export function openSnapshotReader(file: string): SnapshotReader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const listTables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  // One statement per table, made once: a fuzz test takes thousands of snapshots of one schema.
  const readers = new Map<string, Database.Statement>();
  const readerOf = (table: string): Database.Statement => {
    const known = readers.get(table);
    if (known) return known;
    const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name);
    const select = columns
      .map((column) => {
        const quoted = `"${column.replaceAll('"', '""')}"`;
        return `CASE typeof(${quoted}) WHEN 'text' THEN 'x' || hex(${quoted}) ELSE ${quoted} END AS ${quoted}`;
      })
      .join(', ');
    const reader = db.prepare(`SELECT ${select} FROM "${table.replaceAll('"', '""')}"`);
    readers.set(table, reader);
    return reader;
  };
  return {
    snapshot() {
      const snapshot: DbSnapshot = {};
      // One read transaction: the tables are seen at one moment.
      db.transaction(() => {
        const tables = (listTables.all() as { name: string }[]).map((row) => row.name);
        // A table made or changed since (a migration) is read afresh.
        if (tables.length !== readers.size || tables.some((table) => !readers.has(table))) readers.clear();
        for (const table of tables) {
          snapshot[table] = readerOf(table)
            .all()
            .map((row) => JSON.stringify(row))
            .sort();
        }
      })();
      return snapshot;
    },
    close() {
      db.close();
    },
  };
}
