import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../sync/node/sqlite.js';
import type { ConversationEvent } from '../../../sync/protocol/frames.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { EVENT_COLUMNS, eventRowOf, toEvent, toEventRow, type EventRow } from '../../../sync/server/store/sqlite-rows.js';
import { prepareStatements } from '../../../sync/server/store/sqlite-statements.js';
import { PLAINTEXT_EVENT_KINDS, toEvent as toEventFromRecord, type EventRecord } from '../../../sync/server/store/store-rows.js';

const base = { conversationId: 'c1', senderId: 'u1', sentAt: 1_700_000_000_000 };
const envelope = { kind: 'envelope', ...base, senderDevice: 2, ciphertext: 'c2VhbGVk', deleted: false } as const;
const events: ConversationEvent[] = [
  {
    kind: 'group_created',
    ...base,
    seq: 1,
    name: null,
    members: [{ id: 'u1', username: 'ann', displayName: 'Ann', role: 'owner' }],
  },
  { ...envelope, seq: 2, clientId: 'e1', attachments: [] },
  { ...envelope, seq: 3, clientId: 'e2', attachments: ['up1', 'up2'], senderRole: 'admin' },
  { ...envelope, seq: 4, clientId: 'e3', ciphertext: '', attachments: [], deleted: true, senderRole: 'member' },
  { kind: 'members_added', ...base, seq: 5, clientChangeId: 'g1', members: [{ id: 'u2', username: 'ben', displayName: 'Ben' }] },
  { kind: 'role_changed', ...base, seq: 6, clientChangeId: 'g2', userId: 'u2', role: 'admin' },
  { kind: 'member_removed', ...base, seq: 7, clientChangeId: 'g3', userId: 'u2' },
  { kind: 'member_left', ...base, seq: 8, clientChangeId: 'g4', newOwnerId: null },
  { ...envelope, seq: 9, clientId: 'e4', attachments: [], senderRole: 'member', expiresInMs: 30_000 },
  { ...envelope, seq: 10, clientId: 'e5', ciphertext: '', attachments: [], deleted: true, expiresInMs: 3_600_000 },
];

/** The row as the shared record store-rows converts (what every store agrees on). */
function recordOf(row: EventRow): EventRecord {
  return { ...row, deleted: row.deleted === 1, payload: row.payload === null ? null : (JSON.parse(row.payload) as unknown) };
}

describe('SQLite event rows', () => {
  it('read back as the event written, field for field and in the same order as the shared conversion', () => {
    for (const event of events) {
      const row = { ...toEventRow(event), hidden_from: null };
      const read = toEvent(row);
      expect(read).toEqual(event);
      // Same keys in the same order: the frames a catch-up serves are byte for byte what they were.
      expect(JSON.stringify(read)).toBe(JSON.stringify(toEventFromRecord(recordOf(row))));
    }
  });

  it('refuses a row missing what its kind needs, as the shared conversion does', () => {
    const sealed = toEventRow(events[1]!);
    expect(() => toEvent({ ...sealed, ciphertext: null })).toThrow(/Corrupt event c1#2: ciphertext is NULL/);
    expect(() => toEvent({ ...sealed, sender_device: null })).toThrow(/sender_device is NULL/);
    // Payloads are checked against the protocol's schema on the way out.
    expect(() => toEvent({ ...sealed, payload: '{"attachments":"none"}' })).toThrow(/payload does not match envelope/);
    expect(() => toEvent({ ...sealed, payload: '{"attachments":' })).toThrow(/payload is not JSON/);
    expect(() => toEvent({ ...toEventRow(events[4]!), payload: null })).toThrow(/Corrupt event c1#5: payload is NULL/);
    expect(() => toEvent({ ...sealed, kind: 'poll' })).toThrow(/unknown kind "poll"/);
  });

  it('refuses, by what it is, a row of a kind kept in the clear from before end-to-end encryption, whatever it holds', () => {
    for (const kind of PLAINTEXT_EVENT_KINDS) {
      expect(() => toEvent({ ...toEventRow(events[1]!), kind }), kind).toThrow(
        new RegExp(`Event c1#2 is a ${kind} kept in the clear from before end-to-end encryption.*purge-plaintext`),
      );
    }
  });

  it('read as arrays of EVENT_COLUMNS (a catch-up page) make the same rows as reading every column by name', () => {
    const db = openDatabase(':memory:', serverMigrations);
    db.pragma('foreign_keys = OFF');
    const statements = prepareStatements(db);
    for (const event of events) statements.insertEvent.run({ ...toEventRow(event), hidden_from: event.seq === 2 ? 'u2' : null });
    const byName = db.prepare("SELECT * FROM events WHERE conversation_id = 'c1' ORDER BY seq").all() as Record<
      string,
      unknown
    >[];
    const raw = statements.eventsBetween.all('c1', 0, Number.MAX_SAFE_INTEGER, 100) as unknown[][];
    expect(EVENT_COLUMNS.split(', ').length).toBe(raw[0]!.length);
    expect(raw.map(eventRowOf)).toEqual(
      byName.map((row) => Object.fromEntries(EVENT_COLUMNS.split(', ').map((column) => [column, row[column]]))),
    );
    expect(raw.map(eventRowOf).map(toEvent)).toEqual(events);
    // What only the kinds kept in the clear used is written empty.
    expect(byName.map((row) => [row.text, row.reply_to, row.emoji, row.reaction_on])).toEqual(
      events.map(() => ['', null, null, null]),
    );
    db.close();
  });
});
