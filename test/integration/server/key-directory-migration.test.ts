import { describe, expect, it } from 'vitest';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

/**
 * The migration that numbers devices and adds the key directory (SQLite version 11, PostgreSQL
 * version 8): sessions from before are numbered per user in the order they were opened, two
 * sessions cannot hold one number, and a session's end takes its device's keys with it.
 */

/** The same rows in both stores: SQL both understand. Ann has three sessions (opened out of id order), Ben one, Cy none. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('ann', 'ann', 'Ann', 'x', 1), ('ben', 'ben', 'Ben', 'x', 1), ('cy', 'cy', 'Cy', 'x', 1)`,
  `INSERT INTO sessions (token_hash, id, user_id, device_name, created_at, last_used_at) VALUES
     ('h1', 's1', 'ann', 'Laptop', 30, 40), ('h2', 's2', 'ann', NULL, 10, 50), ('h3', 's3', 'ann', 'Phone', 20, 20),
     ('h4', 's4', 'ben', NULL, 5, 5)`,
];

const DEVICES = `SELECT id, user_id, device_number, device_name FROM sessions ORDER BY id`;

const EXPECTED = {
  devices: [
    { id: 's1', user_id: 'ann', device_number: 3, device_name: 'Laptop' },
    { id: 's2', user_id: 'ann', device_number: 1, device_name: null },
    { id: 's3', user_id: 'ann', device_number: 2, device_name: 'Phone' },
    { id: 's4', user_id: 'ben', device_number: 1, device_name: null },
  ],
};

const DUPLICATE_NUMBER = `INSERT INTO sessions (token_hash, id, user_id, device_number, device_name, created_at, last_used_at)
  VALUES ('h5', 's5', 'ann', 2, NULL, 60, 60)`;

/** Keys for Ann's device 1 (session s2), then its session ends. */
const KEYS = [
  `INSERT INTO identity_keys (user_id, public_key) VALUES ('ann', 'aWRlbnRpdHk=')`,
  `INSERT INTO device_keys (session_id, user_id, registration_id, signed_prekey_id, signed_prekey, signed_prekey_signature,
                            kyber_last_resort_id, kyber_last_resort, kyber_last_resort_signature)
     VALUES ('s2', 'ann', 7, 1, 'c2lnbmVk', 'c2ln', 1, 'a3liZXI=', 'c2ln')`,
  `INSERT INTO one_time_prekeys (session_id, kind, key_id, public_key, signature) VALUES
     ('s2', 'ec', 1, 'ZWMx', NULL), ('s2', 'kyber', 1, 'a3liZXIx', 'c2ln')`,
];
const END_SESSION = `DELETE FROM sessions WHERE id = 's2'`;
const LEFT = `SELECT (SELECT count(*) FROM device_keys) AS devices, (SELECT count(*) FROM one_time_prekeys) AS prekeys,
                     (SELECT count(*) FROM identity_keys) AS identities`;

describe('device numbers and key directory migration', () => {
  it('SQLite version 11 numbers the sessions from before per user, each number once, and a session takes its keys with it', () => {
    const db = sqliteMigratedThrough(11, SEED);
    expect({ devices: db.prepare(DEVICES).all() }).toEqual(EXPECTED);
    expect(() => db.exec(DUPLICATE_NUMBER)).toThrow(/UNIQUE/);
    for (const sql of KEYS) db.exec(sql);
    db.exec(END_SESSION);
    expect(db.prepare(LEFT).get()).toEqual({ devices: 0, prekeys: 0, identities: 1 });
  });

  it('PostgreSQL version 8 does the same', async () => {
    const client = await postgresMigratedThrough(8, SEED);
    expect({ devices: (await client.query(DEVICES)).rows }).toEqual(EXPECTED);
    await expect(client.query(DUPLICATE_NUMBER)).rejects.toThrow(/sessions_by_device/);
    for (const sql of KEYS) await client.query(sql);
    await client.query(END_SESSION);
    const left = (await client.query<Record<string, string>>(LEFT)).rows[0]!;
    expect(Object.fromEntries(Object.entries(left).map(([name, value]) => [name, Number(value)]))).toEqual({
      devices: 0,
      prekeys: 0,
      identities: 1,
    });
  });
});
