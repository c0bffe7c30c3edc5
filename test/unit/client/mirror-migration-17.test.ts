import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-migration-17-'));
  dirs.push(dir);
  return join(dir, 'mirror.sqlite');
}

const LIST_PAGE = `SELECT id FROM conversations c WHERE c.last_activity_at < 50 OR (c.last_activity_at = 50 AND c.id > 'c2')
  ORDER BY c.last_activity_at DESC, c.id LIMIT 10`;

describe('mirror migration 17', () => {
  it('drops the outbox index by message; queued sends and the changes queued on them are still found, and withdrawn together', () => {
    const path = tempPath();
    const v16 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 16));
    v16.exec(`
      INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES ('c1', 'direct', 1, 1), ('c2', 'direct', 1, 1);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at) VALUES
        ('c1', 'm1', 'me', 'sent', 1, 'sent', 10), ('c1', 'q1', 'me', 'queued', NULL, 'sending', 20),
        ('c2', 'q2', 'me', 'other', NULL, 'sending', 30);
      INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status, attempts) VALUES
        ('c1', 'q1', 'send', 'q1', '{}', 'pending', 1),
        ('c1', 'r1', 'reaction', 'q1', '{"emoji":"👍","on":true}', 'pending', 0),
        ('c1', 'p1', 'pin', 'm1', '{"on":true}', 'pending', 0),
        ('c1', 'r2', 'reaction', 'm1', '{"emoji":"👍","on":true}', 'pending', 0),
        ('c2', 'q2', 'send', 'q2', '{}', 'pending', 0);
    `);
    v16.close();

    const mirror = Mirror.open(path);
    expect(mirror.outbox.sendRow('c1', 'q1')).toEqual({ status: 'pending', attempts: 1 });
    expect(mirror.outbox.sendRow('c2', 'q1')).toBeNull();
    expect(mirror.outbox.pendingReactions('c1', 'q1', '👍')).toEqual([{ clientId: 'r1', on: true, attempts: 0 }]);
    expect(mirror.outbox.pendingPins('c1', 'm1')).toEqual([{ clientId: 'p1', on: true, attempts: 0 }]);
    mirror.withdrawUnsent('c1', 'q1');
    mirror.close();

    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT client_id FROM outbox ORDER BY id').pluck().all()).toEqual(['p1', 'r2', 'q2']);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name").pluck().all(),
    ).toEqual(['outbox_by_conversation', 'outbox_changes', 'sqlite_autoindex_outbox_1']);
    db.close();
  });

  it('drops the activity index; the list keeps its order, read from its own index, and follows new messages', () => {
    const path = tempPath();
    const v16 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 16));
    v16.exec(`
      INSERT INTO users (id, username, display_name) VALUES ('me', 'me', 'Me'), ('ann', 'ann', 'Ann'), ('bob', 'bob', 'Bob');
      INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, 'ws://x', 't', 'me', 'me', 'Me');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, peer_id) VALUES
        ('c1', 'direct', 1, 30, 'ann'), ('c2', 'direct', 1, 50, 'bob'), ('c3', 'direct', 1, 50, 'ann');
      INSERT INTO members (conversation_id, user_id) VALUES ('c1', 'me'), ('c1', 'ann'), ('c2', 'me'), ('c2', 'bob'),
        ('c3', 'me'), ('c3', 'ann');
    `);
    const indexes = (db: Database.Database) =>
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversations' ORDER BY name")
        .pluck()
        .all();
    expect(indexes(v16)).toContain('conversations_by_activity');
    v16.close();

    const mirror = Mirror.open(path);
    expect(mirror.views.conversationSummaries('me').map((c) => c.id)).toEqual(['c2', 'c3', 'c1']);
    // A message composed in the oldest conversation brings it to the top.
    mirror.enqueueMessage('c1', 'q1', 'me', 'hello', null, 60);
    expect(mirror.views.conversationPage('me', 10).map((c) => [c.id, c.lastActivityAt, c.lastMessage?.text])).toEqual([
      ['c1', 60, 'hello'],
      ['c2', 50, undefined],
      ['c3', 50, undefined],
    ]);
    // So does a message received in another.
    mirror.applyEvents(
      'c3',
      [
        {
          kind: 'message',
          conversationId: 'c3',
          seq: 1,
          senderId: 'ann',
          clientMessageId: 'm1',
          text: 'hi',
          sentAt: 70,
          replyTo: null,
          deleted: false,
          attachments: [],
        },
      ],
      'me',
    );
    expect(mirror.views.conversationPage('me', 10).map((c) => [c.id, c.unreadCount, c.lastMessage?.text])).toEqual([
      ['c3', 1, 'hi'],
      ['c1', 0, 'hello'],
      ['c2', 0, undefined],
    ]);
    mirror.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIRROR_MIGRATIONS.length);
    expect(indexes(db)).toEqual(['conversations_list']);
    // A screen after the first is still read from the list's index alone.
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${LIST_PAGE}`).all() as { detail: string }[]).map((row) => row.detail);
    expect(plan.join('\n')).toMatch(/USING COVERING INDEX conversations_list/);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
});
