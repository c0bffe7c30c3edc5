import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../sync/node/sqlite.js';
import type { ConversationEvent } from '../../../sync/protocol/frames.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { EVENT_COLUMNS, eventRowOf, toEvent, toEventRow, type EventRow } from '../../../sync/server/store/sqlite-rows.js';
import { prepareStatements } from '../../../sync/server/store/sqlite-statements.js';
import { toEvent as toEventFromRecord, type EventRecord } from '../../../sync/server/store/store-rows.js';

const base = { conversationId: 'c1', senderId: 'u1', sentAt: 1_700_000_000_000 };
const events: ConversationEvent[] = [
  { kind: 'message', ...base, seq: 1, clientMessageId: 'm1', text: 'hello', replyTo: null, deleted: false, attachments: [] },
  { kind: 'message', ...base, seq: 2, clientMessageId: 'm2', text: 'a reply', replyTo: 'm1', deleted: false, attachments: [] },
  { kind: 'message', ...base, seq: 3, clientMessageId: 'm3', text: '', replyTo: null, deleted: true, attachments: [] },
  {
    kind: 'message',
    ...base,
    seq: 4,
    clientMessageId: 'm4',
    text: 'passed on',
    replyTo: null,
    deleted: false,
    attachments: [],
    forwardedFrom: { name: 'Ann' },
  },
  { kind: 'edit', ...base, seq: 5, clientChangeId: 'e1', messageId: 'm1', text: 'hello again' },
  { kind: 'delete', ...base, seq: 6, clientChangeId: 'd1', messageId: 'm2' },
  { kind: 'reaction', ...base, seq: 7, clientChangeId: 'r1', messageId: 'm1', emoji: '👍', on: true },
  { kind: 'reaction', ...base, seq: 8, clientChangeId: 'r2', messageId: 'm1', emoji: '👍', on: false },
  { kind: 'pin', ...base, seq: 9, clientChangeId: 'p1', messageId: 'm1', on: true },
  { kind: 'group_renamed', ...base, seq: 10, clientChangeId: 'g1', name: 'Trip' },
];

/** The row as the shared record store-rows converts (what every store agrees on). */
function recordOf(row: EventRow): EventRecord {
  return {
    ...row,
    deleted: row.deleted === 1,
    reaction_on: row.reaction_on === null ? null : row.reaction_on === 1,
    payload: row.payload === null ? null : (JSON.parse(row.payload) as unknown),
  };
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
    const reaction = toEventRow(events[6]!);
    expect(() => toEvent({ ...reaction, emoji: null })).toThrow(/Corrupt event c1#7: emoji is NULL/);
    expect(() => toEvent({ ...reaction, reaction_on: null })).toThrow(/reaction_on is NULL/);
    const edit = toEventRow(events[4]!);
    expect(() => toEvent({ ...edit, message_id: null })).toThrow(/message_id is NULL/);
    const del = toEventRow(events[5]!);
    expect(() => toEvent({ ...del, message_id: null })).toThrow(/message_id is NULL/);
    // A message's payload is checked against the protocol's schema on the way out.
    const message = toEventRow(events[0]!);
    expect(() => toEvent({ ...message, payload: '{"attachments":"none"}' })).toThrow(/payload does not match message/);
    expect(() => toEvent({ ...message, kind: 'poll' })).toThrow(/unknown kind "poll"/);
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
    db.close();
  });
});
