/**
 * For tests of the PostgreSQL store: one-off statements on a connection of their own, to look at
 * what was stored.
 */
import pg from 'pg';

/** One statement on a connection of its own: the rows it returns. */
export async function sqlRows<R>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as R[];
  } finally {
    await client.end();
  }
}

/**
 * Takes the row locks `lockingStatement` takes, in a transaction on a connection of its own, and
 * holds them until the returned release is called (idempotent: a test may release early, and its
 * clean-up again).
 */
export async function holdRows(url: string, lockingStatement: string, values: unknown[]): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(lockingStatement, values);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await client.query('COMMIT');
    await client.end();
  };
}
