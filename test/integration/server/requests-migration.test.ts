import { describe, expect, it } from 'vitest';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

/**
 * The message-requests migration (SQLite version 8, PostgreSQL version 5): every membership from
 * before came from no request, and the tables kept with the 'request' and 'group_adds' registers
 * are filled from the registers already stored.
 */

/** The same rows in both stores: SQL both understand. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('a', 'a', 'A', 'x', 1), ('b', 'b', 'B', 'x', 1), ('c', 'c', 'C', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at) VALUES
     ('d1', 'direct', 'a b', NULL, 'a', 0, 2, 1), ('d2', 'direct', 'a c', NULL, 'a', 0, 2, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order) VALUES
     ('d1', 'a', 'member', 0), ('d1', 'b', 'member', 1), ('d2', 'a', 'member', 0), ('d2', 'c', 'member', 1)`,
  // b accepted d1, c deleted d2; c lets only contacts add them, b lets everyone.
  `INSERT INTO settings (user_id, key, setting, at, by, version) VALUES
     ('b', 'request:d1', '{"kind":"request","conversationId":"d1","value":{"answer":"accepted","seq":0}}', 1, 'x', 1),
     ('c', 'request:d2', '{"kind":"request","conversationId":"d2","value":{"answer":"deleted","seq":0}}', 1, 'x', 1),
     ('c', 'group_adds', '{"kind":"group_adds","value":"contacts"}', 1, 'x', 2),
     ('b', 'group_adds', '{"kind":"group_adds","value":"everyone"}', 1, 'x', 2)`,
];

const REQUESTS = `SELECT conversation_id, user_id, request_from FROM members ORDER BY conversation_id, user_id`;
const ACCEPTED = `SELECT user_id, conversation_id FROM accepted_requests ORDER BY user_id, conversation_id`;
const RESTRICTED = `SELECT user_id FROM group_adds_restricted ORDER BY user_id`;

const EXPECTED = {
  requests: [
    { conversation_id: 'd1', user_id: 'a', request_from: null },
    { conversation_id: 'd1', user_id: 'b', request_from: null },
    { conversation_id: 'd2', user_id: 'a', request_from: null },
    { conversation_id: 'd2', user_id: 'c', request_from: null },
  ],
  accepted: [{ user_id: 'b', conversation_id: 'd1' }],
  restricted: [{ user_id: 'c' }],
};

describe('message requests migration', () => {
  it('SQLite version 8 marks no membership as a request and fills the tables kept with the registers', () => {
    const db = sqliteMigratedThrough(8, SEED);
    expect({
      requests: db.prepare(REQUESTS).all(),
      accepted: db.prepare(ACCEPTED).all(),
      restricted: db.prepare(RESTRICTED).all(),
    }).toEqual(EXPECTED);
  });

  it('PostgreSQL version 5 does the same', async () => {
    const client = await postgresMigratedThrough(5, SEED);
    expect({
      requests: (await client.query(REQUESTS)).rows,
      accepted: (await client.query(ACCEPTED)).rows,
      restricted: (await client.query(RESTRICTED)).rows,
    }).toEqual(EXPECTED);
  });
});
