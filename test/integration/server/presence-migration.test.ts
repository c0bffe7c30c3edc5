import { describe, expect, it } from 'vitest';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

/**
 * The presence-privacy migration (SQLite version 7, PostgreSQL version 3): each member's first
 * message since they (last) joined is filled in from the log, so people who had both written
 * before the upgrade keep sharing presence, and nobody else starts to.
 */

/** The same rows in both stores: SQL both understand. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('a', 'a', 'A', 'x', 1), ('b', 'b', 'B', 'x', 1), ('c', 'c', 'C', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at) VALUES
     ('d1', 'direct', 'a b', NULL, 'a', 2, 2, 1), ('g1', 'group', NULL, 'G', 'a', 6, 3, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order) VALUES
     ('d1', 'a', 'member', 0), ('d1', 'b', 'member', 1),
     ('g1', 'a', 'owner', 0), ('g1', 'b', 'member', 1), ('g1', 'c', 'member', 2)`,
  // c was in g1 from the start, left at 4, and came back at 5: what c wrote before counts no more.
  `INSERT INTO member_periods (conversation_id, user_id, from_seq, to_seq) VALUES
     ('d1', 'a', 1, NULL), ('d1', 'b', 1, NULL),
     ('g1', 'a', 1, NULL), ('g1', 'b', 1, NULL), ('g1', 'c', 1, 4), ('g1', 'c', 5, NULL)`,
  // d1: a then b wrote. g1: c wrote before leaving; b only reacted; a wrote twice.
  `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at) VALUES
     ('d1', 1, 'message', 'a', 'd1-a', 'd1-a', 'hi', 1), ('d1', 2, 'message', 'b', 'd1-b', 'd1-b', 'hi', 2),
     ('g1', 1, 'group_created', 'a', 'g1-0', NULL, '', 1), ('g1', 2, 'message', 'a', 'g1-a', 'g1-a', 'hi', 2),
     ('g1', 3, 'message', 'c', 'g1-c', 'g1-c', 'hi', 3), ('g1', 4, 'member_left', 'c', 'g1-l', NULL, '', 4),
     ('g1', 5, 'members_added', 'a', 'g1-r', NULL, '', 5), ('g1', 6, 'reaction', 'b', 'g1-x', 'g1-a', '', 6),
     ('g1', 7, 'message', 'a', 'g1-a2', 'g1-a2', 'again', 7)`,
];

const EXPECTED = [
  { conversation_id: 'd1', user_id: 'a', first_message_seq: 1 },
  { conversation_id: 'd1', user_id: 'b', first_message_seq: 2 },
  { conversation_id: 'g1', user_id: 'a', first_message_seq: 2 },
  { conversation_id: 'g1', user_id: 'b', first_message_seq: null },
  { conversation_id: 'g1', user_id: 'c', first_message_seq: null },
];

const FIRSTS = `SELECT conversation_id, user_id, first_message_seq FROM members ORDER BY conversation_id, user_id`;

describe('presence privacy migration', () => {
  it('SQLite version 7 fills in who wrote since they joined, and adds online_hidden', () => {
    const db = sqliteMigratedThrough(7, SEED);
    expect(db.prepare(FIRSTS).all()).toEqual(EXPECTED);
    db.prepare(`INSERT INTO online_hidden (user_id) VALUES ('a')`).run();
    expect(db.prepare('SELECT user_id FROM online_hidden').all()).toEqual([{ user_id: 'a' }]);
  });

  it('PostgreSQL version 3 does the same', async () => {
    const client = await postgresMigratedThrough(3, SEED);
    const { rows } = await client.query(FIRSTS);
    expect(
      rows.map((row: Record<string, unknown>) => ({
        ...row,
        first_message_seq: row.first_message_seq === null ? null : Number(row.first_message_seq),
      })),
    ).toEqual(EXPECTED);
    await client.query(`INSERT INTO online_hidden (user_id) VALUES ('a')`);
    expect((await client.query('SELECT user_id FROM online_hidden')).rows).toEqual([{ user_id: 'a' }]);
  });
});
