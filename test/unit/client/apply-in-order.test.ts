/**
 * applyInOrder stores runs of plain messages many to a statement; the mirror must end exactly as
 * when applyEvent stores every event by itself: the same rows with the same local ids, the same
 * messages noted for the search index, the same figures for the conversation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyEvent, applyInOrder, beginBatch, type ApplyBatch } from '../../../sync/client/mirror/event-applier.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import type { SearchNotes } from '../../../sync/client/mirror/search.js';
import { openDatabase, type Db } from '../../../sync/node/sqlite.js';
import type { ConversationEvent, MessageEvent } from '../../../sync/protocol/frames.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function mirrorDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'apply-in-order-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'mirror.sqlite'), MIRROR_MIGRATIONS);
  db.prepare("INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES ('c1', 'direct', 1, 1)").run();
  // Our own message, stored before its acknowledgement (no outbox row left): the page brings its copy.
  db.prepare(
    `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at)
     VALUES ('c1', 'm5', 'me', 'as composed', NULL, 'sending', 1)`,
  ).run();
  return db;
}

function notes(): SearchNotes & { rows: number[] } {
  const rows: number[] = [];
  return { rows, touched: () => undefined, touchedRow: (localId) => rows.push(localId), removed: () => undefined };
}

const message = (seq: number, extra: Partial<MessageEvent> = {}): MessageEvent => ({
  kind: 'message',
  conversationId: 'c1',
  seq,
  senderId: seq % 3 === 0 ? 'me' : 'peer',
  clientMessageId: `m${seq}`,
  text: `text ${seq}`,
  sentAt: 2_000 + seq,
  replyTo: seq % 7 === 0 ? `m${seq - 1}` : null,
  deleted: false,
  attachments: [],
  ...extra,
});

/** A page as a catch-up brings it: runs of messages longer than one statement's rows, broken by other events. */
function page(): ConversationEvent[] {
  const events: ConversationEvent[] = [];
  for (let seq = 1; seq <= 100; seq += 1) {
    if (seq === 5) events.push(message(seq, { senderId: 'me', text: 'as stored by the server' }));
    else if (seq === 40) {
      const edit = { kind: 'edit', conversationId: 'c1', seq, senderId: 'peer', sentAt: 2_040 } as const;
      events.push({ ...edit, clientChangeId: 'e40', messageId: 'm38', text: 'edited' });
    } else if (seq === 41) events.push(message(seq, { deleted: true, text: '' }));
    else if (seq === 50) events.push(message(seq, { forwardedFrom: { name: 'Someone' } }));
    else if (seq === 51) {
      events.push(
        message(seq, { linkPreview: { url: 'https://example.com/', title: 'Example', description: 'An example', image: null } }),
      );
    }
    // The same message twice (its copy again under a later seq): the later copy fills in the first.
    else if (seq === 80) events.push(message(seq, { clientMessageId: 'm79', senderId: 'peer' }));
    else events.push(message(seq));
  }
  return events;
}

function state(db: Db, batch: ApplyBatch, search: { rows: number[] }) {
  const { search: _notes, ...figures } = batch;
  return {
    messages: db.prepare('SELECT * FROM messages ORDER BY local_id').all(),
    versions: db.prepare('SELECT * FROM message_versions ORDER BY seq').all(),
    figures,
    noted: [...new Set(search.rows)].sort((a, b) => a - b),
  };
}

describe('applyInOrder', () => {
  it('ends as applying each event by itself does, for new messages, copies already here, repeats and other events', () => {
    const oneByOne = mirrorDb();
    const oneByOneNotes = notes();
    const oneByOneBatch = beginBatch(oneByOne, 'c1', 'me', true, oneByOneNotes);
    for (const event of page()) applyEvent(oneByOne, event, oneByOneBatch);

    const together = mirrorDb();
    const togetherNotes = notes();
    const togetherBatch = beginBatch(together, 'c1', 'me', true, togetherNotes);
    applyInOrder(together, page(), togetherBatch);

    const expected = state(oneByOne, oneByOneBatch, oneByOneNotes);
    // 100 seqs: one is an edit, one a message again.
    expect(expected.messages).toHaveLength(98);
    expect(expected.messages[0]).toMatchObject({
      client_message_id: 'm5',
      seq: 5,
      text: 'as stored by the server',
      state: 'sent',
    });
    expect(state(together, togetherBatch, togetherNotes)).toEqual(expected);
  });

  it('notes every new row by its local id when all are new', () => {
    const db = mirrorDb();
    const search = notes();
    const events = Array.from({ length: 70 }, (_, i) => message(i + 6));
    applyInOrder(db, events, beginBatch(db, 'c1', 'me', true, search));
    const ids = db.prepare("SELECT local_id FROM messages WHERE client_message_id != 'm5' ORDER BY seq").pluck().all();
    expect(search.rows).toEqual(ids);
    expect(ids).toEqual(Array.from({ length: 70 }, (_, i) => i + 2));
  });
});
