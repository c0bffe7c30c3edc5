import { describe, expect, it } from 'vitest';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

/**
 * The migration that adds the device inbox (SQLite version 12, PostgreSQL version 9): a client id
 * used once per sending session, ids never handed out twice, and a session's end taking its
 * envelopes and the client ids it sent with. The kind is not checked here: the frames' schema
 * admits only the kinds it names, and the server reads no further.
 */

/** The same rows in both stores: SQL both understand. Ann has two devices, Ben one. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('ann', 'ann', 'Ann', 'x', 1), ('ben', 'ben', 'Ben', 'x', 1)`,
  `INSERT INTO sessions (token_hash, id, user_id, device_number, device_name, created_at, last_used_at) VALUES
     ('h1', 's1', 'ann', 1, NULL, 1, 1), ('h2', 's2', 'ann', 2, NULL, 1, 1), ('h3', 's3', 'ben', 1, NULL, 1, 1)`,
];

/** Ben's device sends two envelopes to each of Ann's devices. */
const KINDS = ['prekey', 'whisper'];
const SENDS = [
  `INSERT INTO device_inbox (session_id, sender_user_id, sender_device, kind, ciphertext, sent_at) VALUES
     ${['s1', 's2'].flatMap((session) => KINDS.map((kind) => `('${session}', 'ben', 1, '${kind}', 'Y2lwaGVy', 5)`)).join(', ')}`,
  `INSERT INTO inbox_sends (sender_session_id, client_id, sent_at) VALUES ('s3', 'c1', 5)`,
];
const SAME_CLIENT_ID = `INSERT INTO inbox_sends (sender_session_id, client_id, sent_at) VALUES ('s3', 'c1', 6)`;
const ANN_SIGNS_OUT_S1 = `DELETE FROM sessions WHERE id = 's1'`;
const BEN_SIGNS_OUT = `DELETE FROM sessions WHERE id = 's3'`;
const LEFT = `SELECT session_id, count(*) AS envelopes FROM device_inbox GROUP BY session_id ORDER BY session_id`;
const SENDS_LEFT = `SELECT count(*) AS n FROM inbox_sends`;
const LAST_ID = `SELECT max(id) AS n FROM device_inbox`;
const EVERY_ENVELOPE_GOES = `DELETE FROM device_inbox`;
const ONE_MORE = `INSERT INTO device_inbox (session_id, sender_user_id, sender_device, kind, ciphertext, sent_at)
  VALUES ('s2', 'ann', 1, 'whisper', 'Y2lwaGVy', 7)`;

const envelopesPerDevice = KINDS.length;

describe('device inbox migration', () => {
  it('SQLite version 12 keeps a client id once per session, never reuses an id, and a session takes its inbox with it', () => {
    const db = sqliteMigratedThrough(12, SEED);
    for (const sql of SENDS) db.exec(sql);
    expect(() => db.exec(SAME_CLIENT_ID)).toThrow(/UNIQUE/);
    db.exec(ANN_SIGNS_OUT_S1);
    expect(db.prepare(LEFT).all()).toEqual([{ session_id: 's2', envelopes: envelopesPerDevice }]);
    expect(db.prepare(SENDS_LEFT).get()).toEqual({ n: 1 });
    db.exec(BEN_SIGNS_OUT);
    expect(db.prepare(SENDS_LEFT).get()).toEqual({ n: 0 });
    const { n: last } = db.prepare(LAST_ID).get() as { n: number };
    db.exec(EVERY_ENVELOPE_GOES);
    db.exec(ONE_MORE);
    // Without AUTOINCREMENT SQLite would take 1 again, the table being empty.
    expect((db.prepare(LAST_ID).get() as { n: number }).n).toBeGreaterThan(last);
  });

  it('PostgreSQL version 9 does the same', async () => {
    const client = await postgresMigratedThrough(9, SEED);
    // count() and max() of a BIGINT come as text from pg's own client.
    const numberOf = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
    for (const sql of SENDS) await client.query(sql);
    await expect(client.query(SAME_CLIENT_ID)).rejects.toThrow(/inbox_sends_pkey/);
    await client.query(ANN_SIGNS_OUT_S1);
    const left = (await client.query<{ session_id: string; envelopes: string }>(LEFT)).rows;
    expect(left.map((row) => ({ ...row, envelopes: Number(row.envelopes) }))).toEqual([
      { session_id: 's2', envelopes: envelopesPerDevice },
    ]);
    expect(await numberOf(SENDS_LEFT)).toBe(1);
    await client.query(BEN_SIGNS_OUT);
    expect(await numberOf(SENDS_LEFT)).toBe(0);
    const last = await numberOf(LAST_ID);
    await client.query(EVERY_ENVELOPE_GOES);
    await client.query(ONE_MORE);
    expect(await numberOf(LAST_ID)).toBeGreaterThan(last);
  });
});
