/**
 * The PostgreSQL store's page of the log, beside the contract every store meets: read as a range
 * of the primary key, so that reading at the end of a long conversation costs what reading at its
 * start does.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { EVENTS_PAGE } from '../../../sync/server/store/pg-event-log.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { sqlRows } from '../../support/pg-interleaving.js';
import { freshDatabase } from '../../support/postgres.js';
import { devicesVersionIn, envelopeFor } from '../../support/store-envelopes.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const ALICE = 'alice';
const BOB = 'bob';
const CONVERSATION = directConversationId(ALICE, BOB);

async function aliceAndBob(): Promise<{ url: string; store: PostgresServerStore }> {
  const database = await freshDatabase();
  closers.push(database.drop);
  const store = await openPostgresServerStore(database.url);
  closers.push(() => store.close());
  for (const id of [ALICE, BOB]) {
    await store.createUser({ id, username: id, displayName: id, passwordHash: 'hash', createdAt: 1 });
  }
  const created = await store.createConversation({
    conversationId: CONVERSATION,
    creatorId: ALICE,
    conversation: { kind: 'direct', userId: BOB },
    createdAt: 1,
    maxMembers: 10,
    caps: UNCAPPED,
  });
  expect(created.status).toBe('created');
  return { url: database.url, store };
}

describe('PostgreSQL store: a page of the log', () => {
  /** Buffers the page statement touches, as its generic plan (what a prepared statement settles on) runs. */
  async function pageBuffers(url: string, afterSeq: number): Promise<number> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE page(text, text, bigint, bigint) AS ${EVENTS_PAGE}`);
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE page('${CONVERSATION}', '${BOB}', ${afterSeq}, 2)`,
      );
      const plan = (rows[0] as { 'QUERY PLAN': Array<{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }> })[
        'QUERY PLAN'
      ][0]!.Plan;
      return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
    } finally {
      await client.end();
    }
  }

  it('costs the same at the end of a long conversation as at its start', async () => {
    const { url, store } = await aliceAndBob();
    const count = 3_000;
    const version = await devicesVersionIn(store, CONVERSATION, ALICE);
    let last = 0;
    for (let i = 0; i < count; i++) {
      const stored = await store.appendEnvelope(
        envelopeFor({ conversationId: CONVERSATION, senderId: ALICE, clientId: `m${i}` }, version),
      );
      if (stored.status !== 'stored') throw new Error(`envelope ${i} was not stored: ${JSON.stringify(stored)}`);
      last = stored.event.seq;
    }

    // As autovacuum keeps them on a live database: the plans are judged with the log's statistics.
    await sqlRows(url, 'ANALYZE events');
    const atStart = await pageBuffers(url, 1);
    const atEnd = await pageBuffers(url, last - 2);
    // Two events' worth of buffers, wherever they are: far fewer than the log's own pages (reading from
    // the conversation's start touched 9,099 at its end here).
    const [table] = await sqlRows<{ pages: number }>(url, "SELECT (pg_relation_size('events') / 8192)::int AS pages");
    const pages = table?.pages ?? 0;
    expect(pages).toBeGreaterThan(30);
    expect(atStart).toBeLessThan(pages);
    expect(atEnd).toBeLessThan(pages);
    const page = await store.readEvents({ conversationId: CONVERSATION, userId: BOB, afterSeq: last - 2, limit: 2 });
    expect(page?.events.map((event) => [event.seq, event.kind === 'envelope' ? event.clientId : event.kind])).toEqual([
      [last - 1, `m${count - 2}`],
      [last, `m${count - 1}`],
    ]);
    // Seeding 3,000 events through the store takes most of the time; a busy 2-core machine needs more than vitest's 20 s.
  }, 90_000);
});
