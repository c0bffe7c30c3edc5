import { describe, expect, it } from 'vitest';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

/**
 * The migration that keeps each conversation's devices version (SQLite version 15, PostgreSQL
 * version 12): every conversation from before starts at 1, and the triggers raise it for each
 * conversation whose members' devices with keys change: a member joins or leaves, a member's device
 * publishes keys, another registration id, or is signed out, and nowhere else.
 */

/** The same rows in both stores: SQL both understand. Group g has a and b, group h has c only; b's one device has keys. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('a', 'a', 'A', 'x', 1), ('b', 'b', 'B', 'x', 1), ('c', 'c', 'C', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at) VALUES
     ('g', 'group', NULL, 'G', 'a', 0, 2, 1), ('h', 'group', NULL, 'H', 'c', 0, 1, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES
     ('g', 'a', 'owner', 0, 0, 0), ('g', 'b', 'member', 1, 0, 0), ('h', 'c', 'owner', 0, 0, 0)`,
  `INSERT INTO sessions (token_hash, id, user_id, device_number, device_name, created_at, last_used_at) VALUES
     ('t1', 's1', 'b', 1, NULL, 1, 1), ('t2', 's2', 'b', 2, NULL, 1, 1)`,
  `INSERT INTO device_keys (session_id, user_id, registration_id, signed_prekey_id, signed_prekey, signed_prekey_signature,
     kyber_last_resort_id, kyber_last_resort, kyber_last_resort_signature) VALUES ('s1', 'b', 11, 1, 'k', 's', 1, 'k', 's')`,
];

/** After the migration, one change at a time, and the conversations it must raise. */
const CHANGES: Array<[string, string[]]> = [
  // b's second device publishes keys: g moves, h (without b) does not.
  [
    `INSERT INTO device_keys (session_id, user_id, registration_id, signed_prekey_id, signed_prekey, signed_prekey_signature,
       kyber_last_resort_id, kyber_last_resort, kyber_last_resort_signature) VALUES ('s2', 'b', 12, 1, 'k', 's', 1, 'k', 's')`,
    ['g'],
  ],
  // A refill of prekeys is no change of devices; another registration id is.
  [`UPDATE device_keys SET signed_prekey_id = 2 WHERE session_id = 's2'`, []],
  [`UPDATE device_keys SET registration_id = 13 WHERE session_id = 's2'`, ['g']],
  // b's second device signed out: its keys go with its session.
  [`DELETE FROM sessions WHERE id = 's2'`, ['g']],
  // c joins g, then a leaves it.
  [
    `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES ('g', 'c', 'member', 2, 0, 0)`,
    ['g'],
  ],
  [`DELETE FROM members WHERE conversation_id = 'g' AND user_id = 'a'`, ['g']],
];

const VERSIONS = `SELECT id, devices_version AS v FROM conversations ORDER BY id`;

type Versions = Array<{ id: string; v: number | string }>;

/** Runs each change and checks that exactly its conversations' versions rose. */
async function expectRaises(run: (sql: string) => Promise<Versions>): Promise<void> {
  let before = await run(VERSIONS);
  expect(before.map((row) => [row.id, Number(row.v)])).toEqual([
    ['g', 1],
    ['h', 1],
  ]);
  for (const [sql, raised] of CHANGES) {
    await run(sql);
    const after = await run(VERSIONS);
    const rose = after.filter((row, i) => Number(row.v) > Number(before[i]!.v)).map((row) => row.id);
    expect(rose, sql).toEqual(raised);
    before = after;
  }
}

describe('devices version migration', () => {
  it('SQLite version 15 starts every conversation at 1 and raises it for every change to its devices with keys', async () => {
    const db = sqliteMigratedThrough(15, SEED);
    await expectRaises((sql) =>
      Promise.resolve(sql.trimStart().startsWith('SELECT') ? (db.prepare(sql).all() as Versions) : (db.exec(sql), [])),
    );
  });

  it('PostgreSQL version 12 does the same', async () => {
    const client = await postgresMigratedThrough(12, SEED);
    await expectRaises(async (sql) => (await client.query(sql)).rows as Versions);
  });
});
