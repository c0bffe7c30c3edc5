import { directConversationId } from '../../common/conversation-ids.js';
import type { Migration } from '../../node/sqlite.js';

/**
 * The client mirror's schema, one numbered step at a time. Released steps are never edited;
 * each has a test in test/unit/client/mirror-migrations.test.ts.
 */
export const MIRROR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'session, users, conversations with cursors, members with watermarks, messages, outbox',
    up(db) {
      db.exec(`
        -- The signed-in account of this profile (at most one row).
        CREATE TABLE session (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          server_url TEXT NOT NULL,
          token TEXT,                       -- NULL after logging out; the rest stays for the next log-in
          user_id TEXT NOT NULL,
          username TEXT NOT NULL,
          display_name TEXT NOT NULL
        );

        CREATE TABLE users (
          id TEXT PRIMARY KEY,
          username TEXT NOT NULL,
          display_name TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE conversations (
          id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          -- Cursor: every event with seq <= applied_seq is in this mirror.
          applied_seq INTEGER NOT NULL DEFAULT 0,
          -- Highest seq the server has told us exists; above applied_seq means a catch-up is due.
          known_seq INTEGER NOT NULL DEFAULT 0,
          last_activity_at INTEGER NOT NULL,
          -- Our own watermarks as the server last confirmed them (ours live in members).
          delivered_seq_sent INTEGER NOT NULL DEFAULT 0,
          read_seq_sent INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX conversations_by_activity ON conversations(last_activity_at DESC);

        CREATE TABLE members (
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          user_id TEXT NOT NULL,
          delivered_seq INTEGER NOT NULL DEFAULT 0,
          read_seq INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;

        CREATE TABLE messages (
          local_id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          client_message_id TEXT NOT NULL,
          sender_id TEXT NOT NULL,
          text TEXT NOT NULL,
          seq INTEGER,                      -- NULL until the server acknowledges it
          state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
          error TEXT,
          created_at INTEGER NOT NULL,      -- local compose time (own) or server time (others)
          sent_at INTEGER,                  -- server time once stored
          UNIQUE (sender_id, client_message_id)
        );
        CREATE UNIQUE INDEX messages_by_seq ON messages(conversation_id, seq);

        -- One row per change still to reach the server, in composition order.
        CREATE TABLE outbox (
          id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          client_message_id TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL CHECK (kind IN ('send')),
          status TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT
        );
        CREATE INDEX outbox_by_conversation ON outbox(conversation_id, id);
      `);
    },
  },
  {
    version: 2,
    description: 'edits, deletes, reactions, replies; held events; outbox for every kind of change',
    up(db) {
      db.exec(`
        ALTER TABLE messages ADD COLUMN reply_to TEXT;          -- messageId of the message answered
        ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN edit_seq INTEGER;       -- seq of the edit whose text is shown
        ALTER TABLE messages ADD COLUMN edited_at INTEGER;
        -- A message's id (its author's client id) is unique within its conversation.
        CREATE UNIQUE INDEX messages_by_message_id ON messages(conversation_id, client_message_id);

        -- Every version of an edited message: the original (at the message's seq), then each edit.
        -- Unedited messages have no rows, so plain history costs nothing here.
        CREATE TABLE message_versions (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          text TEXT NOT NULL,
          at INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, message_id, seq)
        ) WITHOUT ROWID;

        -- Last-writer-wins by seq per (message, person, emoji); rows with on = 0 remember removals
        -- so an older event applied late cannot resurrect a reaction.
        CREATE TABLE reactions (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          emoji TEXT NOT NULL,
          seq INTEGER NOT NULL,
          on_ INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, message_id, user_id, emoji)
        ) WITHOUT ROWID;

        -- Changes whose target message is not in the mirror yet; applied when it arrives.
        CREATE TABLE held_events (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          event TEXT NOT NULL,
          PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX held_events_by_target ON held_events(conversation_id, message_id);

        -- The outbox now carries every kind of change. SQLite cannot alter a CHECK constraint, so
        -- the table is rebuilt; queued sends keep their ids and therefore their order.
        CREATE TABLE outbox_v2 (
          id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          client_id TEXT NOT NULL UNIQUE,      -- the message id for a send, the change id otherwise
          kind TEXT NOT NULL CHECK (kind IN ('send', 'edit', 'delete', 'reaction')),
          message_id TEXT NOT NULL,            -- the message sent or changed
          payload TEXT NOT NULL DEFAULT '{}',  -- edit: {"text"}; reaction: {"emoji","on"}
          status TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT
        );
        INSERT INTO outbox_v2 (id, conversation_id, client_id, kind, message_id, status, attempts, next_attempt_at, last_error)
          SELECT id, conversation_id, client_message_id, 'send', client_message_id, status, attempts, next_attempt_at, last_error
          FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_v2 RENAME TO outbox;
        CREATE INDEX outbox_by_conversation ON outbox(conversation_id, id);
        CREATE INDEX outbox_by_message ON outbox(conversation_id, message_id);
      `);
    },
  },
  {
    version: 3,
    description: 'conversation rows carry the peer, a preview of the newest message and the unread count',
    up(db) {
      db.exec(`
        -- Kept up to date as events are applied, so listing 10,000 conversations reads one row each
        -- (and the users table) instead of searching every conversation's members and messages.
        ALTER TABLE conversations ADD COLUMN peer_id TEXT;
        ALTER TABLE conversations ADD COLUMN last_message_local_id INTEGER;
        ALTER TABLE conversations ADD COLUMN last_preview TEXT;      -- the start of the newest message's text
        ALTER TABLE conversations ADD COLUMN last_sender_id TEXT;
        ALTER TABLE conversations ADD COLUMN last_at INTEGER;
        ALTER TABLE conversations ADD COLUMN last_deleted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN unread_count INTEGER NOT NULL DEFAULT 0;
        UPDATE conversations SET
          peer_id = (SELECT user_id FROM members m WHERE m.conversation_id = conversations.id
                       AND m.user_id != COALESCE((SELECT user_id FROM session WHERE id = 1), '') LIMIT 1),
          unread_count = (
            SELECT COUNT(*) FROM messages x
            WHERE x.conversation_id = conversations.id
              AND x.sender_id != COALESCE((SELECT user_id FROM session WHERE id = 1), '')
              AND x.seq > COALESCE((SELECT read_seq FROM members m WHERE m.conversation_id = conversations.id
                                      AND m.user_id = (SELECT user_id FROM session WHERE id = 1)), 0));
        -- Covers the list query, so listing reads the index alone, in order, with no table lookups.
        CREATE INDEX conversations_list ON conversations(
          last_activity_at DESC, id, unread_count, peer_id, last_preview, last_sender_id, last_at, last_deleted);
        -- The views overlay queued edits, deletes and reactions; sends are most of a long queue.
        CREATE INDEX outbox_changes ON outbox(conversation_id, id) WHERE kind != 'send';
      `);
      // The preview columns as refreshLastMessage filled them when this step was released (it
      // has learnt more columns since, which do not exist yet at this step).
      db.exec(`
        UPDATE conversations SET last_message_local_id = COALESCE(
          (SELECT local_id FROM messages l WHERE l.conversation_id = conversations.id AND l.seq IS NULL ORDER BY l.local_id DESC LIMIT 1),
          (SELECT local_id FROM messages l WHERE l.conversation_id = conversations.id AND l.seq IS NOT NULL ORDER BY l.seq DESC LIMIT 1));
        UPDATE conversations SET
          last_preview = (SELECT substr(text, 1, 160) FROM messages WHERE local_id = conversations.last_message_local_id),
          last_sender_id = (SELECT sender_id FROM messages WHERE local_id = conversations.last_message_local_id),
          last_at = (SELECT COALESCE(sent_at, created_at) FROM messages WHERE local_id = conversations.last_message_local_id),
          last_deleted = COALESCE((SELECT deleted FROM messages WHERE local_id = conversations.last_message_local_id), 0);
      `);
    },
  },
  {
    version: 4,
    description:
      'groups: names, roles, membership as history, notices; direct ids derived from the pair; outbox for group changes',
    rebuildsReferencedTables: true,
    up(db) {
      // Direct conversations take the id derived from their pair, as the server's migration 3
      // does, so both sides agree without asking (and an offline start finds the same one).
      const self = db.prepare('SELECT user_id FROM session WHERE id = 1').pluck().get() as string | undefined;
      const directs = db.prepare("SELECT id, peer_id FROM conversations WHERE kind = 'direct' AND peer_id IS NOT NULL").all() as {
        id: string;
        peer_id: string;
      }[];
      const tables = [
        'conversations:id',
        'members:conversation_id',
        'messages:conversation_id',
        'message_versions:conversation_id',
        'reactions:conversation_id',
        'held_events:conversation_id',
        'outbox:conversation_id',
      ];
      for (const direct of directs) {
        if (!self || self === direct.peer_id) continue;
        const derived = directConversationId(self, direct.peer_id);
        if (derived === direct.id) continue;
        for (const entry of tables) {
          const [table, column] = entry.split(':') as [string, string];
          db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${column} = ?`).run(derived, direct.id);
        }
        // Held events keep the whole event, whose conversationId must follow.
        db.prepare("UPDATE held_events SET event = json_set(event, '$.conversationId', ?) WHERE conversation_id = ?").run(
          derived,
          derived,
        );
      }
      db.exec(`
        -- The group's name, last-writer-wins by the seq of the event (or snapshot) that set it.
        ALTER TABLE conversations ADD COLUMN name TEXT;
        ALTER TABLE conversations ADD COLUMN name_seq INTEGER NOT NULL DEFAULT 0;
        -- Whether we are a member now; a former member keeps the history up to their removal.
        ALTER TABLE conversations ADD COLUMN is_member INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE conversations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
        -- Unread messages that mention us (@username), kept like unread_count.
        ALTER TABLE conversations ADD COLUMN unread_mentions INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN last_sender_name TEXT;
        UPDATE conversations SET member_count = (SELECT COUNT(*) FROM members m WHERE m.conversation_id = conversations.id);
        UPDATE conversations SET last_sender_name = (SELECT display_name FROM users WHERE id = conversations.last_sender_id);

        -- Members stay listed after they leave (active = 0), so a late event about them is judged
        -- by seq: role and active are last-writer-wins by membership_seq, the seq of the event (or
        -- of the server's snapshot) that last set them.
        ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
        ALTER TABLE members ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE members ADD COLUMN membership_seq INTEGER NOT NULL DEFAULT 0;
        -- The seq of the event that (last) added them; 0 when they were there before what we hold.
        ALTER TABLE members ADD COLUMN joined_seq INTEGER NOT NULL DEFAULT 0;
        -- Member order: who joined earlier is listed earlier (creator first).
        ALTER TABLE members ADD COLUMN join_order INTEGER NOT NULL DEFAULT 0;

        -- Membership events, kept whole (and checked against the protocol's schema when read) to
        -- show as notices between messages.
        CREATE TABLE notices (
          conversation_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          event TEXT NOT NULL,
          PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;

        DROP INDEX conversations_list;
        CREATE INDEX conversations_list ON conversations(
          last_activity_at DESC, id, kind, name, unread_count, unread_mentions, member_count, is_member, peer_id,
          last_preview, last_sender_id, last_sender_name, last_at, last_deleted);

        -- The outbox also carries the creation of conversations made offline and changes to
        -- groups; those are about no message (message_id NULL). Rebuilt for the CHECK; ids, and
        -- so the order, are kept.
        CREATE TABLE outbox_v4 (
          id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          client_id TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL CHECK (kind IN ('send', 'edit', 'delete', 'reaction', 'create',
                                             'add_members', 'remove_member', 'leave', 'rename', 'set_role')),
          message_id TEXT,
          payload TEXT NOT NULL DEFAULT '{}',
          status TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT
        );
        INSERT INTO outbox_v4 SELECT id, conversation_id, client_id, kind, message_id, payload, status, attempts,
          next_attempt_at, last_error FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_v4 RENAME TO outbox;
        CREATE INDEX outbox_by_conversation ON outbox(conversation_id, id);
        CREATE INDEX outbox_by_message ON outbox(conversation_id, message_id);
        CREATE INDEX outbox_changes ON outbox(conversation_id, id) WHERE kind != 'send';
      `);
    },
  },
  {
    version: 5,
    description: 'attachments: per message, with their upload and download state; the server limits from its welcome',
    up(db) {
      db.exec(`
        -- One row per file of a message, in the order shown (ordinal). Own files are in the
        -- profile's store from compose on and are uploaded (upload_*); received files are
        -- downloaded (download_*). Deleting a message for everyone removes its rows.
        CREATE TABLE attachments (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          ordinal INTEGER NOT NULL,
          attachment_id TEXT,                -- the server's id; NULL until our upload finished
          sha256 TEXT NOT NULL,
          size INTEGER NOT NULL,
          name TEXT NOT NULL,
          mime TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('image', 'voice', 'file')),
          width INTEGER,
          height INTEGER,
          preview TEXT,
          duration_ms INTEGER,
          -- Own files only (NULL state for received ones): the tus upload's URL once created, so a
          -- restart resumes it, and the offset the server last confirmed.
          upload_url TEXT,
          upload_offset INTEGER NOT NULL DEFAULT 0,
          upload_state TEXT CHECK (upload_state IN ('pending', 'done', 'failed')),
          upload_error TEXT,
          -- 'done' once the verified bytes are in the store (own files: from compose on).
          download_state TEXT NOT NULL DEFAULT 'none' CHECK (download_state IN ('none', 'queued', 'active', 'done', 'failed')),
          download_error TEXT,
          PRIMARY KEY (conversation_id, message_id, ordinal)
        ) WITHOUT ROWID;
        CREATE INDEX attachments_uploading ON attachments(upload_state) WHERE upload_state = 'pending';
        CREATE INDEX attachments_downloading ON attachments(download_state) WHERE download_state IN ('queued', 'active');
        CREATE INDEX attachments_by_sha256 ON attachments(sha256);

        -- What the server said about itself in its welcome (JSON, checked when read): its per-file limit.
        ALTER TABLE session ADD COLUMN server_limits TEXT;

        -- The newest message's first file, which the list shows when it has no text ("Photo", a name).
        ALTER TABLE conversations ADD COLUMN last_attachment_kind TEXT;
        ALTER TABLE conversations ADD COLUMN last_attachment_name TEXT;
        DROP INDEX conversations_list;
        CREATE INDEX conversations_list ON conversations(
          last_activity_at DESC, id, kind, name, unread_count, unread_mentions, member_count, is_member, peer_id,
          last_preview, last_sender_id, last_sender_name, last_at, last_deleted, last_attachment_kind, last_attachment_name);
      `);
    },
  },
  {
    version: 6,
    description: 'conversations: the seq of the last member snapshot, so older membership events cannot undo it',
    up(db) {
      db.exec(`
        -- The member list is known whole as of this seq (the server's last snapshot of it): a
        -- membership event at or before it is already in the list and must not change it.
        ALTER TABLE conversations ADD COLUMN members_seq INTEGER NOT NULL DEFAULT 0;
      `);
    },
  },
  {
    version: 7,
    description: 'full-text search: an FTS5 index of message texts and file names, filled from history',
    up(db) {
      db.exec(`
        -- One row per message (rowid = messages.local_id): its current text ('' once deleted) and
        -- the names of its files. Contentless (the texts live in messages), with deletes allowed,
        -- so an edit replaces the row and a delete empties it. Case is folded in every script and
        -- Latin accents are removed; no positions are kept (searches are for words, never
        -- phrases), and two- and three-character prefixes are indexed for prefix search.
        CREATE VIRTUAL TABLE message_search USING fts5(
          text, names,
          content = '', contentless_delete = 1, detail = none,
          tokenize = 'unicode61 remove_diacritics 2',
          prefix = '2 3'
        );

        -- Messages whose row in the index is due, noted by triggers on every write to a message or
        -- its files (received, acknowledged, composed, edited, deleted, withdrawn) and indexed by
        -- one statement at the end of the transaction that wrote them (MessageSearch.flush): an
        -- FTS5 write inside a trigger flushes the index at every statement and costs five times more.
        CREATE TABLE search_pending (local_id INTEGER PRIMARY KEY) WITHOUT ROWID;
        CREATE TRIGGER search_pending_insert AFTER INSERT ON messages BEGIN
          INSERT OR IGNORE INTO search_pending (local_id) VALUES (new.local_id);
        END;
        CREATE TRIGGER search_pending_update AFTER UPDATE OF text, deleted ON messages BEGIN
          INSERT OR IGNORE INTO search_pending (local_id) VALUES (new.local_id);
        END;
        CREATE TRIGGER search_pending_delete AFTER DELETE ON messages BEGIN
          INSERT OR IGNORE INTO search_pending (local_id) VALUES (old.local_id);
        END;
        CREATE TRIGGER search_pending_file_added AFTER INSERT ON attachments BEGIN
          INSERT OR IGNORE INTO search_pending (local_id)
          SELECT local_id FROM messages WHERE conversation_id = new.conversation_id AND client_message_id = new.message_id;
        END;
        CREATE TRIGGER search_pending_file_removed AFTER DELETE ON attachments BEGIN
          INSERT OR IGNORE INTO search_pending (local_id)
          SELECT local_id FROM messages WHERE conversation_id = old.conversation_id AND client_message_id = old.message_id;
        END;

        -- The history already here.
        INSERT INTO message_search (rowid, text, names)
        SELECT m.local_id, m.text, COALESCE((SELECT group_concat(a.name, ' ') FROM attachments a
                 WHERE a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id), '')
        FROM messages m WHERE m.deleted = 0;
      `);
    },
  },
  {
    version: 8,
    description: 'forwarded messages: the name of the original author',
    up(db) {
      db.exec(`
        -- A forward's original author as its event names them (the server's word once it is
        -- stored); NULL for every other message, and once deleted. Nothing to fill in: no message
        -- before this step is a forward.
        ALTER TABLE messages ADD COLUMN forwarded_from TEXT;
      `);
    },
  },
  {
    version: 9,
    description: 'search index: the mirror notes what it writes instead of row triggers',
    up(db) {
      db.exec(`
        -- Row triggers on messages cost a fifth of catch-up's throughput even when they do nothing;
        -- the code that writes a message now notes it for the index itself (MessageSearch). What
        -- the triggers noted is indexed first (normally nothing: every transaction flushed it).
        DELETE FROM message_search WHERE rowid IN (
          SELECT p.local_id FROM search_pending p
          WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.local_id = p.local_id AND m.deleted = 0));
        INSERT OR REPLACE INTO message_search (rowid, text, names)
        SELECT m.local_id, m.text, COALESCE((SELECT group_concat(a.name, ' ') FROM attachments a
                 WHERE a.conversation_id = m.conversation_id AND a.message_id = m.client_message_id), '')
        FROM search_pending p JOIN messages m ON m.local_id = p.local_id WHERE m.deleted = 0;
        DROP TRIGGER search_pending_insert;
        DROP TRIGGER search_pending_update;
        DROP TRIGGER search_pending_delete;
        DROP TRIGGER search_pending_file_added;
        DROP TRIGGER search_pending_file_removed;
        DROP TABLE search_pending;
      `);
    },
  },
  {
    version: 10,
    description: 'pins, personal settings (archive, mute, drafts, blocks) with the device id, link previews',
    up(db) {
      db.exec(`
        -- Pins: the latest pin event of a message (by seq) is its state; rows with on_ = 0 remember
        -- an unpin so an older event applied late cannot pin it again. A deleted message has none.
        CREATE TABLE pins (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          on_ INTEGER NOT NULL,
          pinned_by TEXT NOT NULL,          -- who sent the latest pin event
          pinned_at INTEGER NOT NULL,       -- its server time
          PRIMARY KEY (conversation_id, message_id)
        ) WITHOUT ROWID;
        CREATE INDEX pins_shown ON pins(conversation_id, seq) WHERE on_ = 1;

        -- Personal settings, one last-writer-wins register per settingKey (settings.ts): the value
        -- shown here (JSON of the setting's value, checked against settingSchema when read), who
        -- wrote it when (at, by), and the server's version of it (0: not confirmed yet). pending =
        -- 1 while this device's latest write has not been confirmed; repeated writes to a register
        -- coalesce into that one row, so only the latest value is ever sent. send_error holds a
        -- refusal (skipped until the next connection or the next write; never dropped).
        CREATE TABLE settings (
          key TEXT PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('archived', 'muted', 'draft', 'blocked')),
          conversation_id TEXT,
          user_id TEXT,
          value TEXT NOT NULL,
          at INTEGER NOT NULL,
          by TEXT NOT NULL,
          version INTEGER NOT NULL DEFAULT 0,
          pending INTEGER NOT NULL DEFAULT 0,
          send_error TEXT,
          CHECK ((conversation_id IS NULL) != (user_id IS NULL))
        ) WITHOUT ROWID;
        CREATE INDEX settings_pending ON settings(at) WHERE pending = 1;
        CREATE INDEX settings_by_kind ON settings(kind, user_id);

        -- Small facts about this profile: its device id (random, the 'by' of its settings writes;
        -- kept across accounts) and the settings cursor (highest settings version pulled).
        CREATE TABLE meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- The sender's preview of a link (JSON, checked against linkPreviewSchema when read); NULL
        -- when none, and once deleted.
        ALTER TABLE messages ADD COLUMN link_preview TEXT;

        -- What the conversation list shows of the settings, kept with the registers (one row per
        -- conversation stays one read): archived {on, seq}, muted, the draft's start, and for a
        -- direct conversation whether we blocked the peer. last_incoming_seq is the newest message
        -- from someone else (a later one brings an unmuted conversation back from the archive).
        ALTER TABLE conversations ADD COLUMN last_incoming_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN archived_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN draft_preview TEXT;
        ALTER TABLE conversations ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
        UPDATE conversations SET last_incoming_seq = COALESCE(
          (SELECT m.seq FROM messages m WHERE m.conversation_id = conversations.id AND m.seq IS NOT NULL
             AND m.sender_id != COALESCE((SELECT user_id FROM session WHERE id = 1), '')
           ORDER BY m.seq DESC LIMIT 1), 0);
        DROP INDEX conversations_list;
        CREATE INDEX conversations_list ON conversations(
          last_activity_at DESC, id, kind, name, unread_count, unread_mentions, member_count, is_member, peer_id,
          last_preview, last_sender_id, last_sender_name, last_at, last_deleted, last_attachment_kind, last_attachment_name,
          archived, archived_seq, muted, last_incoming_seq, draft_preview, blocked);

        -- Pins are queued like every change. Rebuilt for the CHECK; ids, and so the order, are kept.
        CREATE TABLE outbox_v10 (
          id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          client_id TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL CHECK (kind IN ('send', 'edit', 'delete', 'reaction', 'pin', 'create',
                                             'add_members', 'remove_member', 'leave', 'rename', 'set_role')),
          message_id TEXT,
          payload TEXT NOT NULL DEFAULT '{}',
          status TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT
        );
        INSERT INTO outbox_v10 SELECT id, conversation_id, client_id, kind, message_id, payload, status, attempts,
          next_attempt_at, last_error FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_v10 RENAME TO outbox;
        CREATE INDEX outbox_by_conversation ON outbox(conversation_id, id);
        CREATE INDEX outbox_by_message ON outbox(conversation_id, message_id);
        CREATE INDEX outbox_changes ON outbox(conversation_id, id) WHERE kind != 'send';
      `);
    },
  },
  {
    version: 11,
    description: 'settings about the person themselves (show_online: "Show when I\'m online")',
    up(db) {
      db.exec(`
        -- Rebuilt for the CHECKs: a setting about the person themselves names neither a
        -- conversation nor a person. Rows are kept as they are.
        CREATE TABLE settings_v11 (
          key TEXT PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('archived', 'muted', 'draft', 'blocked', 'show_online')),
          conversation_id TEXT,
          user_id TEXT,
          value TEXT NOT NULL,
          at INTEGER NOT NULL,
          by TEXT NOT NULL,
          version INTEGER NOT NULL DEFAULT 0,
          pending INTEGER NOT NULL DEFAULT 0,
          send_error TEXT,
          CHECK (conversation_id IS NULL OR user_id IS NULL),
          CHECK ((kind = 'show_online') = (conversation_id IS NULL AND user_id IS NULL))
        ) WITHOUT ROWID;
        INSERT INTO settings_v11 SELECT key, kind, conversation_id, user_id, value, at, by, version, pending, send_error
          FROM settings;
        DROP TABLE settings;
        ALTER TABLE settings_v11 RENAME TO settings;
        CREATE INDEX settings_pending ON settings(at) WHERE pending = 1;
        CREATE INDEX settings_by_kind ON settings(kind, user_id);
      `);
    },
  },
  {
    version: 12,
    description: 'file_keys: the per-file keys attachment files are encrypted with on disk',
    up(db) {
      db.exec(`
        -- One row per sealed file, found by the key id in its header (sync/client/attachments/sealed-file.ts).
        CREATE TABLE file_keys (
          key_id TEXT PRIMARY KEY CHECK (length(key_id) = 32),
          key BLOB NOT NULL CHECK (length(key) = 32)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 13,
    description: 'search index: a watermark, messages above it indexed after the transactions that wrote them',
    up(db) {
      db.exec(`
        -- Every message up to this local id is in the index (MessageSearch): all of them so far,
        -- since every transaction indexed what it wrote. Newer ones are indexed after the writes
        -- that brought them, and by any search before it looks.
        INSERT OR IGNORE INTO meta (key, value)
        SELECT 'search_indexed_to', CAST(COALESCE(MAX(local_id), 0) AS TEXT) FROM messages;
      `);
    },
  },
  {
    version: 14,
    description: "messages: the state's CHECK as comparisons, not an IN list",
    up(db) {
      db.exec(`
        -- SQLite codes a CHECK's IN list of three values as a temporary b-tree, built again for
        -- every row inserted: a quarter of a message insert's cost in a catch-up (8.2 µs a row
        -- with it, 6.1 without, in a one-off measurement). Three comparisons allow exactly the same
        -- values. SQLite cannot alter a CHECK, so the table is rebuilt, with the same columns in
        -- the same order and the same local ids: the search index and the conversations' newest
        -- message refer to rows by local id. Nothing refers to messages by foreign key.
        CREATE TABLE messages_v14 (
          local_id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          client_message_id TEXT NOT NULL,
          sender_id TEXT NOT NULL,
          text TEXT NOT NULL,
          seq INTEGER,                      -- NULL until the server acknowledges it
          state TEXT NOT NULL CHECK (state = 'sending' OR state = 'sent' OR state = 'failed'),
          error TEXT,
          created_at INTEGER NOT NULL,      -- local compose time (own) or server time (others)
          sent_at INTEGER,                  -- server time once stored
          reply_to TEXT,                    -- messageId of the message answered
          deleted INTEGER NOT NULL DEFAULT 0,
          edit_seq INTEGER,                 -- seq of the edit whose text is shown
          edited_at INTEGER,
          forwarded_from TEXT,              -- a forward's original author (migration 8)
          link_preview TEXT,                -- the sender's link preview as JSON (migration 10)
          UNIQUE (sender_id, client_message_id)
        );
        INSERT INTO messages_v14 (local_id, conversation_id, client_message_id, sender_id, text, seq, state, error,
            created_at, sent_at, reply_to, deleted, edit_seq, edited_at, forwarded_from, link_preview)
          SELECT local_id, conversation_id, client_message_id, sender_id, text, seq, state, error,
            created_at, sent_at, reply_to, deleted, edit_seq, edited_at, forwarded_from, link_preview
          FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_v14 RENAME TO messages;
        CREATE UNIQUE INDEX messages_by_seq ON messages(conversation_id, seq);
        CREATE UNIQUE INDEX messages_by_message_id ON messages(conversation_id, client_message_id);
      `);
    },
  },
  {
    version: 15,
    description: "messages: one key for a message's identity, (conversation, message id)",
    up(db) {
      db.exec(`
        -- A received message is matched to the copy already here by (conversation, message id),
        -- the key the server also keeps for messages, and the one that changes, replies,
        -- attachments and the search already use. The second key, (sender, message id), was a
        -- fourth B-tree written at every insert (about 1.5 µs of a catch-up's 10 a message) that
        -- only repeated a rule the server enforces over every conversation, and which a mirror
        -- holding some of them cannot check anyway. It is an inline constraint, so the table is
        -- rebuilt as in migration 14: same columns, same order, same local ids.
        CREATE TABLE messages_v15 (
          local_id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          client_message_id TEXT NOT NULL,
          sender_id TEXT NOT NULL,
          text TEXT NOT NULL,
          seq INTEGER,                      -- NULL until the server acknowledges it
          state TEXT NOT NULL CHECK (state = 'sending' OR state = 'sent' OR state = 'failed'),
          error TEXT,
          created_at INTEGER NOT NULL,      -- local compose time (own) or server time (others)
          sent_at INTEGER,                  -- server time once stored
          reply_to TEXT,                    -- messageId of the message answered
          deleted INTEGER NOT NULL DEFAULT 0,
          edit_seq INTEGER,                 -- seq of the edit whose text is shown
          edited_at INTEGER,
          forwarded_from TEXT,              -- a forward's original author (migration 8)
          link_preview TEXT                 -- the sender's link preview as JSON (migration 10)
        );
        INSERT INTO messages_v15 (local_id, conversation_id, client_message_id, sender_id, text, seq, state, error,
            created_at, sent_at, reply_to, deleted, edit_seq, edited_at, forwarded_from, link_preview)
          SELECT local_id, conversation_id, client_message_id, sender_id, text, seq, state, error,
            created_at, sent_at, reply_to, deleted, edit_seq, edited_at, forwarded_from, link_preview
          FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_v15 RENAME TO messages;
        CREATE UNIQUE INDEX messages_by_seq ON messages(conversation_id, seq);
        CREATE UNIQUE INDEX messages_by_message_id ON messages(conversation_id, client_message_id);
      `);
    },
  },
  {
    version: 16,
    description: 'message requests on the conversation rows; settings kinds checked by the schema when read, not by a list',
    up(db) {
      db.exec(`
        -- A message request (protocol/request-rules.ts): who it came from (the server's word, NULL
        -- for an ordinary conversation) and our answer as the 'request' register says it
        -- ('accepted' or 'deleted' at request_seq), kept on the row like the other settings so
        -- the list stays one row per conversation. Every existing conversation is an ordinary one.
        ALTER TABLE conversations ADD COLUMN request_from TEXT;
        ALTER TABLE conversations ADD COLUMN request_answer TEXT;
        ALTER TABLE conversations ADD COLUMN request_seq INTEGER NOT NULL DEFAULT 0;
        DROP INDEX conversations_list;
        CREATE INDEX conversations_list ON conversations(
          last_activity_at DESC, id, kind, name, unread_count, unread_mentions, member_count, is_member, peer_id,
          last_preview, last_sender_id, last_sender_name, last_at, last_deleted, last_attachment_kind, last_attachment_name,
          archived, archived_seq, muted, last_incoming_seq, draft_preview, blocked, request_from, request_answer, request_seq);

        -- Rebuilt without the list of kinds in a CHECK, which every new kind of setting had to
        -- repeat: a register is checked against the protocol's schema whenever it is read back
        -- (settings-store.ts). Rows are kept as they are.
        CREATE TABLE settings_v16 (
          key TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          conversation_id TEXT,
          user_id TEXT,
          value TEXT NOT NULL,
          at INTEGER NOT NULL,
          by TEXT NOT NULL,
          version INTEGER NOT NULL DEFAULT 0,
          pending INTEGER NOT NULL DEFAULT 0,
          send_error TEXT,
          CHECK (conversation_id IS NULL OR user_id IS NULL)
        ) WITHOUT ROWID;
        INSERT INTO settings_v16 SELECT key, kind, conversation_id, user_id, value, at, by, version, pending, send_error
          FROM settings;
        DROP TABLE settings;
        ALTER TABLE settings_v16 RENAME TO settings;
        CREATE INDEX settings_pending ON settings(at) WHERE pending = 1;
        CREATE INDEX settings_by_kind ON settings(kind, user_id);
      `);
    },
  },
  {
    version: 17,
    description: 'fewer indexes written by every message: none on activity alone, none on the outbox by message',
    up(db) {
      db.exec(`
        -- conversations_list begins with the same column and covers every query that orders by
        -- it, so this one was never read; yet every composed, acknowledged or received message moves
        -- the conversation's activity, and so wrote one more page of it.
        DROP INDEX conversations_by_activity;
        -- Every message composed and acknowledged wrote a page of this one, read only when a
        -- person changes a queued message. A send's row is found by its client id (the message's
        -- id, unique), changes to a message among the conversation's queued changes (outbox_changes).
        DROP INDEX outbox_by_message;
      `);
    },
  },
  {
    version: 18,
    description: "the Signal Protocol's state on this device: sessions, peers' identities, prekeys, sender keys",
    up(db) {
      db.exec(`
        -- libsignal's records, opaque to everything but sync/client/crypto, kept in the (encrypted)
        -- mirror so a decrypted message and the ratchet state that decrypted it commit together.
        -- Addresses are "<user id>.<device number>".
        CREATE TABLE signal_sessions (address TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
        -- One identity per person (their devices share it); changed_at: when it last changed.
        CREATE TABLE signal_identities (
          user_id TEXT PRIMARY KEY,
          public_key BLOB NOT NULL,
          first_seen_at INTEGER NOT NULL,
          changed_at INTEGER,
          verified INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE signal_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);
        CREATE TABLE signal_signed_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL, created_at INTEGER NOT NULL);
        CREATE TABLE signal_kyber_prekeys (
          id INTEGER PRIMARY KEY,
          record BLOB NOT NULL,
          last_resort INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        );
        -- A last-resort Kyber key is used many times, never twice with the same base key (a replay).
        CREATE TABLE signal_kyber_uses (
          kyber_id INTEGER NOT NULL,
          signed_prekey_id INTEGER NOT NULL,
          base_key BLOB NOT NULL,
          PRIMARY KEY (kyber_id, signed_prekey_id, base_key)
        ) WITHOUT ROWID;
        CREATE TABLE signal_sender_keys (
          address TEXT NOT NULL,
          distribution_id TEXT NOT NULL,
          record BLOB NOT NULL,
          PRIMARY KEY (address, distribution_id)
        ) WITHOUT ROWID;
        -- This device: its registration id, and the next id of each kind of prekey it makes.
        CREATE TABLE signal_device (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          registration_id INTEGER NOT NULL,
          next_prekey_id INTEGER NOT NULL,
          next_signed_prekey_id INTEGER NOT NULL,
          next_kyber_prekey_id INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 19,
    description:
      'the device inbox: envelopes for other devices awaiting the server, and envelopes dealt with awaiting its acknowledgement',
    up(db) {
      db.exec(`
        -- A send to other devices (crypto/device-sender.ts), written with the ratchet state that
        -- encrypted it and deleted when the server has it: the content, to encrypt again for
        -- devices the server says were missed, and the envelopes as last encrypted.
        CREATE TABLE signal_outgoing (
          client_id TEXT PRIMARY KEY,
          content BLOB NOT NULL,
          recipients TEXT NOT NULL,   -- JSON: the user ids it goes to
          envelopes TEXT NOT NULL,    -- JSON: the send_to_devices envelopes
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Inbox envelopes this device has dealt with (in the transaction that stored what they
        -- said), until the server confirms it deleted them: one delivered again is only acknowledged.
        CREATE TABLE signal_inbox_done (
          envelope_id TEXT PRIMARY KEY,
          done_at INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 20,
    description: "this device's sender keys: the current one per conversation, and who was sent it",
    up(db) {
      db.exec(`
        -- The sender key this device writes under in a conversation (crypto/sender-keys.ts), by
        -- libsignal's distribution id; its chain lives in signal_sender_keys. A new one replaces it
        -- when someone who was sent it is no longer a member.
        CREATE TABLE sender_key_epochs (
          conversation_id TEXT PRIMARY KEY,
          distribution_id TEXT NOT NULL,
          started_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- The people whose devices were sent a sender key (queued to the device inbox, which
        -- delivers what it queued): the account itself, for its other devices, included.
        CREATE TABLE sender_key_holders (
          distribution_id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          PRIMARY KEY (distribution_id, user_id)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 21,
    description: 'conversation envelopes as the server ordered them, waiting to be opened',
    up(db) {
      db.exec(`
        -- Each envelope event (protocol/envelope-frames.ts), stored by the event applier in the
        -- transaction that moves the conversation's cursor, to be opened in seq order. A later
        -- copy deleted for everyone empties it (ciphertext '', no attachments, deleted 1).
        CREATE TABLE envelopes_waiting (
          conversation_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          sender_id TEXT NOT NULL,
          sender_device INTEGER NOT NULL,
          client_id TEXT NOT NULL,
          ciphertext TEXT NOT NULL,
          attachments TEXT NOT NULL,  -- JSON: the upload ids it refers to
          deleted INTEGER NOT NULL,
          sent_at INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 22,
    description: 'safety numbers: the identity key verified per person, and changes to ask about before sending',
    up(db) {
      db.exec(`
        -- Per person (mirror/identity-trust.ts): the identity key this account verified (NULL: not
        -- verified), and ask_before_send: their key changed while verified, and the composer asks
        -- before the next send to them ("Send anyway" clears it until the next change). Notices of
        -- a change go in notices, between the events they came after.
        CREATE TABLE identity_trust (
          user_id TEXT PRIMARY KEY,
          verified_key BLOB,
          verified_at INTEGER,
          ask_before_send INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        -- Verification lives in identity_trust, with the key verified; nothing set this flag.
        ALTER TABLE signal_identities DROP COLUMN verified;
      `);
    },
  },
  {
    version: 23,
    description: 'seal at send: the sealed envelope of an outbox row, kept once sealed',
    up(db) {
      db.exec(`
        -- The envelope a row went as (outbox-sender.ts), written in the transaction that stores the
        -- sender key's new state: a row sent again goes as the same envelope, and no chain state
        -- seals twice. NULL until the row is first sealed, and again when its content changes
        -- (its files uploaded again), or the conversation's devices changed (sealed_devices_version:
        -- the devices version it was sealed for, protocol/conversation-devices.ts).
        ALTER TABLE outbox ADD COLUMN sealed TEXT;
        ALTER TABLE outbox ADD COLUMN sealed_devices_version INTEGER;
      `);
    },
  },
  {
    version: 24,
    description: 'asking again for envelopes that did not open, and what this device sent, to send again',
    up(db) {
      db.exec(`
        -- What this device sealed in a conversation, by the envelope's client id
        -- (mirror/sent-content.ts): the Content as JSON, to send again to a member's device that
        -- could not open it. Kept 24 hours; gone at once when the message is deleted for everyone.
        CREATE TABLE sent_content (
          conversation_id TEXT NOT NULL,
          client_id TEXT NOT NULL,
          content TEXT NOT NULL,
          sent_at INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, client_id)
        ) WITHOUT ROWID;
        CREATE INDEX sent_content_by_time ON sent_content(sent_at);
        -- The devices that content was sent again to, once each (a request again is not answered).
        CREATE TABLE sent_content_resends (
          conversation_id TEXT NOT NULL,
          client_id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          device_number INTEGER NOT NULL,
          resent_at INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, client_id, user_id, device_number)
        ) WITHOUT ROWID;
        -- Envelopes of envelopes_waiting this device asked their sender's device to send again
        -- (crypto/resend-asker.ts), once each; given_up 1 when no answer came in time or the sender
        -- could not, and the envelope shows as undecryptable (a notice at its seq).
        CREATE TABLE resend_requests (
          conversation_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          asked_at INTEGER NOT NULL,
          given_up INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 25,
    description: "attachments: each file's own key, sent in the encrypted message with the file's digest",
    up(db) {
      db.exec(`
        -- The base64 AES-256 key of an encrypted file (protocol/attachments.ts); NULL for a plain
        -- file from before encryption, whose size and sha256 are then its plaintext's.
        ALTER TABLE attachments ADD COLUMN file_key TEXT;
      `);
    },
  },
  {
    version: 26,
    description: "sender-key holders per device, and each conversation's devices as the server last said",
    up(db) {
      db.exec(`
        -- The devices this device's sender key was handed to (crypto/sender-keys.ts), each by its
        -- registration id: a number a new device took is another device. Holders were kept per
        -- person before, which cannot tell a person's new device, or a gone one, from the rest: every
        -- key from then is retired, so the next seal starts one handed to each current device.
        DROP TABLE sender_key_holders;
        DELETE FROM sender_key_epochs;
        CREATE TABLE sender_key_holders (
          distribution_id TEXT NOT NULL,
          user_id TEXT NOT NULL,
          device_number INTEGER NOT NULL,
          registration_id INTEGER NOT NULL,
          PRIMARY KEY (distribution_id, user_id, device_number)
        ) WITHOUT ROWID;
        -- A conversation's members' devices with keys, at the devices version the server named in its
        -- last conversation_devices_changed refusal (protocol/conversation-devices.ts), as JSON
        -- checked against the protocol's schema when read back.
        CREATE TABLE conversation_devices (
          conversation_id TEXT PRIMARY KEY,
          devices TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 27,
    description: 'an envelope deleted for everyone before it opened is a deleted message, as where it opened first',
    up(db) {
      db.exec(`
        -- Such an envelope waited, emptied, for ever; the applier now makes it a deleted message at
        -- its seq, so none waits deleted any more.
        INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, sent_at, deleted)
          SELECT conversation_id, client_id, sender_id, '', seq, 'sent', sent_at, sent_at, 1
          FROM envelopes_waiting WHERE deleted = 1 AND conversation_id IN (SELECT id FROM conversations)
          ON CONFLICT DO NOTHING;
        DELETE FROM envelopes_waiting WHERE deleted = 1;
        ALTER TABLE envelopes_waiting DROP COLUMN deleted;
      `);
    },
  },
  {
    version: 28,
    description: 'device sends: the conversation whose sender key one hands out',
    up(db) {
      db.exec(`
        -- Set on a sender key's hand-out (crypto/device-sender.ts): an envelope sealed under that
        -- key goes to the server only once the hand-out is there, so no member waits for a key
        -- still on this device. NULL for every other device send, and for those queued before.
        ALTER TABLE signal_outgoing ADD COLUMN hand_out_for TEXT;
      `);
    },
  },
  {
    version: 29,
    description: 'private settings go again, sealed',
    up(db) {
      db.exec(`
        -- The server keeps archive, mute and drafts only sealed now (client/crypto/sealed-settings.ts),
        -- and set aside what it held of them in the clear. This device's registers are due again, so
        -- the account's other devices, and any linked later, read them from the sealed copies.
        UPDATE settings SET pending = 1, send_error = NULL WHERE kind IN ('archived', 'muted', 'draft');
      `);
    },
  },
  {
    version: 30,
    description: 'private settings go again, signed',
    up(db) {
      db.exec(`
        -- A sealed setting is now signed by the account's identity (client/crypto/sealed-settings.ts),
        -- and one without a signature opens nowhere: this device's registers are due again.
        UPDATE settings SET pending = 1, send_error = NULL WHERE kind IN ('archived', 'muted', 'draft');
      `);
    },
  },
  {
    version: 31,
    description: 'a waiting envelope keeps the role its sender had when the server stored it',
    up(db) {
      db.exec(`
        -- The server attests it (protocol/envelope-frames.ts: senderRole): an envelope that opens
        -- late is judged by the rules with that role, as it was where it opened at once. NULL for
        -- envelopes kept before.
        ALTER TABLE envelopes_waiting ADD COLUMN sender_role TEXT;
      `);
    },
  },
  {
    version: 32,
    description: 'what this device sent keeps the seq the server stored it at',
    up(db) {
      db.exec(`
        -- Sent again only to a device of someone who was a member at that seq
        -- (crypto/resend-answerer.ts). What was kept before takes its message's seq; a change kept
        -- before has none here, and is not sent again.
        ALTER TABLE sent_content ADD COLUMN seq INTEGER;
        UPDATE sent_content SET seq = (
          SELECT m.seq FROM messages m
          WHERE m.conversation_id = sent_content.conversation_id AND m.client_message_id = sent_content.client_id
        );
      `);
    },
  },
  {
    version: 33,
    description:
      'the outbox keeps any kind of row (its kinds judged in code, from their one declaration); the newest call on the list',
    up(db) {
      db.exec(`
        -- A call's entry (issue 32) is a new kind of row, and a literal list of kinds here would be
        -- a second declaration of them: outbox-store.ts judges each row's kind against PAYLOADS when
        -- it is read back, and a kind it does not know fails by name. Rebuilt without the CHECK;
        -- ids, and so the order, are kept, with the sealed envelopes.
        CREATE TABLE outbox_v33 (
          id INTEGER PRIMARY KEY,
          conversation_id TEXT NOT NULL,
          client_id TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL,
          message_id TEXT,
          payload TEXT NOT NULL DEFAULT '{}',
          status TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL DEFAULT 0,
          last_error TEXT,
          sealed TEXT,
          sealed_devices_version INTEGER
        );
        INSERT INTO outbox_v33 (id, conversation_id, client_id, kind, message_id, payload, status, attempts, next_attempt_at,
                                last_error, sealed, sealed_devices_version)
          SELECT id, conversation_id, client_id, kind, message_id, payload, status, attempts, next_attempt_at, last_error,
                 sealed, sealed_devices_version FROM outbox;
        DROP TABLE outbox;
        ALTER TABLE outbox_v33 RENAME TO outbox;
        CREATE INDEX outbox_by_conversation ON outbox(conversation_id, id);
        CREATE INDEX outbox_changes ON outbox(conversation_id, id) WHERE kind != 'send';

        -- The newest call's entry (JSON, checked against its schema when read; NULL when none):
        -- the list shows it ("Missed voice call") when it is newer than the newest message. The
        -- list's index covers it, as it covers everything the list reads.
        ALTER TABLE conversations ADD COLUMN last_call TEXT;
        DROP INDEX conversations_list;
        CREATE INDEX conversations_list ON conversations(
          last_activity_at DESC, id, kind, name, unread_count, unread_mentions, member_count, is_member, peer_id,
          last_preview, last_sender_id, last_sender_name, last_at, last_deleted, last_attachment_kind, last_attachment_name,
          archived, archived_seq, muted, last_incoming_seq, draft_preview, blocked, request_from, request_answer, request_seq,
          last_call);
      `);
    },
  },
  {
    version: 34,
    description: "what changes a message's state (a poll and its votes and end), by message, kind and holder",
    up(db) {
      db.exec(`
        -- One table for every kind of message state (content/kinds/message-state.ts), so a new
        -- kind needs no migration. The holder is the sender for a per-person value (a vote) and
        -- the message's author for the message's own (a poll's options, its end); the value is
        -- JSON, checked against its kind's schema when read; seq decides which of two stands.
        CREATE TABLE message_state (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          holder_id TEXT NOT NULL,
          value TEXT NOT NULL,
          seq INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, message_id, kind, holder_id)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 35,
    description: 'disappearing messages: each message its timer and when it goes, each conversation its setting',
    up(db) {
      db.exec(`
        -- The timer a message was written with, and when it goes from here: set once its timer
        -- starts (sent, or read by this person on any device). One timer, to the earliest.
        ALTER TABLE messages ADD COLUMN expires_in_ms INTEGER;
        ALTER TABLE messages ADD COLUMN expires_at INTEGER;
        CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
        -- Read by this person elsewhere, such a message starts its timer here: found without a scan.
        CREATE INDEX messages_timer_unstarted ON messages (conversation_id, seq)
          WHERE expires_in_ms IS NOT NULL AND expires_at IS NULL;
        -- The setting as the latest notice by seq says it, and a group's choice of who may set it.
        ALTER TABLE conversations ADD COLUMN disappearing_ms INTEGER;
        ALTER TABLE conversations ADD COLUMN disappearing_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN disappearing_everyone INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN disappearing_policy_seq INTEGER NOT NULL DEFAULT 0;
        -- Messages whose timer ran out: nothing of them but their ids, so a quote of one says it
        -- disappeared and a late copy or change of it is not stored again.
        CREATE TABLE disappeared (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          PRIMARY KEY (conversation_id, message_id)
        ) WITHOUT ROWID;
        -- When another of this person's devices read up to a seq: a message at or below it that
        -- arrives here later runs its timer from then, not from its arrival.
        CREATE TABLE read_times (
          conversation_id TEXT NOT NULL,
          up_to_seq INTEGER NOT NULL,
          read_at INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, up_to_seq)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 36,
    description: 'sticker packs installed here, with their local copies',
    up(db) {
      db.exec(`
        -- A pack made or added here: its key, name and bundle, and each sticker's file in the
        -- attachment store (JSON, checked when read: mirror/sticker-packs.ts), so stickers show
        -- and go offline and the store keeps their files.
        CREATE TABLE sticker_packs (
          pack_id TEXT PRIMARY KEY,
          value TEXT NOT NULL,
          installed_at INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 37,
    description: 'the live locations this device shares, so a restarted app shares them on',
    up(db) {
      db.exec(`
        -- A live location sent from here, until its time is up: the page watches the position
        -- again after a restart. Another device of the same person never shares it.
        CREATE TABLE live_locations_here (
          conversation_id TEXT NOT NULL,
          message_id TEXT NOT NULL,
          until INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, message_id)
        ) WITHOUT ROWID;
      `);
    },
  },
];
