import type { Migration } from '../../node/sqlite.js';

/** The server database schema, one step per released change. Never edit a step: append one. */
export const serverMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'users, sessions, direct conversations, members with watermarks, event log',
    up(db) {
      db.exec(`
        CREATE TABLE users (
          id            TEXT PRIMARY KEY,
          username      TEXT NOT NULL UNIQUE,
          display_name  TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          created_at    INTEGER NOT NULL
        );

        -- Only a SHA-256 of each token: a copy of the database must not let anyone sign in.
        CREATE TABLE sessions (
          token_hash TEXT PRIMARY KEY,
          user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX sessions_by_user ON sessions(user_id);

        CREATE TABLE conversations (
          id         TEXT PRIMARY KEY,
          kind       TEXT NOT NULL CHECK (kind = 'direct'),
          pair_key   TEXT NOT NULL UNIQUE,
          last_seq   INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL
        );

        CREATE TABLE members (
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          delivered_seq   INTEGER NOT NULL DEFAULT 0,
          read_seq        INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX members_by_user ON members(user_id);

        CREATE TABLE events (
          conversation_id   TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          seq               INTEGER NOT NULL,
          kind              TEXT NOT NULL,
          sender_id         TEXT NOT NULL REFERENCES users(id),
          client_message_id TEXT NOT NULL,
          text              TEXT NOT NULL,
          sent_at           INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, seq),
          UNIQUE (sender_id, client_message_id)
        ) WITHOUT ROWID;
      `);
    },
  },
];
