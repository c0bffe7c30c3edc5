import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../sync/node/sqlite.js';
import { migratePostgres, postgresMigrations } from '../../../sync/server/store/pg-migrations.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { freshDatabase } from '../../support/postgres.js';

/**
 * The migration that makes blocks cover groups (SQLite version 9, PostgreSQL version 6): no event
 * from before is hidden from anyone in a group, and for every block that stands, the blocked person
 * is shown the blocker's watermarks in each group they share as they are at the migration.
 */

/** The same rows in both stores: SQL both understand. a blocked b; they share group g and direct d; c blocks nobody. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('a', 'a', 'A', 'x', 1), ('b', 'b', 'B', 'x', 1), ('c', 'c', 'C', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at) VALUES
     ('g', 'group', NULL, 'G', 'c', 5, 3, 1), ('h', 'group', NULL, 'H', 'c', 5, 2, 1), ('d', 'direct', 'a b', NULL, 'a', 5, 2, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES
     ('g', 'c', 'owner', 0, 5, 5), ('g', 'a', 'member', 1, 4, 3), ('g', 'b', 'member', 2, 5, 5),
     ('h', 'c', 'owner', 0, 5, 5), ('h', 'a', 'member', 1, 2, 2),
     ('d', 'a', 'member', 0, 5, 5), ('d', 'b', 'member', 1, 5, 5)`,
  `INSERT INTO blocks (blocker_id, blocked_id) VALUES ('a', 'b')`,
];

const FROZEN = `SELECT viewer_id, conversation_id, user_id, delivered_seq, read_seq FROM group_block_watermarks
                ORDER BY viewer_id, conversation_id, user_id`;
const HIDDEN = `SELECT conversation_id, seq, user_id FROM hidden_events`;

const EXPECTED = {
  frozen: [{ viewer_id: 'b', conversation_id: 'g', user_id: 'a', delivered_seq: 4, read_seq: 3 }],
  hidden: [],
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('group blocks migration', () => {
  it("SQLite version 9 hides nothing from before and keeps each blocker's group watermarks for the person they block", () => {
    const dir = mkdtempSync(join(tmpdir(), 'group-blocks-migration-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'server.sqlite');
    const before = serverMigrations.findIndex((migration) => migration.version === 9);
    expect(before).toBeGreaterThan(0);
    const old = openDatabase(path, serverMigrations.slice(0, before));
    for (const sql of SEED) old.exec(sql);
    old.close();

    const db: Db = openDatabase(path, serverMigrations);
    try {
      expect({ frozen: db.prepare(FROZEN).all(), hidden: db.prepare(HIDDEN).all() }).toEqual(EXPECTED);
    } finally {
      db.close();
    }
  });

  it('PostgreSQL version 6 does the same', async () => {
    const database = await freshDatabase();
    cleanups.push(database.drop);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    cleanups.unshift(() => client.end());
    const before = postgresMigrations.findIndex((migration) => migration.version === 6);
    expect(before).toBeGreaterThan(0);
    await migratePostgres(client, postgresMigrations.slice(0, before));
    for (const sql of SEED) await client.query(sql);

    await migratePostgres(client);
    const frozen = (await client.query(FROZEN)).rows.map((row: Record<string, unknown>) => ({
      ...row,
      delivered_seq: Number(row.delivered_seq),
      read_seq: Number(row.read_seq),
    }));
    expect({ frozen, hidden: (await client.query(HIDDEN)).rows }).toEqual(EXPECTED);
  });
});
