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
