import type { Migration } from '../../node/sqlite.js';
import { refreshLastMessage } from './conversation-stats.js';

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
      // The preview columns are filled by the same code that keeps them current.
      const ids = db.prepare('SELECT id FROM conversations').pluck().all() as string[];
      for (const id of ids) refreshLastMessage(db, id);
    },
  },
];
