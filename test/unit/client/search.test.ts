import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SearchResult } from '../../../sync/app-api/contract.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';
import { createTestMirrors } from '../../support/test-mirror.js';

const mirrors = createTestMirrors();
const dirs: string[] = [];
afterEach(() => {
  mirrors.cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const message = (seq: number, text: string, senderId = 'ann'): AppliedEvent => ({
  kind: 'message',
  conversationId: 'c1',
  seq,
  senderId,
  clientMessageId: `m${seq}`,
  text,
  sentAt: 1000 + seq,
  replyTo: null,
  deleted: false,
  attachments: [],
});
const change = (seq: number, body: { kind: 'edit'; text: string } | { kind: 'delete' }, messageId = 'm1'): AppliedEvent =>
  body.kind === 'edit'
    ? {
        kind: 'edit',
        conversationId: 'c1',
        seq,
        senderId: 'ann',
        sentAt: 1000 + seq,
        clientChangeId: `x${seq}`,
        messageId,
        text: body.text,
      }
    : { kind: 'delete', conversationId: 'c1', seq, senderId: 'ann', sentAt: 1000 + seq, clientChangeId: `x${seq}`, messageId };

const ids = (results: SearchResult[]) => results.map((result) => result.messageId);
const find = (mirror: Mirror, query: string) => ids(mirror.search.search(query, 'me', 50));

describe('the search index follows every change, in the transaction that makes it', () => {
  it('indexes a message by its text after the changes held for it, and after an edit or delete in the same page', () => {
    const mirror = mirrors.open();
    // Out of order: the edit arrives first and waits for its message.
    mirror.acknowledge(change(2, { kind: 'edit', text: 'rescheduled to friday' }), 'me');
    mirror.acknowledge(message(1, 'meeting on monday'), 'me');
    expect(find(mirror, 'friday')).toEqual(['m1']);
    expect(find(mirror, 'monday')).toEqual([]);
    // In order from the cursor (1): the edit again, then a message edited in the same page.
    mirror.applyEvents(
      'c1',
      [
        change(2, { kind: 'edit', text: 'rescheduled to friday' }),
        message(3, 'lunch at noon'),
        change(4, { kind: 'edit', text: 'lunch at one' }, 'm3'),
        message(5, 'gone soon'),
      ],
      'me',
    );
    mirror.applyEvents('c1', [change(6, { kind: 'delete' }, 'm5')], 'me');
    expect(find(mirror, 'noon')).toEqual([]);
    expect(find(mirror, 'lunch one')).toEqual(['m3']);
    expect(find(mirror, 'gone')).toEqual([]);
    mirror.close();
  });

  it('finds received messages, an edit by its new text only, and a deleted message no more', () => {
    const mirror = mirrors.open();
    mirror.applyEvents('c1', [message(1, 'The parcel is on its way'), message(2, 'Привет из Києва')], 'me');
    expect(find(mirror, 'parcel')).toEqual(['m1']);
    expect(find(mirror, 'ПРИВЕТ КИЄВ')).toEqual(['m2']);

    mirror.applyEvents('c1', [change(3, { kind: 'edit', text: 'The parcel was delivered' })], 'me');
    expect(find(mirror, 'deliv')).toEqual(['m1']);
    expect(find(mirror, 'way')).toEqual([]);

    mirror.applyEvents('c1', [change(4, { kind: 'delete' })], 'me');
    expect(find(mirror, 'parcel')).toEqual([]);
    mirror.close();
  });

  it('applies out-of-order arrivals as they end up: an edit that came before its message is what is found', () => {
    const mirror = mirrors.open();
    // The edit arrives first (a gap: nothing applies), then the whole run.
    mirror.applyEvents('c1', [change(2, { kind: 'edit', text: 'second thoughts' })], 'me');
    expect(find(mirror, 'second')).toEqual([]);
    mirror.applyEvents('c1', [message(1, 'first draft'), change(2, { kind: 'edit', text: 'second thoughts' })], 'me');
    expect(find(mirror, 'second')).toEqual(['m1']);
    expect(find(mirror, 'draft')).toEqual([]);
    mirror.close();
  });

  it('finds own messages before they are sent, as rewritten, and not once withdrawn', () => {
    const mirror = mirrors.open();
    mirror.enqueueMessage('c1', 'own1', 'me', 'meeting at noon', null, 5000);
    expect(mirror.search.search('noon', 'me', 50)).toEqual([
      expect.objectContaining({ messageId: 'own1', own: true, conversationTitle: 'Ann', senderName: 'Me' }) as unknown,
    ]);
    mirror.rewriteUnsent('c1', 'own1', 'meeting at three');
    expect(find(mirror, 'noon')).toEqual([]);
    expect(find(mirror, 'three')).toEqual(['own1']);
    mirror.withdrawUnsent('c1', 'own1');
    expect(find(mirror, 'meeting')).toEqual([]);
    mirror.close();
  });

  it('finds a message by the names of its files, and shows them when there is no text', () => {
    const mirror = mirrors.open();
    const sha256 = 'a'.repeat(64);
    mirror.enqueueMessage('c1', 'own2', 'me', '', null, 5000, [
      { sha256, size: 10, name: 'Quarterly budget.xlsx', mime: 'application/octet-stream', kind: 'file' },
    ]);
    const [hit] = mirror.search.search('budget', 'me', 50);
    expect(hit?.messageId).toBe('own2');
    expect(hit?.snippet).toEqual([
      { text: 'Quarterly ', match: false },
      { text: 'budget', match: true },
      { text: '.xlsx', match: false },
    ]);
    mirror.close();
  });

  it('indexes in the transaction of the write: what is rolled back is never found', () => {
    const mirror = mirrors.open();
    expect(() =>
      mirror.transaction(() => {
        mirror.applyEvents('c1', [message(1, 'a rolled back message')], 'me');
        throw new Error('the transaction fails');
      }),
    ).toThrow('the transaction fails');
    expect(find(mirror, 'rolled')).toEqual([]);
    mirror.applyEvents('c1', [message(1, 'the message that stays')], 'me');
    expect(find(mirror, 'stays')).toEqual(['m1']);
    mirror.close();
  });

  it('a page that fails inside a larger transaction leaves nothing of itself in the index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'search-nested-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const mirror = Mirror.open(path);
    mirror.upsertConversation(
      { id: 'c1', kind: 'direct', name: null, isMember: true, createdAt: 1, lastSeq: 0, members: [] },
      'me',
    );
    const broken = { ...message(3, 'never applied'), kind: 'unknown' } as unknown as AppliedEvent;
    mirror.transaction(() => {
      // Two messages stored, then the page fails: its own transaction rolls back, this one goes on.
      expect(() =>
        mirror.applyEvents('c1', [message(1, 'rolled back one'), message(2, 'rolled back two'), broken], 'me'),
      ).toThrow();
      mirror.applyEvents('c1', [message(1, 'the one that stays')], 'me');
    });
    expect(find(mirror, 'rolled')).toEqual([]);
    expect(find(mirror, 'stays')).toEqual(['m1']);
    mirror.close();
    const db = new Database(path, { readonly: true });
    // One row in the index, for the one message: none left behind for the rolled-back ones.
    expect(db.prepare('SELECT rowid FROM message_search_docsize').pluck().all()).toEqual(
      db.prepare('SELECT local_id FROM messages').pluck().all(),
    );
    db.close();
  });

  it('lists the newest first, and finds nothing for nothing searchable', () => {
    const mirror = mirrors.open();
    mirror.applyEvents('c1', [message(1, 'report one'), message(2, 'report two'), message(3, 'report three')], 'me');
    expect(find(mirror, 'report')).toEqual(['m3', 'm2', 'm1']);
    expect(find(mirror, '"*" NEAR (')).toEqual([]);
    mirror.close();
  });
});

/** A mirror in a fresh folder with the conversation 'c1', and a reader of what its index holds (not searching: that indexes). */
function mirrorAt(): { mirror: Mirror; inIndex: () => number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'search-pending-'));
  dirs.push(dir);
  const path = join(dir, 'mirror.sqlite');
  const mirror = Mirror.open(path);
  mirror.upsertConversation(
    { id: 'c1', kind: 'direct', name: null, isMember: true, createdAt: 1, lastSeq: 0, members: [] },
    'me',
  );
  const inIndex = () => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT rowid FROM message_search_docsize ORDER BY rowid').pluck().all() as number[];
    } finally {
      db.close();
    }
  };
  return { mirror, inIndex };
}

describe('new messages are indexed after the writes that bring them, and a search never misses them', () => {
  it('a page of new messages is not indexed in its transaction, yet a search at once finds them', () => {
    const { mirror, inIndex } = mirrorAt();
    const pending: number[] = [];
    mirror.search.onPending(() => pending.push(1));
    mirror.applyEvents('c1', [message(1, 'fresh news'), message(2, 'more fresh news')], 'me');
    expect(inIndex()).toEqual([]);
    expect(pending.length).toBeGreaterThan(0);
    expect(find(mirror, 'fresh')).toEqual(['m2', 'm1']);
    expect(inIndex()).toEqual([1, 2]);
    mirror.close();
  });

  it('finds a message not yet indexed as it ends up: edited by its new text only, deleted not at all', () => {
    const { mirror, inIndex } = mirrorAt();
    mirror.applyEvents(
      'c1',
      [
        message(1, 'first draft'),
        message(2, 'gone soon'),
        change(3, { kind: 'edit', text: 'final wording' }),
        change(4, { kind: 'delete' }, 'm2'),
      ],
      'me',
    );
    expect(inIndex()).toEqual([]);
    expect(find(mirror, 'draft')).toEqual([]);
    expect(find(mirror, 'final')).toEqual(['m1']);
    expect(find(mirror, 'gone')).toEqual([]);
    mirror.close();
  });

  it('indexPending indexes in chunks, oldest first, and says whether any are left', () => {
    const { mirror, inIndex } = mirrorAt();
    mirror.applyEvents(
      'c1',
      [1, 2, 3, 4, 5].map((seq) => message(seq, `note ${seq}`)),
      'me',
    );
    expect(mirror.search.indexPending(2)).toBe(true);
    expect(inIndex()).toEqual([1, 2]);
    expect(mirror.search.indexPending(2)).toBe(true);
    expect(mirror.search.indexPending(2)).toBe(false);
    expect(inIndex()).toEqual([1, 2, 3, 4, 5]);
    expect(mirror.search.indexPending(2)).toBe(false);
    mirror.close();
  });

  it('a change to a message already indexed is indexed in the transaction that makes it', () => {
    const { mirror, inIndex } = mirrorAt();
    mirror.applyEvents('c1', [message(1, 'old words'), message(2, 'kept words')], 'me');
    mirror.search.indexPending(100);
    const pending: number[] = [];
    mirror.search.onPending(() => pending.push(1));
    mirror.applyEvents('c1', [change(3, { kind: 'delete' }, 'm2')], 'me');
    expect(inIndex()).toEqual([1]);
    expect(pending).toEqual([]);
    mirror.close();
  });
});

describe('mirror migration 7', () => {
  it('indexes the history already in the mirror (deleted messages left out)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'search-migration-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v6 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 6));
    v6.exec(`
      INSERT INTO users (id, username, display_name) VALUES ('ann', 'ann', 'Ann');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, peer_id) VALUES ('c1', 'direct', 1, 9, 'ann');
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, deleted) VALUES
        ('c1', 'old1', 'ann', 'an old message about apples', 1, 'sent', 10, 0),
        ('c1', 'old2', 'ann', '', 2, 'sent', 11, 1),
        ('c1', 'old3', 'ann', 'with a file', 3, 'sent', 12, 0);
      INSERT INTO attachments (conversation_id, message_id, ordinal, sha256, size, name, mime, kind) VALUES
        ('c1', 'old3', 0, '${'b'.repeat(64)}', 5, 'apples.csv', 'text/csv', 'file');
    `);
    v6.close();
    const mirror = Mirror.open(path);
    expect(find(mirror, 'apples')).toEqual(['old3', 'old1']);
    mirror.close();
  });
});

describe('mirror migration 9', () => {
  it('indexes what the triggers of migration 7 had noted, then drops them and their table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'search-migration-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v8 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 8));
    v8.exec(`
      INSERT INTO users (id, username, display_name) VALUES ('ann', 'ann', 'Ann');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, peer_id, applied_seq)
        VALUES ('c1', 'direct', 1, 9, 'ann', 1);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, deleted) VALUES
        ('c1', 'noted', 'ann', 'noted but never flushed', 1, 'sent', 10, 0);
    `);
    expect(v8.prepare('SELECT COUNT(*) AS n FROM search_pending').get()).toEqual({ n: 1 });
    v8.close();
    const mirror = Mirror.open(path);
    expect(find(mirror, 'flushed')).toEqual(['noted']);
    const db = new Database(path, { readonly: true });
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'search_pending%' OR sql LIKE '%search_pending%'").all(),
    ).toEqual([]);
    db.close();
    // From now on the mirror notes its own writes: an edit is found by its new text only.
    mirror.applyEvents(
      'c1',
      [
        {
          kind: 'edit',
          conversationId: 'c1',
          seq: 2,
          senderId: 'ann',
          sentAt: 20,
          clientChangeId: 'e',
          messageId: 'noted',
          text: 'rewritten',
        },
      ],
      'me',
    );
    expect(find(mirror, 'flushed')).toEqual([]);
    expect(find(mirror, 'rewritten')).toEqual(['noted']);
    mirror.close();
  });
});

describe('mirror migration 13', () => {
  it('sets the watermark at the newest message: the history, indexed already, is not indexed again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'search-migration-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v12 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 12));
    v12.exec(`
      INSERT INTO users (id, username, display_name) VALUES ('ann', 'ann', 'Ann');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, peer_id, applied_seq)
        VALUES ('c1', 'direct', 1, 9, 'ann', 2);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, deleted) VALUES
        ('c1', 'a', 'ann', 'apples', 1, 'sent', 10, 0),
        ('c1', 'b', 'ann', 'pears', 2, 'sent', 11, 0);
      INSERT INTO message_search (rowid, text, names) VALUES (1, 'apples', ''), (2, 'pears', '');
    `);
    v12.close();
    const mirror = Mirror.open(path);
    mirror.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'search_indexed_to'").pluck().get()).toBe('2');
    db.close();
    const reopened = Mirror.open(path);
    expect(reopened.search.indexPending(100)).toBe(false);
    expect(find(reopened, 'pears')).toEqual(['b']);
    reopened.close();
  });
});
