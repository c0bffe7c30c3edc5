import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { DatabaseFromTheFutureError, openDatabase } from '../../../sync/node/sqlite.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-test-'));
  dirs.push(dir);
  return join(dir, 'mirror.sqlite');
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const conversation = {
  id: 'c1',
  kind: 'direct' as const,
  name: null,
  isMember: true,
  createdAt: 1000,
  lastSeq: 0,
  members: [
    { id: 'me', username: 'me', displayName: 'Me', role: 'member' as const, deliveredSeq: 0, readSeq: 0 },
    { id: 'peer', username: 'peer', displayName: 'Peer', role: 'member' as const, deliveredSeq: 0, readSeq: 0 },
  ],
};
const event = (seq: number, senderId = 'peer') => ({
  kind: 'message' as const,
  conversationId: 'c1',
  seq,
  senderId,
  clientMessageId: `m${seq}`,
  text: `text ${seq}`,
  sentAt: 2000 + seq,
  replyTo: null,
  deleted: false,
  attachments: [],
});

/**
 * A direct conversation as mirrors since migration 13 hold it: two received messages (one edited and
 * forwarded, with a preview; one deleted, answering the first), one queued and one refused, and
 * the search index over them.
 */
const MESSAGE_ROWS_V13 = `
      INSERT INTO users (id, username, display_name) VALUES ('peer', 'peer', 'Peer'), ('me', 'me', 'Me');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, applied_seq, known_seq, peer_id)
        VALUES ('c1', 'direct', 1, 9, 2, 2, 'peer');
      INSERT INTO messages (local_id, conversation_id, client_message_id, sender_id, text, seq, state, error, created_at,
          sent_at, reply_to, deleted, edit_seq, edited_at, forwarded_from, link_preview) VALUES
        (3, 'c1', 'm1', 'peer', 'hello there', 1, 'sent', NULL, 10, 11, NULL, 0, 2, 12, 'Ann', '{"url":"https://a.example"}'),
        (7, 'c1', 'm2', 'peer', '', 2, 'sent', NULL, 20, 21, 'm1', 1, NULL, NULL, NULL, NULL),
        (9, 'c1', 'q1', 'me', 'queued', NULL, 'sending', NULL, 30, NULL, NULL, 0, NULL, NULL, NULL, NULL),
        (12, 'c1', 'q2', 'me', 'refused', NULL, 'failed', 'too_long', 40, NULL, NULL, 0, NULL, NULL, NULL, NULL);
      INSERT INTO message_search (rowid, text, names) VALUES (3, 'hello there', ''), (9, 'queued', ''), (12, 'refused', '');
      UPDATE meta SET value = '12' WHERE key = 'search_indexed_to';
`;

describe('mirror migrations', () => {
  it('migration 1 creates the schema in WAL mode and records user_version', () => {
    const path = tempFile();
    Mirror.open(path).close();
    const db = new Database(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIRROR_MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // FTS5's own shadow tables (message_search_data, …) are its business.
    const tables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'message\\_search\\_%' ESCAPE '\\' ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((row) => row.name);
    expect(tables).toEqual([
      'attachments',
      'conversation_devices',
      'conversations',
      'disappeared',
      'envelopes_waiting',
      'file_keys',
      'held_events',
      'identity_trust',
      'live_locations_here',
      'members',
      'message_search',
      'message_state',
      'message_versions',
      'messages',
      'meta',
      'notices',
      'outbox',
      'pins',
      'reactions',
      'read_times',
      'resend_requests',
      'sender_key_epochs',
      'sender_key_holders',
      'sent_content',
      'sent_content_resends',
      'session',
      'settings',
      'signal_device',
      'signal_identities',
      'signal_inbox_done',
      'signal_kyber_prekeys',
      'signal_kyber_uses',
      'signal_outgoing',
      'signal_prekeys',
      'signal_sender_keys',
      'signal_sessions',
      'signal_signed_prekeys',
      'sticker_packs',
      'users',
    ]);
    db.close();
  });

  it("migration 2 keeps a version-1 mirror's queued messages, in order, ready to send", () => {
    const path = tempFile();
    const v1 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 1));
    v1.exec(`
      INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES ('c1', 'direct', 1, 1);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at)
        VALUES ('c1', 'first', 'me', 'written offline', NULL, 'sending', 5),
               ('c1', 'second', 'me', 'also offline', NULL, 'failed', 6);
      INSERT INTO outbox (id, conversation_id, client_message_id, kind, status, attempts) VALUES
        (7, 'c1', 'first', 'send', 'pending', 2), (8, 'c1', 'second', 'send', 'failed', 1);
    `);
    v1.close();

    const mirror = Mirror.open(path);
    expect(mirror.outbox.nextEntries()).toEqual([
      expect.objectContaining({
        id: 7,
        kind: 'send',
        clientId: 'first',
        messageId: 'first',
        text: 'written offline',
        attempts: 2,
      }),
    ]);
    expect(mirror.outbox.pendingCount()).toBe(1);
    expect(mirror.retryFailedSend('second', 'me')).toBe('c1');
    expect(mirror.outbox.pendingCount()).toBe(2);
    mirror.close();
    const db = new Database(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIRROR_MIGRATIONS.length);
    db.close();
  });

  it("migration 3 stores each conversation's newest message and unread count, as the list shows them", () => {
    const path = tempFile();
    const v2 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 2));
    v2.exec(`
      INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, 'ws://x', 't', 'me', 'me', 'Me');
      INSERT INTO users (id, username, display_name) VALUES ('me', 'me', 'Me'), ('ann', 'ann', 'Ann');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, applied_seq) VALUES ('c1', 'direct', 1, 9, 3);
      INSERT INTO members (conversation_id, user_id, read_seq) VALUES ('c1', 'me', 1), ('c1', 'ann', 0);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at) VALUES
        ('c1', 'a', 'ann', 'read already', 1, 'sent', 1),
        ('c1', 'b', 'ann', 'unread one', 2, 'sent', 2),
        ('c1', 'c', 'ann', 'unread two', 3, 'sent', 3),
        ('c1', 'd', 'me', 'still sending', NULL, 'sending', 9);
    `);
    v2.close();
    const mirror = Mirror.open(path);
    expect(mirror.views.conversationSummaries('me')).toEqual([
      expect.objectContaining({
        unreadCount: 2,
        lastMessage: { text: 'still sending', own: true, at: 9, deleted: false, senderName: 'Me' },
      }),
    ]);
    mirror.close();
  });

  it('migration 4 moves a direct conversation to its pair-derived id, everything with it, and gives members roles', () => {
    const path = tempFile();
    const v3 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 3));
    v3.exec(`
      INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, 'ws://x', 't', 'me', 'me', 'Me');
      INSERT INTO users (id, username, display_name) VALUES ('me', 'me', 'Me'), ('ann', 'ann', 'Ann');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, applied_seq, peer_id) VALUES ('c1', 'direct', 1, 9, 2, 'ann');
      INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq) VALUES ('c1', 'me', 2, 2), ('c1', 'ann', 1, 1);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at) VALUES
        ('c1', 'a', 'ann', 'hello', 1, 'sent', 1),
        ('c1', 'b', 'me', 'hi', 2, 'sent', 2),
        ('c1', 'c', 'me', 'queued', NULL, 'sending', 9);
      INSERT INTO reactions (conversation_id, message_id, user_id, emoji, seq, on_) VALUES ('c1', 'a', 'me', '👍', 3, 1);
      INSERT INTO held_events (conversation_id, message_id, seq, event) VALUES
        ('c1', 'z', 4, '{"kind":"delete","conversationId":"c1","seq":4,"senderId":"ann","sentAt":4,"clientChangeId":"d1","messageId":"z"}');
      INSERT INTO outbox (conversation_id, client_id, kind, message_id, status) VALUES ('c1', 'c', 'send', 'c', 'pending');
    `);
    v3.close();
    const mirror = Mirror.open(path);
    const id = directConversationId('me', 'ann');
    expect(mirror.cursor('c1')).toBeNull();
    expect(mirror.cursor(id)).toMatchObject({ appliedSeq: 2 });
    expect(mirror.allMessages(id).map((m) => m.text)).toEqual(['hello', 'hi', 'queued']);
    expect(mirror.outbox.nextEntries()).toEqual([expect.objectContaining({ conversationId: id, kind: 'send', text: 'queued' })]);
    expect(mirror.views.messagePage(id, 'me', 10).messages[0]?.reactions).toEqual([{ emoji: '👍', count: 1, mine: true }]);
    expect(mirror.views.conversationInfo(id, 'me', () => false)).toMatchObject({
      kind: 'direct',
      isMember: true,
      members: [
        { user: { id: 'ann' }, role: 'member' },
        { user: { id: 'me' }, role: 'member' },
      ],
    });
    expect(mirror.views.conversationSummaries('me')).toEqual([
      expect.objectContaining({ id, kind: 'direct', title: 'Ann', memberCount: 2, isMember: true }),
    ]);
    // The held change follows the conversation too, and applies when its message arrives.
    mirror.applyEvents(
      id,
      [
        {
          kind: 'message',
          conversationId: id,
          seq: 3,
          senderId: 'ann',
          clientMessageId: 'z',
          text: 'gone',
          replyTo: null,
          deleted: false,
          attachments: [],
          sentAt: 3,
        },
      ],
      'me',
    );
    expect(mirror.message(id, 'z')).toMatchObject({ deleted: true });
    mirror.close();
  });

  it('migration 5 adds attachments to a version-4 mirror: queued messages send without files, limits come from the welcome', () => {
    const path = tempFile();
    const v4 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 4));
    v4.exec(`
      INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, 'ws://x', 't', 'me', 'me', 'Me');
      INSERT INTO users (id, username, display_name) VALUES ('me', 'me', 'Me'), ('ann', 'ann', 'Ann');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, peer_id) VALUES ('c1', 'direct', 1, 9, 'ann');
      INSERT INTO members (conversation_id, user_id, role) VALUES ('c1', 'me', 'member'), ('c1', 'ann', 'member');
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at) VALUES
        ('c1', 'q', 'me', 'queued before attachments existed', NULL, 'sending', 9);
      INSERT INTO outbox (conversation_id, client_id, kind, message_id, status) VALUES ('c1', 'q', 'send', 'q', 'pending');
    `);
    v4.close();
    const mirror = Mirror.open(path);
    expect(mirror.views.messagePage('c1', 'me', 10).messages).toEqual([
      expect.objectContaining({ id: 'q', text: 'queued before attachments existed', attachments: [] }),
    ]);
    expect(mirror.attachments.forSend('c1', 'q')).toEqual([]);
    expect(mirror.attachments.serverLimits()).toBeNull();
    mirror.attachments.saveServerLimits({ maxFileBytes: 5_000_000 });
    expect(mirror.attachments.serverLimits()).toEqual({ maxFileBytes: 5_000_000 });
    mirror.close();
    // What is read back from disk is checked: a limit that makes no sense is not believed.
    const db = new Database(path);
    db.prepare('UPDATE session SET server_limits = \'{"maxFileBytes":-1}\'').run();
    db.close();
    const reopened = Mirror.open(path);
    expect(reopened.attachments.serverLimits()).toBeNull();
    reopened.close();
  });

  it('migration 6: a member snapshot outranks older membership events, even for someone it no longer lists', () => {
    const path = tempFile();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 5)).close();
    const mirror = Mirror.open(path);
    const user = (id: string) => ({ id, username: id, displayName: id.toUpperCase() });
    const base = { conversationId: 'g1', senderId: 'ann', sentAt: 2000 };
    // Found by the simulation: removed from a group and added back while offline, this device
    // never saw carol leave in between; the server's snapshot (as of seq 4) no longer lists her,
    // then catch-up brings the group's creation (seq 1), which does.
    mirror.upsertConversation(
      {
        id: 'g1',
        kind: 'group',
        name: 'team',
        isMember: true,
        createdAt: 1000,
        lastSeq: 4,
        members: [
          { ...user('ann'), role: 'owner', deliveredSeq: 4, readSeq: 4 },
          { ...user('me'), role: 'member', deliveredSeq: 0, readSeq: 0 },
        ],
      },
      'me',
    );
    mirror.applyEvents(
      'g1',
      [
        {
          ...base,
          kind: 'group_created',
          seq: 1,
          name: 'team',
          members: [
            { ...user('ann'), role: 'owner' },
            { ...user('me'), role: 'member' },
            { ...user('carol'), role: 'member' },
          ],
        },
        { ...base, kind: 'member_removed', seq: 2, clientChangeId: 'r1', userId: 'me' },
      ],
      'me',
    );
    mirror.applyEvents('g1', [{ ...base, kind: 'members_added', seq: 4, clientChangeId: 'a1', members: [user('me')] }], 'me', {
      skippedTo: 3,
    });
    expect(mirror.members('g1').map((member) => member.userId)).toEqual(['ann', 'me']);
    expect(mirror.isMember('g1')).toBe(true);
    // A later event still counts.
    mirror.applyEvents('g1', [{ ...base, kind: 'members_added', seq: 5, clientChangeId: 'a2', members: [user('carol')] }], 'me');
    expect(mirror.members('g1').map((member) => member.userId)).toEqual(['ann', 'me', 'carol']);
    mirror.close();
  });

  it('our group changes acknowledged past a gap wait for the catch-up: members come out in the order they joined', () => {
    const mirror = Mirror.open(tempFile());
    const user = (id: string) => ({ id, username: id, displayName: id.toUpperCase() });
    const base = { conversationId: 'g1', senderId: 'me', sentAt: 2000 };
    mirror.upsertConversation(
      { id: 'g1', kind: 'group', name: 'team', isMember: true, createdAt: 1000, lastSeq: 0, members: [] },
      'me',
    );
    const created = {
      ...base,
      kind: 'group_created' as const,
      seq: 1,
      name: 'team',
      members: [
        { ...user('me'), role: 'owner' as const },
        { ...user('carol'), role: 'member' as const },
      ],
    };
    mirror.applyEvents('g1', [created], 'me');
    mirror.outbox.enqueueGroupChange('g1', 'r1', { kind: 'remove_member', userId: 'carol' });
    mirror.outbox.enqueueGroupChange('g1', 'a1', { kind: 'add_members', userIds: ['carol'] });
    // Found by the simulation: our removal and re-adding of carol (pipelined) are answered while
    // someone else's addition of dave (seq 2) is still on its way to us.
    const removed = { ...base, kind: 'member_removed' as const, seq: 3, clientChangeId: 'r1', userId: 'carol' };
    const readded = { ...base, kind: 'members_added' as const, seq: 4, clientChangeId: 'a1', members: [user('carol')] };
    mirror.acknowledgeAll([removed, readded], 'me');
    expect(mirror.outbox.pendingCount()).toBe(0);
    expect(mirror.cursor('g1')).toMatchObject({ appliedSeq: 1, knownSeq: 4 });
    const daveAdded = {
      ...base,
      senderId: 'carol',
      kind: 'members_added' as const,
      seq: 2,
      clientChangeId: 'x',
      members: [user('dave')],
    };
    mirror.applyEvents('g1', [daveAdded, removed, readded], 'me');
    // As the server lists them: carol joined again after dave.
    expect(mirror.members('g1').map((member) => member.userId)).toEqual(['me', 'dave', 'carol']);
    mirror.close();
  });

  it('migration 8 keeps the author a forward names: none for older messages, the event’s after it, gone once deleted', () => {
    const path = tempFile();
    const v7 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 7));
    v7.exec(`
      INSERT INTO users (id, username, display_name) VALUES ('peer', 'peer', 'Peer');
      INSERT INTO conversations (id, kind, created_at, last_activity_at, applied_seq, known_seq, peer_id)
        VALUES ('c1', 'direct', 1, 9, 1, 1, 'peer');
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at)
        VALUES ('c1', 'm1', 'peer', 'written before forwards', 1, 'sent', 10);
    `);
    v7.close();
    const mirror = Mirror.open(path);
    mirror.applyEvents('c1', [{ ...event(2), text: 'passed on', forwardedFrom: { name: 'Ann Author' } }], 'me');
    expect(mirror.views.messagePage('c1', 'me', 10).messages.map((m) => [m.id, m.forwardedFrom])).toEqual([
      ['m1', null],
      ['m2', 'Ann Author'],
    ]);
    // Indexed like any message.
    expect(mirror.search.search('passed', 'me', 10).map((hit) => hit.messageId)).toEqual(['m2']);
    mirror.applyEvents(
      'c1',
      [{ kind: 'delete', conversationId: 'c1', seq: 3, senderId: 'peer', sentAt: 3000, clientChangeId: 'd', messageId: 'm2' }],
      'me',
    );
    expect(mirror.views.messageView('c1', 'm2', 'me')).toMatchObject({ deleted: true, forwardedFrom: null });
    mirror.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT forwarded_from FROM messages WHERE client_message_id = 'm2'").pluck().get()).toBeNull();
    db.close();
  });

  it('migration 14 rebuilds messages with the same rows, local ids, keys and allowed states, and no temporary b-tree per insert', () => {
    const path = tempFile();
    const v13 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 13));
    v13.exec(MESSAGE_ROWS_V13);
    const before = v13.prepare('SELECT * FROM messages ORDER BY local_id').all();
    v13.close();

    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 14)).close();
    const db = new Database(path);
    expect(db.pragma('user_version', { simple: true })).toBe(14);
    expect(db.prepare('SELECT * FROM messages ORDER BY local_id').all()).toEqual(before);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name").pluck().all(),
    ).toEqual(['messages_by_message_id', 'messages_by_seq', 'sqlite_autoindex_messages_1']);
    expect(db.pragma('foreign_key_list(messages)')).toMatchObject([
      { table: 'conversations', from: 'conversation_id', on_delete: 'CASCADE' },
    ]);
    const insert = (clientId: string, sender: string, seq: number | null, state: string) =>
      db
        .prepare(
          `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at)
           VALUES ('c1', ?, ?, 'x', ?, ?, 50)`,
        )
        .run(clientId, sender, seq, state);
    // The three states are allowed and nothing else is, as before; the keys still hold.
    expect(() => insert('n1', 'peer', 3, 'sent')).not.toThrow();
    expect(() => insert('n2', 'me', null, 'sending')).not.toThrow();
    expect(() => insert('n3', 'me', null, 'failed')).not.toThrow();
    expect(() => insert('n4', 'peer', 4, 'delivered')).toThrow(/CHECK constraint failed/);
    expect(() => insert('n5', 'peer', 1, 'sent')).toThrow(/UNIQUE constraint failed: messages.conversation_id, messages.seq/);
    expect(() => insert('m1', 'me', 5, 'sent')).toThrow(
      /UNIQUE constraint failed: messages.conversation_id, messages.client_message_id/,
    );
    expect(() => insert('n1', 'peer', 6, 'sent')).toThrow(/UNIQUE constraint failed/);
    expect(() => insert('n6', 'peer', 7, null as unknown as string)).toThrow(/NOT NULL constraint failed/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO messages (conversation_id, client_message_id, sender_id, text, state, created_at) VALUES ('nope', 'z', 'peer', '', 'sent', 1)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
    // New rows continue after the highest local id.
    expect(db.prepare("SELECT local_id FROM messages WHERE client_message_id = 'n1'").pluck().get()).toBe(13);
    // The point of the rebuild: an insert no longer builds a temporary b-tree for the CHECK's IN list.
    const program = db
      .prepare(
        `EXPLAIN INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at)
         VALUES ('c1', 'e', 'peer', '', 9, 'sent', 1)`,
      )
      .all() as { opcode: string }[];
    expect(program.map((op) => op.opcode)).not.toContain('OpenEphemeral');
    db.close();

    // The app reads and searches what was there, by the same local ids.
    const mirror = Mirror.open(path);
    expect(mirror.views.messagePage('c1', 'me', 10).messages.map((m) => m.id)).toEqual(
      expect.arrayContaining(['m1', 'm2', 'q1', 'q2', 'n1']),
    );
    expect(mirror.search.search('hello', 'me', 10).map((hit) => hit.messageId)).toEqual(['m1']);
    mirror.close();
  });

  it('migration 15 keeps every row and local id, with (conversation, message id) as the one key of a message', () => {
    const path = tempFile();
    const v14 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 14));
    v14.exec(MESSAGE_ROWS_V13);
    v14.exec(`
      INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status, last_error) VALUES
        ('c1', 'q1', 'send', 'q1', '{}', 'pending', NULL), ('c1', 'q2', 'send', 'q2', '{}', 'failed', 'too_long');
    `);
    const before = v14.prepare('SELECT * FROM messages ORDER BY local_id').all();
    v14.close();

    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 15)).close();
    const db = new Database(path);
    expect(db.pragma('user_version', { simple: true })).toBe(15);
    expect(db.prepare('SELECT * FROM messages ORDER BY local_id').all()).toEqual(before);
    // Three B-trees a message instead of four: the (sender, message id) key is gone.
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name").pluck().all(),
    ).toEqual(['messages_by_message_id', 'messages_by_seq']);
    expect(db.pragma('foreign_key_list(messages)')).toMatchObject([
      { table: 'conversations', from: 'conversation_id', on_delete: 'CASCADE' },
    ]);
    const insert = (conversationId: string, clientId: string, seq: number | null, state: string) =>
      db
        .prepare(
          `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at)
           VALUES (?, ?, 'peer', 'x', ?, ?, 50)`,
        )
        .run(conversationId, clientId, seq, state);
    expect(() => insert('c1', 'm1', 5, 'sent')).toThrow(
      /UNIQUE constraint failed: messages.conversation_id, messages.client_message_id/,
    );
    expect(() => insert('c1', 'n1', 1, 'sent')).toThrow(/UNIQUE constraint failed: messages.conversation_id, messages.seq/);
    expect(() => insert('c1', 'n2', 4, 'delivered')).toThrow(/CHECK constraint failed/);
    expect(() => insert('nope', 'n3', 1, 'sent')).toThrow(/FOREIGN KEY constraint failed/);
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(4);
    db.close();

    // The mirror works on the one key: the server's copy of a queued message fills it in, the
    // same id from someone else is refused, a failed message is found and discarded.
    const mirror = Mirror.open(path);
    mirror.applyEvents('c1', [{ ...event(3, 'me'), clientMessageId: 'q1', text: 'queued' }], 'me');
    expect(mirror.views.messagePage('c1', 'me', 10).messages.find((m) => m.id === 'q1')).toMatchObject({
      seq: 3,
      status: 'sent',
    });
    expect(() => mirror.applyEvents('c1', [{ ...event(4, 'peer'), clientMessageId: 'q2' }], 'me')).toThrow(
      /q2 in c1 is already stored from another sender/,
    );
    expect(mirror.cursor('c1')).toMatchObject({ appliedSeq: 3 });
    expect(mirror.discardFailedSend('q2', 'me')).toBe('c1');
    expect(mirror.discardFailedSend('q2', 'me')).toBeNull();
    expect(
      mirror.views
        .messagePage('c1', 'me', 10)
        .messages.map((m) => m.id)
        .sort(),
    ).toEqual(['m1', 'm2', 'q1']);
    expect(mirror.search.search('hello', 'me', 10).map((hit) => hit.messageId)).toEqual(['m1']);
    mirror.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT local_id FROM messages ORDER BY local_id').pluck().all()).toEqual([3, 7, 9]);
    after.close();
  });

  it('refuses a mirror written by a newer version and leaves it untouched', () => {
    const path = tempFile();
    Mirror.open(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIRROR_MIGRATIONS.length + 1}`);
    db.close();
    expect(() => Mirror.open(path)).toThrow(DatabaseFromTheFutureError);
    const after = new Database(path);
    expect(after.pragma('user_version', { simple: true })).toBe(MIRROR_MIGRATIONS.length + 1);
    after.close();
  });
});

describe('mirror', () => {
  it('during a catch-up commits leave the WAL to grow; the first commit after it checkpoints the WAL into the file', () => {
    const path = tempFile();
    const mirror = Mirror.open(path);
    mirror.upsertConversation(conversation, 'me');
    const long = (seq: number) => ({ ...event(seq), text: `${seq} ${'x'.repeat(3_000)}` });
    mirror.deferCheckpoints(true);
    // About 6 MiB in pages of 100 messages: well past the 1,000 pages (4 MiB) a commit checkpoints at by default.
    for (let page = 0; page < 20; page += 1) {
      mirror.applyEvents(
        'c1',
        Array.from({ length: 100 }, (_, i) => long(page * 100 + i + 1)),
        'me',
      );
    }
    const fileBefore = statSync(path).size;
    expect(fileBefore).toBeLessThan(1024 * 1024);
    mirror.deferCheckpoints(false);
    mirror.applyEvents('c1', [long(2_001)], 'me');
    expect(statSync(path).size).toBeGreaterThan(6 * 1024 * 1024);
    // And the WAL is cut back once the checkpoint let it start over.
    mirror.applyEvents('c1', [long(2_002)], 'me');
    expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(4 * 1024 * 1024);
    mirror.close();
  });

  it('applies events idempotently, stops at a gap, and advances the cursor with them', () => {
    const mirror = Mirror.open(tempFile());
    mirror.upsertConversation(conversation, 'me');
    expect(mirror.applyEvents('c1', [event(1), event(2), event(4)], 'me')).toBe(2);
    expect(mirror.applyEvents('c1', [event(1), event(2)], 'me')).toBe(2);
    expect(mirror.applyEvents('c1', [event(3), event(4)], 'me')).toBe(4);
    expect(mirror.allMessages('c1').map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(mirror.cursor('c1')).toMatchObject({ appliedSeq: 4 });
    mirror.close();
  });

  it('never moves a watermark backwards', () => {
    const mirror = Mirror.open(tempFile());
    mirror.upsertConversation(conversation, 'me');
    mirror.raiseWatermarks('c1', 'peer', 5, 3);
    mirror.raiseWatermarks('c1', 'peer', 2, 1);
    mirror.upsertConversation(
      { ...conversation, members: [conversation.members[0]!, { ...conversation.members[1]!, deliveredSeq: 1, readSeq: 0 }] },
      'me',
    );
    expect(mirror.ownWatermarks('c1', 'peer')).toEqual({ deliveredSeq: 5, readSeq: 3 });
    mirror.close();
  });

  it('writes a message and its outbox row together, or neither', () => {
    const mirror = Mirror.open(tempFile());
    mirror.upsertConversation(conversation, 'me');
    mirror.enqueueMessage('c1', 'x1', 'me', 'hello', null, 10);
    // A second message with the same client id breaks the UNIQUE constraint of messages; the
    // outbox row of that attempt must not survive either.
    expect(() => mirror.enqueueMessage('c1', 'x1', 'me', 'again', null, 11)).toThrow();
    expect(mirror.outbox.pendingCount()).toBe(1);
    expect(mirror.allMessages('c1').map((m) => m.text)).toEqual(['hello']);
    mirror.close();
  });

  it('asks for a delivered receipt too when events arrived after what was read', () => {
    // Found by the simulation: read up to 1, then seq 2 arrived before the receipts went out. The
    // read receipt alone raised delivered to 1 only, and nothing sent delivered 2 afterwards.
    const mirror = Mirror.open(tempFile());
    mirror.upsertConversation({ ...conversation, lastSeq: 1 }, 'me');
    mirror.applyEvents('c1', [event(1)], 'me');
    mirror.confirmReceipt('c1', 'delivered', 1);
    mirror.markReadLocally('c1', 'me');
    mirror.applyEvents('c1', [event(2)], 'me');
    expect(mirror.unsentReceipts('me')).toEqual([
      { conversationId: 'c1', kind: 'read', seq: 1 },
      { conversationId: 'c1', kind: 'delivered', seq: 2 },
    ]);
    // Read at least as far as delivered: the read receipt covers both.
    mirror.markReadLocally('c1', 'me');
    expect(mirror.unsentReceipts('me')).toEqual([{ conversationId: 'c1', kind: 'read', seq: 2 }]);
    mirror.confirmReceipt('c1', 'read', 2);
    expect(mirror.unsentReceipts('me')).toEqual([]);
    mirror.close();
  });

  it('an acknowledged own message seen in catch-up leaves the outbox', () => {
    const mirror = Mirror.open(tempFile());
    mirror.upsertConversation(conversation, 'me');
    mirror.enqueueMessage('c1', 'm1', 'me', 'text 1', null, 10);
    expect(mirror.outbox.pendingCount()).toBe(1);
    mirror.applyEvents('c1', [event(1, 'me')], 'me');
    expect(mirror.outbox.pendingCount()).toBe(0);
    expect(mirror.allMessages('c1')).toEqual([{ seq: 1, clientMessageId: 'm1', senderId: 'me', text: 'text 1', state: 'sent' }]);
    mirror.close();
  });
});
