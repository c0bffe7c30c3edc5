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
  {
    version: 2,
    description: 'edits, deletes, reactions and replies in the event log; current reactions; last seen',
    up(db) {
      db.exec(`
        -- The column now holds any client-chosen id (a message's or a change's): one namespace per
        -- sender, still kept unique by the UNIQUE (sender_id, client_id) constraint, which follows
        -- the rename.
        ALTER TABLE events RENAME COLUMN client_message_id TO client_id;

        -- The message a row is about: the message itself for kind 'message', the target for
        -- 'edit', 'delete' and 'reaction'. NULL only for legacy duplicates (see below).
        ALTER TABLE events ADD COLUMN message_id TEXT;
        -- kind 'message': the messageId it answers, if any.
        ALTER TABLE events ADD COLUMN reply_to TEXT;
        -- kind 'message': deleted for everyone (its text, and that of its edits, is then '').
        ALTER TABLE events ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
        -- kind 'reaction': the emoji and whether it was added (1) or removed (0).
        ALTER TABLE events ADD COLUMN emoji TEXT;
        ALTER TABLE events ADD COLUMN reaction_on INTEGER;

        -- Version 1 only kept client ids unique per sender, so two members may have used the same
        -- id in one conversation. The earliest message keeps the id as its identity; later ones
        -- keep their clientMessageId on the wire but cannot be the target of a change or reply
        -- (NULLs do not collide in a UNIQUE index). With random UUIDs this never happens in practice.
        UPDATE events SET message_id = client_id
        FROM (
          SELECT conversation_id AS c, MIN(seq) AS first_seq FROM events
          WHERE kind = 'message' GROUP BY conversation_id, client_id
        ) AS firsts
        WHERE events.conversation_id = firsts.c AND events.seq = firsts.first_seq;

        CREATE UNIQUE INDEX events_message_identity ON events(conversation_id, message_id)
          WHERE kind = 'message';
        -- Finds the changes of one message (a delete purges its edits).
        CREATE INDEX events_by_message ON events(conversation_id, message_id, kind);

        -- The reactions that hold now, one row per (message, person, emoji); the limit per person
        -- is counted here. The events stay the history; this is the state.
        CREATE TABLE reactions (
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          message_id      TEXT NOT NULL,
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          emoji           TEXT NOT NULL,
          PRIMARY KEY (conversation_id, message_id, user_id, emoji)
        ) WITHOUT ROWID;

        -- When the user's last connection closed; NULL when never seen.
        ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
      `);
    },
  },
];
