import type { Db } from '../../node/sqlite.js';
import type pg from 'pg';
import { escapeText, toParameter } from './pg-text.js';

/**
 * The tables migrate-store copies, read from both schemas side by side, and the copy of one table
 * in batches. PostgreSQL's schema (pg-migrations.ts) is SQLite's (sqlite-migrations.ts) in its own
 * types, so the columns are found by name and each value converted by the PostgreSQL column's type.
 */

/**
 * Every table of the server's data, parents before the tables whose foreign keys point at them.
 * Not copied: schema_migrations (each database keeps its own) and cluster_* (the PostgreSQL nodes'
 * own heartbeats, presence and pushes, which a SQLite server never had).
 */
export const COPIED_TABLES = [
  'users',
  'sessions',
  'conversations',
  'members',
  'member_periods',
  'events',
  'uploads',
  'attachment_refs',
  'settings',
  'blocks',
  'block_watermarks',
  'hidden_events',
  'group_block_watermarks',
  'member_additions',
  'online_hidden',
  'accepted_requests',
  'group_adds_restricted',
  'identity_keys',
  'device_keys',
  'one_time_prekeys',
  'device_inbox',
  'inbox_sends',
  'key_backups',
] as const;

// rate_limits: sign-in counts the nodes share (account-limits.ts); one SQLite node keeps them in memory.
// plaintext_settings, reactions: what a server held in the clear before end-to-end encryption (the
// reactions that held, written by reaction events); migrate-store refuses a database that still
// holds any (migrate-store.ts), so there is never anything to copy.
const NOT_COPIED = /^(schema_migrations|rate_limits|plaintext_settings|reactions|cluster_.*)$/;

/** Rows per INSERT: thousands, so a log of millions of events takes a few thousand round trips. */
const BATCH_ROWS = 5_000;
/** ...unless their text adds up to this many characters first (long messages), to keep each statement a few MB. */
const BATCH_CHARS = 4_000_000;
/** A progress line per this many rows of a large table. */
const PROGRESS_ROWS = 100_000;

type PostgresType = 'text' | 'bigint' | 'integer' | 'boolean' | 'jsonb';

interface ColumnPlan {
  name: string;
  type: PostgresType;
}

export interface TablePlan {
  name: string;
  columns: ColumnPlan[];
}

/**
 * The copy plan: for each table of COPIED_TABLES, its columns with their PostgreSQL types. Throws
 * when either schema has a table or a column the other lacks: a schema changed on one side only,
 * and copying would lose it.
 */
export async function planTables(source: Db, target: pg.ClientBase): Promise<TablePlan[]> {
  const { rows } = await target.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const sqliteTables = (
    source.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]
  )
    .map((row) => row.name)
    .filter((name) => !NOT_COPIED.test(name));
  const postgresTables = [...new Set(rows.map((row) => row.table_name))].filter((name) => !NOT_COPIED.test(name));
  for (const [side, tables] of [
    ['SQLite', sqliteTables],
    ['PostgreSQL', postgresTables],
  ] as const) {
    const unknown = tables.filter((name) => !(COPIED_TABLES as readonly string[]).includes(name));
    const missing = COPIED_TABLES.filter((name) => !tables.includes(name));
    if (unknown.length > 0 || missing.length > 0) {
      throw new Error(
        `The ${side} schema does not have the tables migrate-store copies (unknown: ${unknown.join(', ') || 'none'}; ` +
          `missing: ${missing.join(', ') || 'none'}); migrate-store-tables.ts must learn the change`,
      );
    }
  }
  return COPIED_TABLES.map((table) => {
    const columns = rows.filter((row) => row.table_name === table).map((row) => ({ name: row.column_name, type: row.data_type }));
    const sqliteColumns = (source.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map(
      (row) => row.name,
    );
    const names = columns.map((column) => column.name);
    if (names.length !== sqliteColumns.length || !names.every((name) => sqliteColumns.includes(name))) {
      throw new Error(
        `${table} has the columns (${sqliteColumns.join(', ')}) in SQLite but (${names.join(', ')}) in PostgreSQL; ` +
          'migrate-store-tables.ts must learn the change',
      );
    }
    return {
      name: table,
      columns: columns.map(({ name, type }) => {
        if (!isPostgresType(type)) throw new Error(`${table}.${name} has the type ${type}, which migrate-store cannot copy`);
        return { name, type };
      }),
    };
  });
}

function isPostgresType(type: string): type is PostgresType {
  return ['text', 'bigint', 'integer', 'boolean', 'jsonb'].includes(type);
}

/** What toPostgres answers for a value the PostgreSQL store could never have written. */
const INVALID = Symbol('invalid');

/**
 * A SQLite value as the PostgreSQL store would have written it: text escaped like every string it
 * stores (pg-text.ts: PostgreSQL cannot hold U+0000), integers 0/1 as booleans, JSON text as jsonb
 * with its strings escaped too. INVALID for anything else: the copy stops rather than guess.
 */
function toPostgres(value: unknown, type: PostgresType): unknown {
  if (value === null) return null;
  switch (type) {
    case 'text':
      return typeof value === 'string' ? escapeText(value) : INVALID;
    case 'bigint':
    case 'integer':
      return Number.isSafeInteger(value) ? value : INVALID;
    case 'boolean':
      return value === 0 || value === 1 ? value === 1 : INVALID;
    case 'jsonb':
      // Both JSON columns (events.payload, settings.setting) hold objects.
      try {
        const parsed: unknown = JSON.parse(value as string);
        return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? toParameter(parsed) : INVALID;
      } catch {
        return INVALID;
      }
  }
}

/**
 * Copies every row of `table` from SQLite (inside the caller's read transaction) into PostgreSQL
 * (inside the caller's transaction): one INSERT ... SELECT FROM unnest(column arrays) per batch.
 * Returns the number of rows copied.
 */
export async function copyTable(
  source: Db,
  target: pg.ClientBase,
  table: TablePlan,
  totalRows: number,
  log: (line: string) => void,
): Promise<number> {
  const { columns } = table;
  const quoted = columns.map((column) => target.escapeIdentifier(column.name));
  const arrays = columns.map((column, index) => `$${index + 1}::${column.type}[]`);
  // OVERRIDING SYSTEM VALUE: an identity column keeps the copied value (its sequence is moved past it afterwards).
  const insert = `INSERT INTO ${target.escapeIdentifier(table.name)} (${quoted.join(', ')}) OVERRIDING SYSTEM VALUE
                  SELECT * FROM unnest(${arrays.join(', ')})`;
  // Column names come from both schemas (checked equal by planTables), never from data.
  const select = source.prepare(`SELECT ${columns.map((column) => `"${column.name}"`).join(', ')} FROM "${table.name}"`);
  let batch: unknown[][] = columns.map(() => []);
  let batchRows = 0;
  let batchChars = 0;
  let copied = 0;
  // One INSERT in flight while the next batch is read and converted, so both databases work at once.
  let inFlight: { done: Promise<unknown>; rows: number } | undefined;
  const settle = async () => {
    if (!inFlight) return;
    await inFlight.done;
    copied += inFlight.rows;
    if (Math.floor(copied / PROGRESS_ROWS) > Math.floor((copied - inFlight.rows) / PROGRESS_ROWS)) {
      log(`${table.name}: ${copied} of ${totalRows} rows`);
    }
    inFlight = undefined;
  };
  const send = async () => {
    await settle();
    if (batchRows === 0) return;
    const done = target.query(insert, batch);
    // Awaited by the next settle; should the copy stop first, its failure must not go unhandled.
    done.catch(() => undefined);
    inFlight = { done, rows: batchRows };
    batch = columns.map(() => []);
    batchRows = 0;
    batchChars = 0;
  };
  for (const row of select.raw(true).iterate() as Iterable<unknown[]>) {
    for (let index = 0; index < columns.length; index++) {
      const { name, type } = columns[index]!;
      const value = toPostgres(row[index], type);
      if (value === INVALID)
        throw new Error(`${table.name}.${name} holds ${JSON.stringify(row[index])}, which is not a valid ${type}`);
      if (typeof value === 'string') batchChars += value.length;
      batch[index]!.push(value);
    }
    batchRows += 1;
    if (batchRows >= BATCH_ROWS || batchChars >= BATCH_CHARS) await send();
  }
  await send();
  await settle();
  return copied;
}
