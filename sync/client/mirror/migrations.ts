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
];
