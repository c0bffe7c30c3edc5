import { describe, expect, it, onTestFinished } from 'vitest';
import { openPostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { describeEachStore } from '../../support/store-backends.js';
import { appendTestEnvelope } from '../../support/store-envelopes.js';
import {
  postgresMigratedThrough,
  postgresSeededBefore,
  sqliteMigratedThrough,
  sqliteSeededBefore,
} from '../../support/store-migrations.js';

/**
 * The migrations for disappearing messages (SQLite versions 19 and 20, PostgreSQL 16 and 17): every
 * event from before has no timer and no read stamp, the sweep's picks get their partial indexes, and
 * a store opened on such a database never purges an envelope from before, but purges one sent with
 * a timer since.
 */

/** The same rows in both stores: SQL both understand. A and B in a direct conversation; B has read A's envelope. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ('a', 'a', 'A', 'x', 1), ('b', 'b', 'B', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at)
     VALUES ('d', 'direct', 'a b', NULL, 'a', 1, 2, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES
     ('d', 'a', 'member', 0, 1, 1), ('d', 'b', 'member', 1, 1, 1)`,
  `INSERT INTO member_periods (conversation_id, user_id, from_seq, to_seq) VALUES ('d', 'a', 1, NULL), ('d', 'b', 1, NULL)`,
  `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at, deleted, sender_device, ciphertext)
     VALUES ('d', 1, 'envelope', 'a', 'm1', 'm1', '', 5, FALSE, 1, 'Y2lwaGVy')`,
];

const COLUMNS = `SELECT seq, expires_in_ms, all_read_at FROM events ORDER BY seq`;
const BEFORE = [{ seq: 1, expires_in_ms: null, all_read_at: null }];
const old = {
  kind: 'envelope',
  conversationId: 'd',
  seq: 1,
  senderId: 'a',
  senderDevice: 1,
  clientId: 'm1',
  ciphertext: 'Y2lwaGVy',
  attachments: [],
  deleted: false,
  sentAt: 5,
};

describe('disappearing messages migration', () => {
  it('SQLite version 19 leaves every event without a timer', () => {
    const db = sqliteMigratedThrough(19, SEED);
    expect(db.prepare(COLUMNS).all()).toEqual(BEFORE);
  });

  it('PostgreSQL version 16 does the same', async () => {
    const client = await postgresMigratedThrough(16, SEED);
    // BIGINT columns come as text from pg's own client.
    const { rows } = await client.query<{ seq: string }>(COLUMNS);
    expect(rows.map((row) => ({ ...row, seq: Number(row.seq) }))).toEqual(BEFORE);
  });

  const SWEEP_INDEXES = ['events_expiring_read_due', 'events_expiring_stored_due', 'events_expiring_unread'];

  it("SQLite version 20 gives each of the sweep's picks its own index, in place of events_expiring", () => {
    const db = sqliteMigratedThrough(20, SEED);
    const indexes = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'events_expiring%' ORDER BY name`)
      .all();
    expect(indexes).toEqual(SWEEP_INDEXES.map((name) => ({ name })));
    expect(db.prepare(COLUMNS).all()).toEqual(BEFORE);
  });

  it('PostgreSQL version 17 does the same', async () => {
    const client = await postgresMigratedThrough(17, SEED);
    const { rows } = await client.query(
      `SELECT indexname FROM pg_indexes WHERE indexname LIKE 'events_expiring%' ORDER BY indexname`,
    );
    expect(rows).toEqual(SWEEP_INDEXES.map((indexname) => ({ indexname })));
  });
});

describeEachStore('a store on a database from before disappearing messages', (backend) => {
  it('never purges an envelope from before, and purges one sent with a timer since', async () => {
    const store: ServerStore =
      backend.name === 'sqlite'
        ? openSqliteServerStore(sqliteSeededBefore(19, SEED))
        : await openPostgresServerStore(await postgresSeededBefore(16, SEED));
    onTestFinished(() => store.close());
    const timed = await appendTestEnvelope(store, {
      conversationId: 'd',
      senderId: 'a',
      clientId: 'm2',
      expiresInMs: 30_000,
      sentAt: 10,
    });
    expect(timed).toMatchObject({ status: 'stored', event: { seq: 2, expiresInMs: 30_000 } });
    await store.raiseWatermark({ conversationId: 'd', userId: 'b', kind: 'read', seq: 2 });

    expect(await store.purgeExpiredEnvelopes(20, 10)).toEqual({ stamped: 1, purged: 0 });
    expect(await store.purgeExpiredEnvelopes(20 + 30_000, 10)).toEqual({ stamped: 0, purged: 1 });
    const page = await store.readEvents({ conversationId: 'd', userId: 'b', afterSeq: 0, limit: 10 });
    expect(page?.events).toEqual([old, expect.objectContaining({ seq: 2, deleted: true, ciphertext: '', expiresInMs: 30_000 })]);
  });
});
