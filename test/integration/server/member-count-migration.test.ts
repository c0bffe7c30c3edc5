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
 * The migration that stores each conversation's member count (SQLite version 10, PostgreSQL
 * version 7): every conversation from before is counted, and members added or removed afterwards,
 * a statement of several at a time included, are counted in and out.
 */

/** The same rows in both stores: SQL both understand. Group g has three members, direct d two, group e none left. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('a', 'a', 'A', 'x', 1), ('b', 'b', 'B', 'x', 1), ('c', 'c', 'C', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at) VALUES
     ('g', 'group', NULL, 'G', 'c', 1, 3, 1), ('e', 'group', NULL, 'E', 'c', 2, 1, 1), ('d', 'direct', 'a b', NULL, 'a', 1, 2, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES
     ('g', 'c', 'owner', 0, 1, 1), ('g', 'a', 'member', 1, 1, 1), ('g', 'b', 'member', 2, 1, 1),
     ('d', 'a', 'member', 0, 1, 1), ('d', 'b', 'member', 1, 1, 1)`,
];

/** After the migration: two joining e in one statement, one leaving d. */
const CHANGES = [
  `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES
     ('e', 'a', 'owner', 1, 2, 2), ('e', 'b', 'member', 2, 2, 2)`,
  `DELETE FROM members WHERE conversation_id = 'd' AND user_id = 'b'`,
];

const COUNTS = `SELECT id, member_count FROM conversations ORDER BY id`;

const EXPECTED = {
  migrated: [
    { id: 'd', member_count: 2 },
    { id: 'e', member_count: 0 },
    { id: 'g', member_count: 3 },
  ],
  changed: [
    { id: 'd', member_count: 1 },
    { id: 'e', member_count: 2 },
    { id: 'g', member_count: 3 },
  ],
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('member count migration', () => {
  it('SQLite version 10 counts the members of every conversation, and counts later changes in and out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'member-count-migration-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'server.sqlite');
    const before = serverMigrations.findIndex((migration) => migration.version === 10);
    expect(before).toBeGreaterThan(0);
    const old = openDatabase(path, serverMigrations.slice(0, before));
    for (const sql of SEED) old.exec(sql);
    old.close();

    const db: Db = openDatabase(path, serverMigrations);
    try {
      const migrated = db.prepare(COUNTS).all();
      for (const sql of CHANGES) db.exec(sql);
      expect({ migrated, changed: db.prepare(COUNTS).all() }).toEqual(EXPECTED);
    } finally {
      db.close();
    }
  });

  it('PostgreSQL version 7 does the same', async () => {
    const database = await freshDatabase();
    cleanups.push(database.drop);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    cleanups.unshift(() => client.end());
    const before = postgresMigrations.findIndex((migration) => migration.version === 7);
    expect(before).toBeGreaterThan(0);
    await migratePostgres(client, postgresMigrations.slice(0, before));
    for (const sql of SEED) await client.query(sql);

    await migratePostgres(client);
    const migrated = (await client.query(COUNTS)).rows;
    for (const sql of CHANGES) await client.query(sql);
    expect({ migrated, changed: (await client.query(COUNTS)).rows }).toEqual(EXPECTED);
  });
});
