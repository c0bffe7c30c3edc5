/**
 * The PostgreSQL side of db-snapshot.ts: every row of every table of a database, read through a
 * connection of its own, so a test can show that something changed nothing stored.
 *
 * One statement reads every table, so they are seen at one moment. Rows are their JSON text
 * (row_to_json), which keeps every value exactly: PostgreSQL text cannot hold bytes that are not
 * UTF-8, and bytea comes out as hex.
 */
import pg from 'pg';
import type { DbSnapshot } from './db-snapshot.js';

export interface PostgresSnapshotReader {
  snapshot(): Promise<DbSnapshot>;
  close(): Promise<void>;
}

export async function openPostgresSnapshotReader(url: string): Promise<PostgresSnapshotReader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Read once: the server migrated the schema before the reader opened, and tests snapshot
  // hundreds of times (fuzz runs), so the statement is also prepared once.
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const everyRow = tables
    .map(({ name }, index) => `SELECT ${index} AS t, row_to_json(r)::text AS row FROM ${client.escapeIdentifier(name)} r`)
    .join(' UNION ALL ');
  return {
    async snapshot() {
      const snapshot: DbSnapshot = Object.fromEntries(tables.map(({ name }) => [name, [] as string[]]));
      if (tables.length === 0) return snapshot;
      const { rows } = await client.query<{ t: number; row: string }>({ name: 'snapshot', text: everyRow });
      for (const { t, row } of rows) snapshot[tables[t]!.name]!.push(row);
      for (const table of Object.values(snapshot)) table.sort();
      return snapshot;
    },
    close: () => client.end(),
  };
}
