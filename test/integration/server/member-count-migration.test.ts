import { describe, expect, it } from 'vitest';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

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

describe('member count migration', () => {
  it('SQLite version 10 counts the members of every conversation, and counts later changes in and out', () => {
    const db = sqliteMigratedThrough(10, SEED);
    const migrated = db.prepare(COUNTS).all();
    for (const sql of CHANGES) db.exec(sql);
    expect({ migrated, changed: db.prepare(COUNTS).all() }).toEqual(EXPECTED);
  });

  it('PostgreSQL version 7 does the same', async () => {
    const client = await postgresMigratedThrough(7, SEED);
    const migrated = (await client.query(COUNTS)).rows;
    for (const sql of CHANGES) await client.query(sql);
    expect({ migrated, changed: (await client.query(COUNTS)).rows }).toEqual(EXPECTED);
  });
});
