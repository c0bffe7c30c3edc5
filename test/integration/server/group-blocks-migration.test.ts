import { describe, expect, it } from 'vitest';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

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

describe('group blocks migration', () => {
  it("SQLite version 9 hides nothing from before and keeps each blocker's group watermarks for the person they block", () => {
    const db = sqliteMigratedThrough(9, SEED);
    expect({ frozen: db.prepare(FROZEN).all(), hidden: db.prepare(HIDDEN).all() }).toEqual(EXPECTED);
  });

  it('PostgreSQL version 6 does the same', async () => {
    const client = await postgresMigratedThrough(6, SEED);
    const frozen = (await client.query(FROZEN)).rows.map((row: Record<string, unknown>) => ({
      ...row,
      delivered_seq: Number(row.delivered_seq),
      read_seq: Number(row.read_seq),
    }));
    expect({ frozen, hidden: (await client.query(HIDDEN)).rows }).toEqual(EXPECTED);
  });
});
