import { directConversationId } from '../../common/conversation-ids.js';
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
  {
    version: 3,
    description: 'groups: conversations of N members with roles and names, visibility periods, direct ids derived from the pair',
    rebuildsReferencedTables: true,
    up(db) {
      // Direct conversations take the id derived from their pair (directConversationId), so two
      // people starting a chat offline land in the same one. Clients migrate their mirrors the
      // same way; both sides compute the same id.
      const pairs = db
        .prepare(
          `SELECT c.id, group_concat(m.user_id, ' ') AS users, COUNT(*) AS n FROM conversations c
           JOIN members m ON m.conversation_id = c.id GROUP BY c.id`,
        )
        .all() as { id: string; users: string; n: number }[];
      db.exec('CREATE TEMP TABLE conversation_ids (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL)');
      const mapId = db.prepare('INSERT INTO conversation_ids (old_id, new_id) VALUES (?, ?)');
      for (const pair of pairs) {
        const [a, b] = pair.users.split(' ');
        mapId.run(pair.id, pair.n === 2 && a && b ? directConversationId(a, b) : pair.id);
      }
      db.exec(`
        CREATE TABLE conversations_v3 (
          id               TEXT PRIMARY KEY,
          kind             TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
          -- One direct conversation per pair; NULL (never equal) for groups.
          pair_key         TEXT UNIQUE,
          -- The group's name; NULL for direct conversations.
          name             TEXT,
          created_by       TEXT NOT NULL REFERENCES users(id),
          last_seq         INTEGER NOT NULL DEFAULT 0,
          -- Hands out members.join_order: who joined earlier (succession, member order).
          next_join_order  INTEGER NOT NULL DEFAULT 0,
          created_at       INTEGER NOT NULL,
          CHECK ((kind = 'direct') = (pair_key IS NOT NULL)),
          CHECK ((kind = 'group') = (name IS NOT NULL))
        );
        INSERT INTO conversations_v3 (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at)
          SELECT map.new_id, 'direct', c.pair_key, NULL,
                 (SELECT user_id FROM members m WHERE m.conversation_id = c.id ORDER BY m.rowid LIMIT 1),
                 c.last_seq, 2, c.created_at
          FROM conversations c JOIN conversation_ids map ON map.old_id = c.id;

        -- Current members only: a removal deletes the row (the periods below keep what they may read).
        CREATE TABLE members_v3 (
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
          -- Explicit order of joining (not rowid, which another store would not have).
          join_order      INTEGER NOT NULL,
          delivered_seq   INTEGER NOT NULL DEFAULT 0,
          read_seq        INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;
        INSERT INTO members_v3 (conversation_id, user_id, role, join_order, delivered_seq, read_seq)
          SELECT map.new_id, m.user_id, 'member',
                 (SELECT COUNT(*) FROM members e WHERE e.conversation_id = m.conversation_id AND e.rowid < m.rowid),
                 m.delivered_seq, m.read_seq
          FROM members m JOIN conversation_ids map ON map.old_id = m.conversation_id;

        -- The stretches of a conversation's log each person may read: from the event that added
        -- them to the one that removed them (NULL while they are a member). Re-added people get a
        -- second row.
        CREATE TABLE member_periods (
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          from_seq        INTEGER NOT NULL,
          to_seq          INTEGER,
          PRIMARY KEY (conversation_id, user_id, from_seq)
        ) WITHOUT ROWID;
        CREATE INDEX member_periods_by_user ON member_periods(user_id);
        INSERT INTO member_periods (conversation_id, user_id, from_seq, to_seq)
          SELECT conversation_id, user_id, 1, NULL FROM members_v3;

        DROP TABLE members;
        DROP TABLE conversations;
        ALTER TABLE conversations_v3 RENAME TO conversations;
        ALTER TABLE members_v3 RENAME TO members;
        CREATE INDEX members_by_user ON members(user_id);

        UPDATE events SET conversation_id = (SELECT new_id FROM conversation_ids WHERE old_id = events.conversation_id)
          WHERE conversation_id IN (SELECT old_id FROM conversation_ids WHERE new_id != old_id);
        UPDATE reactions SET conversation_id = (SELECT new_id FROM conversation_ids WHERE old_id = reactions.conversation_id)
          WHERE conversation_id IN (SELECT old_id FROM conversation_ids WHERE new_id != old_id);
        -- Membership events keep their kind-specific fields here, as JSON checked against the
        -- protocol's schema when read back.
        ALTER TABLE events ADD COLUMN payload TEXT;
        DROP TABLE conversation_ids;
      `);
    },
  },
  {
    version: 4,
    description: 'attachments: uploads (tus) with their owner, hash and size, and the messages that refer to them',
    up(db) {
      db.exec(`
        -- One row per tus upload, made before its bytes arrive. Its file is <data>/attachments/<id>.
        -- completed_at is set once every byte is there and its SHA-256 matched the declared one;
        -- only then may a message refer to it.
        CREATE TABLE uploads (
          id           TEXT PRIMARY KEY,
          owner_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          sha256       TEXT NOT NULL,
          size         INTEGER NOT NULL CHECK (size > 0),
          created_at   INTEGER NOT NULL,
          completed_at INTEGER
        ) WITHOUT ROWID;
        -- The owner's quota sums their rows.
        CREATE INDEX uploads_by_owner ON uploads(owner_id);
        -- Garbage collection looks for old unreferenced rows.
        CREATE INDEX uploads_by_age ON uploads(created_at);

        -- Which messages (by conversation and seq) carry which upload: downloads are allowed to
        -- whoever may read one of them, and an upload with none is collected after a day. A delete
        -- for everyone removes the message's rows. No cascade from uploads: a referred-to upload
        -- is never deleted.
        CREATE TABLE attachment_refs (
          upload_id       TEXT NOT NULL REFERENCES uploads(id),
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          seq             INTEGER NOT NULL,
          PRIMARY KEY (upload_id, conversation_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX attachment_refs_by_message ON attachment_refs(conversation_id, seq);

        -- A message's attachments live in events.payload as {"attachments":[...]} (NULL: none),
        -- like the kind-specific fields of membership events, checked against the protocol's
        -- schema when read back. No column changes.
      `);
    },
  },
  {
    version: 5,
    description: 'personal settings (last-writer-wins registers, versioned per user), blocks, pins, hidden events',
    up(db) {
      db.exec(`
        -- Hands out the user's settings versions: bumped (UPDATE ... RETURNING) once per register
        -- that changes, in the transaction that changes it.
        ALTER TABLE users ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;

        -- One last-writer-wins register per (owner, settingKey): archived / muted / draft of a
        -- conversation, or blocked of a person. The setting itself as JSON (checked against the
        -- protocol's schema when read back), the writer's clock and device, and the version it got.
        CREATE TABLE settings (
          user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          key      TEXT NOT NULL,
          setting  TEXT NOT NULL,
          at       INTEGER NOT NULL,
          by       TEXT NOT NULL,
          version  INTEGER NOT NULL,
          PRIMARY KEY (user_id, key)
        ) WITHOUT ROWID;
        -- list_settings pages through one user's changes by version.
        CREATE UNIQUE INDEX settings_by_version ON settings(user_id, version);

        -- The blocks that stand now (the 'blocked' registers whose value is true), kept in the same
        -- transaction as the register: what delivery, presence and typing consult.
        CREATE TABLE blocks (
          blocker_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          blocked_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          PRIMARY KEY (blocker_id, blocked_id)
        ) WITHOUT ROWID;
        CREATE INDEX blocks_by_blocked ON blocks(blocked_id);

        -- While a block stands between two people, each is shown the other's watermarks in their
        -- direct conversation as they were when it began (a row per member, written when the first
        -- block of the pair begins, deleted when the last one is lifted).
        CREATE TABLE block_watermarks (
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          delivered_seq   INTEGER NOT NULL,
          read_seq        INTEGER NOT NULL,
          PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;

        -- The member of a direct conversation an event is never served to (stored while a block
        -- stood between the pair); NULL for every event before this version.
        ALTER TABLE events ADD COLUMN hidden_from TEXT;
        -- A direct conversation started while a block stood between the pair is not announced to
        -- this member (not listed, no conversation_added) until the block is lifted.
        ALTER TABLE conversations ADD COLUMN hidden_from TEXT;

        -- Pins are events of kind 'pin' (message_id: the target; payload: {"on": boolean}): no
        -- column changes for them.
      `);
    },
  },
  {
    version: 6,
    description: 'sessions with an id, a device name and a last use (they expire unused); member additions counted per hour',
    up(db) {
      db.exec(`
        -- A session is named by an id (listing and ending sessions never shows a token's hash), says
        -- which device opened it, and when it was last used: unused for 90 days, it has expired.
        -- Sessions from before count as used when their person was last seen.
        CREATE TABLE sessions_v6 (
          token_hash   TEXT PRIMARY KEY,
          id           TEXT NOT NULL UNIQUE,
          user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          device_name  TEXT,
          created_at   INTEGER NOT NULL,
          last_used_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO sessions_v6 (token_hash, id, user_id, device_name, created_at, last_used_at)
          SELECT s.token_hash, lower(hex(randomblob(16))), s.user_id, NULL, s.created_at,
                 max(s.created_at, coalesce(u.last_seen_at, 0))
          FROM sessions s JOIN users u ON u.id = s.user_id;
        DROP TABLE sessions;
        ALTER TABLE sessions_v6 RENAME TO sessions;
        CREATE INDEX sessions_by_user ON sessions(user_id);

        -- Caps per hour: conversations a person created (counted from conversations), and people
        -- they added to groups (a row per addition, with how many; rows older than an hour go).
        CREATE INDEX conversations_by_creator ON conversations(created_by, created_at);
        CREATE TABLE member_additions (
          user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          added_at INTEGER NOT NULL,
          count    INTEGER NOT NULL
        );
        CREATE INDEX member_additions_by_user ON member_additions(user_id, added_at);
      `);
    },
  },
  {
    version: 7,
    description: 'presence privacy: when each member first wrote in their conversation, and who hides when they are online',
    up(db) {
      db.exec(`
        -- The seq of the member's first message since they (last) joined; NULL until they write.
        -- Presence and typing are shared only between members who both have (presence-rules.ts).
        -- Set in the transaction that stores the message; filled here from the log.
        ALTER TABLE members ADD COLUMN first_message_seq INTEGER;
        UPDATE members SET first_message_seq = firsts.seq FROM (
          SELECT e.conversation_id, e.sender_id, MIN(e.seq) AS seq FROM events e
          JOIN member_periods p ON p.conversation_id = e.conversation_id AND p.user_id = e.sender_id
            AND p.to_seq IS NULL AND e.seq >= p.from_seq
          WHERE e.kind = 'message'
          GROUP BY e.conversation_id, e.sender_id
        ) AS firsts
        WHERE members.conversation_id = firsts.conversation_id AND members.user_id = firsts.sender_id;

        -- People whose "Show when I'm online" is nobody (their 'show_online' register), kept in the
        -- same transaction as the register: what presence consults. No such register existed before.
        CREATE TABLE online_hidden (
          user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 8,
    description: 'message requests: who a membership came from as a request, accepted requests, who may add whom to groups',
    up(db) {
      db.exec(`
        -- Who put the member here without being their contact then (request-rules.ts): the other
        -- person of a direct conversation they did not start, or whoever added them to a group.
        -- NULL for every membership before this version: none of them arrived as a request.
        ALTER TABLE members ADD COLUMN request_from TEXT;

        -- The requests each person accepted (their 'request' registers whose answer is 'accepted'),
        -- kept in the same transaction as the register: an accepted direct conversation makes its
        -- other person a contact.
        CREATE TABLE accepted_requests (
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          PRIMARY KEY (user_id, conversation_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO accepted_requests (user_id, conversation_id)
          SELECT user_id, json_extract(setting, '$.conversationId') FROM settings
          WHERE json_extract(setting, '$.kind') = 'request' AND json_extract(setting, '$.value.answer') = 'accepted';

        -- People whose "Who can add me to groups" is "My contacts" (their 'group_adds' register),
        -- kept in the same transaction as the register.
        CREATE TABLE group_adds_restricted (
          user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        INSERT INTO group_adds_restricted (user_id)
          SELECT user_id FROM settings WHERE json_extract(setting, '$.kind') = 'group_adds' AND json_extract(setting, '$.value') = 'contacts';
      `);
    },
  },
  {
    version: 9,
    description: 'blocks cover groups: group events hidden from members who blocked their sender, and frozen group watermarks',
    up(db) {
      db.exec(`
        -- The members a group event is never served to: those who had blocked its sender when it was
        -- stored, and for a change, those the message it changes is hidden from. A row per member;
        -- direct conversations keep events.hidden_from.
        CREATE TABLE hidden_events (
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          seq             INTEGER NOT NULL,
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          PRIMARY KEY (conversation_id, seq, user_id)
        ) WITHOUT ROWID;

        -- While someone has blocked another member of a group, that member (the viewer) is shown the
        -- blocker's watermarks there as they were when the block began: a row per group they shared
        -- then, deleted when the block is lifted. Blocks that stand now are frozen as they are now.
        CREATE TABLE group_block_watermarks (
          viewer_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          delivered_seq   INTEGER NOT NULL,
          read_seq        INTEGER NOT NULL,
          PRIMARY KEY (viewer_id, conversation_id, user_id)
        ) WITHOUT ROWID;
        INSERT INTO group_block_watermarks (viewer_id, conversation_id, user_id, delivered_seq, read_seq)
          SELECT b.blocked_id, m.conversation_id, m.user_id, m.delivered_seq, m.read_seq FROM blocks b
          JOIN members m ON m.user_id = b.blocker_id
          JOIN members v ON v.conversation_id = m.conversation_id AND v.user_id = b.blocked_id
          JOIN conversations c ON c.id = m.conversation_id AND c.kind = 'group';
      `);
    },
  },
  {
    version: 10,
    description: "each conversation's member count, kept by triggers on members",
    up(db) {
      db.exec(`
        -- How many members rows the conversation has: a page of the conversation list is cut by its
        -- members (conversation-page.ts), and counting them anew for every candidate costs as much as
        -- the groups strangers put a person into. Kept by triggers, so every path that inserts or
        -- deletes a members row (cascades included) keeps it in the same transaction.
        ALTER TABLE conversations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
        UPDATE conversations SET member_count = (SELECT COUNT(*) FROM members m WHERE m.conversation_id = conversations.id);
        CREATE TRIGGER members_counted_in AFTER INSERT ON members BEGIN
          UPDATE conversations SET member_count = member_count + 1 WHERE id = NEW.conversation_id;
        END;
        CREATE TRIGGER members_counted_out AFTER DELETE ON members BEGIN
          UPDATE conversations SET member_count = member_count - 1 WHERE id = OLD.conversation_id;
        END;
      `);
    },
  },
  {
    version: 11,
    description: 'devices numbered per user, and the key directory: identity keys, device keys, one-time prekeys',
    up(db) {
      db.exec(`
        -- A device is a session: each holds a number of its user's (Signal's device id), the lowest
        -- free one when it opens (shared-sql.ts). Sessions from before are numbered in the order
        -- they were opened.
        CREATE TABLE sessions_v11 (
          token_hash    TEXT PRIMARY KEY,
          id            TEXT NOT NULL UNIQUE,
          user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          device_number INTEGER NOT NULL CHECK (device_number >= 1),
          device_name   TEXT,
          created_at    INTEGER NOT NULL,
          last_used_at  INTEGER NOT NULL,
          UNIQUE (user_id, device_number)
        ) WITHOUT ROWID;
        INSERT INTO sessions_v11 (token_hash, id, user_id, device_number, device_name, created_at, last_used_at)
          SELECT token_hash, id, user_id,
                 row_number() OVER (PARTITION BY user_id ORDER BY created_at, id),
                 device_name, created_at, last_used_at
          FROM sessions;
        DROP TABLE sessions;
        ALTER TABLE sessions_v11 RENAME TO sessions;
        CREATE INDEX sessions_by_user ON sessions(user_id);

        -- The key directory (key-directory.ts): opaque base64 text, never interpreted here. The
        -- person's identity key, and when it last changed (NULL: never since first published).
        CREATE TABLE identity_keys (
          user_id             TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
          public_key          TEXT NOT NULL,
          identity_changed_at INTEGER
        ) WITHOUT ROWID;
        -- Each device's keys, gone with its session (the cascade deletes them in the same statement).
        -- last_*_key_id: the highest one-time prekey id the device published of each kind; ids only grow.
        CREATE TABLE device_keys (
          session_id                    TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
          user_id                       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          registration_id               INTEGER NOT NULL,
          signed_prekey_id              INTEGER NOT NULL,
          signed_prekey                 TEXT NOT NULL,
          signed_prekey_signature       TEXT NOT NULL,
          kyber_last_resort_id          INTEGER NOT NULL,
          kyber_last_resort             TEXT NOT NULL,
          kyber_last_resort_signature   TEXT NOT NULL,
          last_ec_prekey_id             INTEGER NOT NULL DEFAULT 0,
          last_kyber_prekey_id          INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX device_keys_by_user ON device_keys(user_id);
        -- One-time prekeys: kind 'ec' (no signature) or 'kyber' (signed). A fetch deletes what it hands out.
        CREATE TABLE one_time_prekeys (
          session_id TEXT NOT NULL REFERENCES device_keys(session_id) ON DELETE CASCADE,
          kind       TEXT NOT NULL CHECK (kind IN ('ec', 'kyber')),
          key_id     INTEGER NOT NULL,
          public_key TEXT NOT NULL,
          signature  TEXT,
          PRIMARY KEY (session_id, kind, key_id)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 12,
    description: 'the device inbox: envelopes for one device each until it acknowledges them, and the client ids of sends',
    up(db) {
      db.exec(`
        -- Envelopes (device-inbox.ts) as their sender sent them, each for one device (a session),
        -- gone with it. AUTOINCREMENT: an id is never handed out again, even after every envelope
        -- went, so an id a device acknowledged can never name another envelope.
        CREATE TABLE device_inbox (
          id             INTEGER PRIMARY KEY AUTOINCREMENT,
          session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
          sender_user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          sender_device  INTEGER NOT NULL,
          kind           TEXT NOT NULL,
          ciphertext     TEXT NOT NULL,
          sent_at        INTEGER NOT NULL
        );
        -- A device reads its inbox in id order; a send counts what each device has waiting, in all and per sender.
        CREATE INDEX device_inbox_by_session ON device_inbox(session_id, id);
        CREATE INDEX device_inbox_by_sender ON device_inbox(session_id, sender_user_id);
        CREATE INDEX device_inbox_by_age ON device_inbox(sent_at);
        -- The client ids a sending device used: a send comes once however often it is sent.
        CREATE TABLE inbox_sends (
          sender_session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
          client_id         TEXT NOT NULL,
          sent_at           INTEGER NOT NULL,
          PRIMARY KEY (sender_session_id, client_id)
        ) WITHOUT ROWID;
        CREATE INDEX inbox_sends_by_age ON inbox_sends(sent_at);
      `);
    },
  },
  {
    version: 13,
    description: 'conversation envelopes: events of kind envelope keep their sending device and sealed content',
    up(db) {
      db.exec(`
        -- An envelope (envelope-frames.ts) is an event like a message: its client id in client_id and
        -- message_id (a delete finds it by events_by_message), its upload ids in payload, and these
        -- two, NULL for every other kind. The ciphertext is kept as it came and never read here.
        ALTER TABLE events ADD COLUMN sender_device INTEGER;
        ALTER TABLE events ADD COLUMN ciphertext TEXT;
      `);
    },
  },
  {
    version: 14,
    description: 'the key backup: one sealed backup per account, with a version each write counts up',
    up(db) {
      db.exec(`
        -- key-backup.ts: the ciphertext as the client sent it (base64, at most 60 KiB), never read
        -- here; gone with its account. A rowid table: its rows are large, WITHOUT ROWID suits small ones.
        CREATE TABLE key_backups (
          user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
          version    INTEGER NOT NULL CHECK (version >= 1),
          ciphertext TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 15,
    description: "each conversation's devices version, raised by triggers whenever its members' devices with keys change",
    up(db) {
      db.exec(`
        -- protocol/conversation-devices.ts: send_envelope names the version its sender sealed for, and
        -- the store compares one number instead of reading every member's devices. Triggers raise it
        -- in the transaction of every change (cascades included): a member joins or leaves, a member's
        -- device publishes keys, is signed out, or publishes another registration id.
        ALTER TABLE conversations ADD COLUMN devices_version INTEGER NOT NULL DEFAULT 1;
        CREATE TRIGGER devices_version_member_in AFTER INSERT ON members BEGIN
          UPDATE conversations SET devices_version = devices_version + 1 WHERE id = NEW.conversation_id;
        END;
        CREATE TRIGGER devices_version_member_out AFTER DELETE ON members BEGIN
          UPDATE conversations SET devices_version = devices_version + 1 WHERE id = OLD.conversation_id;
        END;
        CREATE TRIGGER devices_version_keys_in AFTER INSERT ON device_keys BEGIN
          UPDATE conversations SET devices_version = devices_version + 1
            WHERE id IN (SELECT conversation_id FROM members WHERE user_id = NEW.user_id);
        END;
        CREATE TRIGGER devices_version_keys_out AFTER DELETE ON device_keys BEGIN
          UPDATE conversations SET devices_version = devices_version + 1
            WHERE id IN (SELECT conversation_id FROM members WHERE user_id = OLD.user_id);
        END;
        CREATE TRIGGER devices_version_keys_changed AFTER UPDATE OF registration_id ON device_keys
          WHEN OLD.registration_id <> NEW.registration_id BEGIN
          UPDATE conversations SET devices_version = devices_version + 1
            WHERE id IN (SELECT conversation_id FROM members WHERE user_id = NEW.user_id);
        END;
      `);
    },
  },
  {
    version: 16,
    description: 'archive, mute and drafts kept in the clear are set aside, served to no one, until purge-plaintext',
    up(db) {
      db.exec(`
        -- Clients send these sealed now (protocol/frames.ts: settingSchema knows no such kinds). What
        -- the server held of them in the clear is neither served nor deleted unasked: it waits here,
        -- and the server refuses to start until the operator runs purge-plaintext (plaintext.ts).
        CREATE TABLE plaintext_settings AS
          SELECT user_id, key, setting, at, by, version FROM settings
          WHERE json_extract(setting, '$.kind') IN ('archived', 'muted', 'draft');
        DELETE FROM settings WHERE json_extract(setting, '$.kind') IN ('archived', 'muted', 'draft');
      `);
    },
  },
  {
    version: 17,
    description: 'groups need no name (it is sealed now), and the events kept in the clear are indexed for purge-plaintext',
    rebuildsReferencedTables: true,
    up(db) {
      // The triggers on other tables that keep counts in conversations (versions 10, 15) would not
      // let it be dropped and its copy renamed: they go first, and come back as they were.
      const triggers = db
        .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%conversations%' ORDER BY name`)
        .all() as { name: string; sql: string }[];
      for (const trigger of triggers) db.exec(`DROP TRIGGER "${trigger.name}"`);
      db.exec(`
        -- Clients seal what they say in envelopes, a group's name too: the server stores no message,
        -- edit, delete, reaction, pin or rename any more, nor a name for a new group. What it holds of
        -- them from before is not deleted unasked (the server does not start until purge-plaintext
        -- deletes it, plaintext.ts), so nothing of it goes here: the group names stay, but a group
        -- need not have one (the CHECK of version 3 goes; the '' that stood for a name never told
        -- becomes NULL), and the events kept in the clear get a partial index, so the server counts
        -- them at each start, and the purge finds them, without reading the whole log.
        CREATE TABLE conversations_v17 (
          id               TEXT PRIMARY KEY,
          kind             TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
          -- One direct conversation per pair; NULL (never equal) for groups.
          pair_key         TEXT UNIQUE,
          -- A group's name kept in the clear from before end-to-end encryption, until purge-plaintext.
          name             TEXT,
          created_by       TEXT NOT NULL REFERENCES users(id),
          last_seq         INTEGER NOT NULL DEFAULT 0,
          -- Hands out members.join_order: who joined earlier (succession, member order).
          next_join_order  INTEGER NOT NULL DEFAULT 0,
          created_at       INTEGER NOT NULL,
          hidden_from      TEXT,
          member_count     INTEGER NOT NULL DEFAULT 0,
          devices_version  INTEGER NOT NULL DEFAULT 1,
          CHECK ((kind = 'direct') = (pair_key IS NOT NULL)),
          CHECK (kind = 'group' OR name IS NULL)
        );
        INSERT INTO conversations_v17 (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at,
                                       hidden_from, member_count, devices_version)
          SELECT id, kind, pair_key, NULLIF(name, ''), created_by, last_seq, next_join_order, created_at,
                 hidden_from, member_count, devices_version
          FROM conversations;
        DROP TABLE conversations;
        ALTER TABLE conversations_v17 RENAME TO conversations;
        CREATE INDEX conversations_by_creator ON conversations(created_by, created_at);

        -- The events of the kinds clients sent in the clear (store-rows.ts: PLAINTEXT_EVENT_KINDS;
        -- shared-sql.ts: KEPT_IN_CLEAR), and only those: empty once they are purged.
        CREATE INDEX events_kept_in_clear ON events(conversation_id, seq)
          WHERE kind IN ('message', 'edit', 'delete', 'reaction', 'pin', 'group_renamed');
        -- A message's id was unique in its conversation so that changes and replies could name it;
        -- the server names none now (an envelope's delete finds its target by events_by_message).
        DROP INDEX events_message_identity;
      `);
      for (const trigger of triggers) db.exec(trigger.sql);
    },
  },
  {
    version: 18,
    description: "each user's sealed settings counted: how many registers, and the characters of their keys and values",
    up(db) {
      db.exec(`
        -- The budget of sealed settings (settings-rules.ts) is checked against these, read in the
        -- transaction that writes the registers and moved there by the difference it makes, never
        -- summed anew. Filled from the registers held now (a sealed one's key and value, as
        -- sealedSize counts them: base64url and base64, so characters are bytes).
        ALTER TABLE users ADD COLUMN sealed_settings INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN sealed_settings_bytes INTEGER NOT NULL DEFAULT 0;
        UPDATE users SET (sealed_settings, sealed_settings_bytes) = (
          SELECT COUNT(*),
                 COALESCE(SUM(length(json_extract(s.setting, '$.key')) + length(json_extract(s.setting, '$.value'))), 0)
          FROM settings s WHERE s.user_id = users.id AND json_extract(s.setting, '$.kind') = 'sealed');
      `);
    },
  },
  {
    version: 19,
    description:
      "disappearing messages: an envelope's timer, when every member had read it, and the live expiring envelopes indexed",
    up(db) {
      db.exec(`
        -- The timer send_envelope carries (protocol/disappearing.ts), kept after the purge so catch-up
        -- tells an expired envelope from a deleted one; NULL for every envelope without one.
        ALTER TABLE events ADD COLUMN expires_in_ms INTEGER;
        -- When the sweep first found it read by every member but its sender (server time); its timer runs from then.
        ALTER TABLE events ADD COLUMN all_read_at INTEGER;
        -- Only the envelopes the sweep may still stamp or purge (shared-sql.ts: EXPIRING): empty while nobody sends a timer.
        CREATE INDEX events_expiring ON events(conversation_id, seq) WHERE expires_in_ms IS NOT NULL AND deleted = FALSE;
      `);
    },
  },
  {
    version: 20,
    description: "disappearing messages: the sweep's picks read only what they may change, by when it is due",
    up(db) {
      db.exec(`
        -- events_expiring held every live expiring envelope, so each pass (every 10 s) read them all
        -- (docs/benchmarks.md: disappearing-sweep). Now one index per pick (shared-sql.ts: SweepIndex).
        DROP INDEX events_expiring;
        CREATE INDEX events_expiring_unread ON events(conversation_id, seq)
          WHERE expires_in_ms IS NOT NULL AND deleted = FALSE AND all_read_at IS NULL;
        CREATE INDEX events_expiring_read_due ON events(all_read_at + expires_in_ms)
          WHERE expires_in_ms IS NOT NULL AND deleted = FALSE AND all_read_at IS NOT NULL;
        CREATE INDEX events_expiring_stored_due ON events(sent_at + expires_in_ms)
          WHERE expires_in_ms IS NOT NULL AND deleted = FALSE;
      `);
    },
  },
];
