import { describe, expect, it } from 'vitest';
import { purgeEnvelopeSql } from '../../../sync/server/store/shared-sql.js';
import { toEvent as sqliteEvent, type EventRow } from '../../../sync/server/store/sqlite-rows.js';
import { toEvent, type EventRecord } from '../../../sync/server/store/store-rows.js';
import { postgresMigratedThrough, sqliteMigratedThrough } from '../../support/store-migrations.js';

/**
 * The migration that lets the log hold envelopes (SQLite version 13, PostgreSQL version 10): every
 * event from before keeps no device and no ciphertext, and an envelope row reads back as the
 * protocol's envelope event; its purge (shared by both stores) leaves the row and drops the rest.
 */

/** The same rows in both stores: SQL both understand. A and B in a direct conversation with one message. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ('a', 'a', 'A', 'x', 1), ('b', 'b', 'B', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at)
     VALUES ('d', 'direct', 'a b', NULL, 'a', 1, 2, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES
     ('d', 'a', 'member', 0, 1, 1), ('d', 'b', 'member', 1, 1, 1)`,
  `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at)
     VALUES ('d', 1, 'message', 'a', 'm1', 'm1', 'hello', 2)`,
];

const BEFORE = `SELECT seq, sender_device, ciphertext FROM events ORDER BY seq`;
// B's client id is A's message's: client ids are the sender's own, and a message's id is unique among messages only.
const ENVELOPE = `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at, deleted, payload,
                                     sender_device, ciphertext)
  VALUES ('d', 2, 'envelope', 'b', 'm1', 'm1', '', 5, FALSE, '{"attachments":["u1"]}', 3, 'Y2lwaGVy')`;
const ENVELOPE_ROW = `SELECT * FROM events WHERE seq = 2`;

const envelope = {
  kind: 'envelope',
  conversationId: 'd',
  seq: 2,
  senderId: 'b',
  senderDevice: 3,
  clientId: 'm1',
  ciphertext: 'Y2lwaGVy',
  attachments: ['u1'],
  deleted: false,
  sentAt: 5,
};
const purged = { ...envelope, ciphertext: '', attachments: [], deleted: true };

describe('envelope log migration', () => {
  it('SQLite version 13 keeps old events as they were and stores envelopes that read back as the protocol’s', () => {
    const db = sqliteMigratedThrough(13, SEED);
    expect(db.prepare(BEFORE).all()).toEqual([{ seq: 1, sender_device: null, ciphertext: null }]);
    db.exec(ENVELOPE);
    expect(sqliteEvent(db.prepare(ENVELOPE_ROW).get() as EventRow)).toEqual(envelope);
    db.prepare(purgeEnvelopeSql('?', '?')).run('d', 2);
    expect(sqliteEvent(db.prepare(ENVELOPE_ROW).get() as EventRow)).toEqual(purged);
  });

  it('PostgreSQL version 10 does the same', async () => {
    const client = await postgresMigratedThrough(10, SEED);
    // BIGINT columns come as text from pg's own client.
    const read = async (sql: string) =>
      (await client.query<Record<string, unknown>>(sql)).rows.map((row) => ({
        ...row,
        seq: Number(row.seq),
        ...('sent_at' in row ? { sent_at: Number(row.sent_at) } : {}),
      }));
    expect(await read(BEFORE)).toEqual([{ seq: 1, sender_device: null, ciphertext: null }]);
    await client.query(ENVELOPE);
    expect(toEvent((await read(ENVELOPE_ROW))[0] as unknown as EventRecord)).toEqual(envelope);
    await client.query(purgeEnvelopeSql('$1', '$2'), ['d', 2]);
    expect(toEvent((await read(ENVELOPE_ROW))[0] as unknown as EventRecord)).toEqual(purged);
  });
});
