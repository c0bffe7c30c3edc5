/**
 * For tests of the PostgreSQL store's paths without a transaction: a session whose second
 * statement waits until something else has run (another writer's commit, a deleted upload), so a
 * race the store must survive happens every time instead of by chance; and one-off statements on a
 * connection of their own, to look at what was stored.
 */
import pg from 'pg';
import { PostgresConnections, withSession, type Session } from '../../sync/server/store/pg-connections.js';

/**
 * Runs `append` on a pooled session of its own on `url`, whose statements after the first (the
 * facts) each run `between` before they go out. The pool is closed when `append` ends.
 */
export async function withFactsThen<T>(
  url: string,
  between: () => Promise<unknown>,
  append: (session: Session) => Promise<T>,
): Promise<T> {
  const connections = new PostgresConnections(url);
  try {
    return await withSession(connections, (session) => {
      let factsRead = false;
      const interleaved: Session = {
        async query(text, values) {
          if (factsRead) await between();
          const result = await session.query(text, values);
          factsRead = true;
          return result as never;
        },
      };
      return append(interleaved);
    });
  } finally {
    await connections.pool.end();
  }
}

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
