import type pg from 'pg';
import { transactionOn } from './pg-connections.js';

/**
 * The PostgreSQL server schema, one numbered step per released change. Never edit a step: append
 * one. Version 1 is the SQLite schema as its migrations left it (sqlite-migrations.ts, version 5),
 * in PostgreSQL's own types, plus the cluster's tables (cluster/); PostgreSQL never had SQLite's
 * history, so its numbering starts afresh. Text compares by code point (COLLATE "C") as in SQLite,
 * whatever the database's locale: ORDER BY an id gives the same order in both stores.
 */
export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'the server schema of SQLite version 5 (users to blocks), and the cluster directory',
    sql: `
      CREATE TABLE users (
        id               TEXT COLLATE "C" PRIMARY KEY,
        username         TEXT COLLATE "C" NOT NULL UNIQUE,
        display_name     TEXT COLLATE "C" NOT NULL,
        password_hash    TEXT COLLATE "C" NOT NULL,
        created_at       BIGINT NOT NULL,
        -- When the user's last connection closed; NULL when never seen.
        last_seen_at     BIGINT,
        -- Hands out the user's settings versions: bumped (UPDATE ... RETURNING) in the transaction
        -- that changes the registers.
        settings_version BIGINT NOT NULL DEFAULT 0
      );

      -- Only a SHA-256 of each token: a copy of the database must not let anyone sign in.
      CREATE TABLE sessions (
        token_hash TEXT COLLATE "C" PRIMARY KEY,
        user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_by_user ON sessions(user_id);

      CREATE TABLE conversations (
        id              TEXT COLLATE "C" PRIMARY KEY,
        kind            TEXT COLLATE "C" NOT NULL CHECK (kind IN ('direct', 'group')),
        -- One direct conversation per pair; NULL (never equal) for groups.
        pair_key        TEXT COLLATE "C" UNIQUE,
        -- The group's name; NULL for direct conversations.
        name            TEXT COLLATE "C",
        created_by      TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        -- The conversation's sequence counter: moved by UPDATE ... RETURNING in the transaction that
        -- stores the event, which holds this row's lock until it commits.
        last_seq        BIGINT NOT NULL DEFAULT 0,
        -- Hands out members.join_order: who joined earlier (succession, member order).
        next_join_order INTEGER NOT NULL DEFAULT 0,
        created_at      BIGINT NOT NULL,
        -- A direct conversation started while a block stood between the pair is not announced to
        -- this member (not listed, no conversation_added) until the block is lifted.
        hidden_from     TEXT COLLATE "C",
        CHECK ((kind = 'direct') = (pair_key IS NOT NULL)),
        CHECK ((kind = 'group') = (name IS NOT NULL))
      );

      -- Current members only: a removal deletes the row (the periods below keep what they may read).
      CREATE TABLE members (
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role            TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        join_order      INTEGER NOT NULL,
        delivered_seq   BIGINT NOT NULL DEFAULT 0,
        read_seq        BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (conversation_id, user_id)
      );
      CREATE INDEX members_by_user ON members(user_id);

      -- The stretches of a conversation's log each person may read: from the event that added them
      -- to the one that removed them (NULL while they are a member). Re-added people get a second row.
      CREATE TABLE member_periods (
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        from_seq        BIGINT NOT NULL,
        to_seq          BIGINT,
        PRIMARY KEY (conversation_id, user_id, from_seq)
      );
      CREATE INDEX member_periods_by_user ON member_periods(user_id);

      -- Every kind of event in one table, unused columns NULL (text '' where it has none); see
      -- store-rows.ts for what each column holds per kind.
      CREATE TABLE events (
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq             BIGINT NOT NULL,
        kind            TEXT COLLATE "C" NOT NULL,
        sender_id       TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        -- The clientMessageId or clientChangeId: one namespace per sender.
        client_id       TEXT COLLATE "C" NOT NULL,
        message_id      TEXT COLLATE "C",
        text            TEXT COLLATE "C" NOT NULL,
        sent_at         BIGINT NOT NULL,
        reply_to        TEXT COLLATE "C",
        deleted         BOOLEAN NOT NULL DEFAULT false,
        emoji           TEXT COLLATE "C",
        reaction_on     BOOLEAN,
        -- Kind-specific fields, checked against the protocol's schema when read back.
        payload         JSONB,
        -- The member of a direct conversation this event is never served to (stored while a block
        -- stood between the pair).
        hidden_from     TEXT COLLATE "C",
        PRIMARY KEY (conversation_id, seq),
        -- A resend is recognised by this constraint (INSERT ... ON CONFLICT DO NOTHING, then read).
        UNIQUE (sender_id, client_id)
      );
      CREATE UNIQUE INDEX events_message_identity ON events(conversation_id, message_id) WHERE kind = 'message';
      -- Finds the changes of one message (a delete purges its edits).
      CREATE INDEX events_by_message ON events(conversation_id, message_id, kind);

      -- The reactions that hold now, one row per (message, person, emoji).
      CREATE TABLE reactions (
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        message_id      TEXT COLLATE "C" NOT NULL,
        user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        emoji           TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (conversation_id, message_id, user_id, emoji)
      );

      -- One row per tus upload, made before its bytes arrive; completed_at once every byte is there
      -- and its SHA-256 matched the declared one. Only then may a message refer to it.
      CREATE TABLE uploads (
        id           TEXT COLLATE "C" PRIMARY KEY,
        owner_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        sha256       TEXT COLLATE "C" NOT NULL,
        size         BIGINT NOT NULL CHECK (size > 0),
        created_at   BIGINT NOT NULL,
        completed_at BIGINT
      );
      CREATE INDEX uploads_by_owner ON uploads(owner_id);
      CREATE INDEX uploads_by_age ON uploads(created_at);

      -- Which messages (by conversation and seq) carry which upload. No cascade from uploads: a
      -- referred-to upload is never deleted.
      CREATE TABLE attachment_refs (
        upload_id       TEXT COLLATE "C" NOT NULL REFERENCES uploads(id),
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq             BIGINT NOT NULL,
        PRIMARY KEY (upload_id, conversation_id, seq)
      );
      CREATE INDEX attachment_refs_by_message ON attachment_refs(conversation_id, seq);

      -- One last-writer-wins register per (owner, settingKey), the setting itself as JSON.
      CREATE TABLE settings (
        user_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key      TEXT COLLATE "C" NOT NULL,
        setting  JSONB NOT NULL,
        at       BIGINT NOT NULL,
        by       TEXT COLLATE "C" NOT NULL,
        version  BIGINT NOT NULL,
        PRIMARY KEY (user_id, key)
      );
      CREATE UNIQUE INDEX settings_by_version ON settings(user_id, version);

      -- The blocks that stand now (the 'blocked' registers whose value is true).
      CREATE TABLE blocks (
        blocker_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (blocker_id, blocked_id)
      );
      CREATE INDEX blocks_by_blocked ON blocks(blocked_id);

      -- While a block stands between two people, each is shown the other's watermarks in their
      -- direct conversation as they were when it began.
      CREATE TABLE block_watermarks (
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        delivered_seq   BIGINT NOT NULL,
        read_seq        BIGINT NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      );

      -- The cluster directory (cluster/pg-node-directory.ts): each node's last heartbeat, and which
      -- users have a connection on which node.
      CREATE TABLE cluster_nodes (
        node_id      TEXT COLLATE "C" PRIMARY KEY,
        heartbeat_at BIGINT NOT NULL
      );
      CREATE TABLE cluster_online (
        node_id TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (node_id, user_id)
      );
      CREATE INDEX cluster_online_by_user ON cluster_online(user_id);
      -- Pushes too large for a notification (cluster/pg-cluster-bus.ts), kept a few minutes.
      CREATE TABLE cluster_payloads (
        id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        body       TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX cluster_payloads_by_age ON cluster_payloads(created_at);
    `,
  },
  {
    version: 2,
    description: 'sessions with an id, a device name and a last use (they expire unused); member additions counted per hour',
    sql: `
      -- As SQLite's version 6: sessions named by an id, with their device and last use (those from
      -- before count as used when their person was last seen).
      ALTER TABLE sessions ADD COLUMN id TEXT COLLATE "C";
      ALTER TABLE sessions ADD COLUMN device_name TEXT COLLATE "C";
      ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;
      UPDATE sessions s SET id = replace(gen_random_uuid()::text, '-', ''),
                            last_used_at = GREATEST(s.created_at, COALESCE(u.last_seen_at, 0))
        FROM users u WHERE u.id = s.user_id;
      ALTER TABLE sessions ALTER COLUMN id SET NOT NULL, ALTER COLUMN last_used_at SET NOT NULL;
      CREATE UNIQUE INDEX sessions_by_id ON sessions(id);

      CREATE INDEX conversations_by_creator ON conversations(created_by, created_at);
      CREATE TABLE member_additions (
        user_id  TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        added_at BIGINT NOT NULL,
        count    INTEGER NOT NULL
      );
      CREATE INDEX member_additions_by_user ON member_additions(user_id, added_at);
    `,
  },
  {
    version: 3,
    description: 'presence privacy: when each member first wrote in their conversation, and who hides when they are online',
    sql: `
      -- As SQLite's version 7: the seq of the member's first message since they (last) joined, NULL
      -- until they write (presence-rules.ts), filled here from the log.
      ALTER TABLE members ADD COLUMN first_message_seq BIGINT;
      UPDATE members SET first_message_seq = firsts.seq FROM (
        SELECT e.conversation_id, e.sender_id, MIN(e.seq) AS seq FROM events e
        JOIN member_periods p ON p.conversation_id = e.conversation_id AND p.user_id = e.sender_id
          AND p.to_seq IS NULL AND e.seq >= p.from_seq
        WHERE e.kind = 'message'
        GROUP BY e.conversation_id, e.sender_id
      ) AS firsts
      WHERE members.conversation_id = firsts.conversation_id AND members.user_id = firsts.sender_id;

      -- People whose "Show when I'm online" is nobody, kept with their 'show_online' register.
      CREATE TABLE online_hidden (
        user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 4,
    description: 'sign-in and sign-up counts shared by the nodes (rate-limiter-flexible)',
    sql: `
      -- RateLimiterPostgres's own table, in exactly the shape it would create (key = kind:subject,
      -- e.g. signInsPerAddress:203.0.113.7; expire in ms since the epoch), made here so that it
      -- never creates tables itself (account-limits.ts); expired rows are swept by expire.
      CREATE TABLE rate_limits (
        key    VARCHAR(255) PRIMARY KEY,
        points INTEGER NOT NULL DEFAULT 0,
        expire BIGINT
      );
      CREATE INDEX rate_limits_by_expiry ON rate_limits(expire);
    `,
  },
  {
    version: 5,
    description: 'message requests: who a membership came from as a request, accepted requests, who may add whom to groups',
    sql: `
      -- As SQLite's version 8: who put the member here without being their contact then (NULL for
      -- every membership before), the requests each person accepted and who lets only their
      -- contacts add them to groups (both kept with their registers).
      ALTER TABLE members ADD COLUMN request_from TEXT COLLATE "C";

      CREATE TABLE accepted_requests (
        user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, conversation_id)
      );
      INSERT INTO accepted_requests (user_id, conversation_id)
        SELECT user_id, setting->>'conversationId' FROM settings
        WHERE setting->>'kind' = 'request' AND setting->'value'->>'answer' = 'accepted'
        ON CONFLICT DO NOTHING;

      CREATE TABLE group_adds_restricted (
        user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE
      );
      INSERT INTO group_adds_restricted (user_id)
        SELECT user_id FROM settings WHERE setting->>'kind' = 'group_adds' AND setting->>'value' = 'contacts';
    `,
  },
  {
    version: 6,
    description: 'blocks cover groups: group events hidden from members who blocked their sender, and frozen group watermarks',
    sql: `
      -- As SQLite's version 9: the members a group event is never served to, and the watermarks a
      -- member of a group is shown of someone who blocked them (frozen for the blocks that stand now).
      CREATE TABLE hidden_events (
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq             BIGINT NOT NULL,
        user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (conversation_id, seq, user_id)
      );

      CREATE TABLE group_block_watermarks (
        viewer_id       TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        delivered_seq   BIGINT NOT NULL,
        read_seq        BIGINT NOT NULL,
        PRIMARY KEY (viewer_id, conversation_id, user_id)
      );
      INSERT INTO group_block_watermarks (viewer_id, conversation_id, user_id, delivered_seq, read_seq)
        SELECT b.blocked_id, m.conversation_id, m.user_id, m.delivered_seq, m.read_seq FROM blocks b
        JOIN members m ON m.user_id = b.blocker_id
        JOIN members v ON v.conversation_id = m.conversation_id AND v.user_id = b.blocked_id
        JOIN conversations c ON c.id = m.conversation_id AND c.kind = 'group';
    `,
  },
  {
    version: 7,
    description: "each conversation's member count, kept by triggers on members",
    sql: `
      -- As SQLite's version 10: how many members rows the conversation has, kept by triggers in the
      -- same transaction as every insert or delete of members (cascades included). The triggers run
      -- once per statement, over the rows it changed: adding a thousand members updates each
      -- conversation once.
      ALTER TABLE conversations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
      UPDATE conversations c SET member_count = n.count
        FROM (SELECT conversation_id, COUNT(*) AS count FROM members GROUP BY conversation_id) n
        WHERE c.id = n.conversation_id;
      CREATE FUNCTION members_counted_in() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE conversations c SET member_count = c.member_count + n.count
          FROM (SELECT conversation_id, COUNT(*) AS count FROM inserted GROUP BY conversation_id) n
          WHERE c.id = n.conversation_id;
        RETURN NULL;
      END $$;
      CREATE FUNCTION members_counted_out() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE conversations c SET member_count = c.member_count - n.count
          FROM (SELECT conversation_id, COUNT(*) AS count FROM deleted GROUP BY conversation_id) n
          WHERE c.id = n.conversation_id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER members_counted_in AFTER INSERT ON members
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION members_counted_in();
      CREATE TRIGGER members_counted_out AFTER DELETE ON members
        REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION members_counted_out();
    `,
  },
  {
    version: 8,
    description: 'devices numbered per user, and the key directory: identity keys, device keys, one-time prekeys',
    sql: `
      -- As SQLite's version 11: each session holds a device number of its user's (those from before
      -- in the order they were opened), and the key directory's tables.
      ALTER TABLE sessions ADD COLUMN device_number INTEGER;
      UPDATE sessions s SET device_number = n.number
        FROM (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY created_at, id) AS number FROM sessions) n
        WHERE s.id = n.id;
      ALTER TABLE sessions ALTER COLUMN device_number SET NOT NULL,
        ADD CONSTRAINT sessions_device_number_positive CHECK (device_number >= 1);
      CREATE UNIQUE INDEX sessions_by_device ON sessions(user_id, device_number);

      CREATE TABLE identity_keys (
        user_id             TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        public_key          TEXT COLLATE "C" NOT NULL,
        identity_changed_at BIGINT
      );
      CREATE TABLE device_keys (
        session_id                  TEXT COLLATE "C" PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        user_id                     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        registration_id             INTEGER NOT NULL,
        signed_prekey_id            INTEGER NOT NULL,
        signed_prekey               TEXT COLLATE "C" NOT NULL,
        signed_prekey_signature     TEXT COLLATE "C" NOT NULL,
        kyber_last_resort_id        INTEGER NOT NULL,
        kyber_last_resort           TEXT COLLATE "C" NOT NULL,
        kyber_last_resort_signature TEXT COLLATE "C" NOT NULL,
        last_ec_prekey_id           INTEGER NOT NULL DEFAULT 0,
        last_kyber_prekey_id        INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX device_keys_by_user ON device_keys(user_id);
      CREATE TABLE one_time_prekeys (
        session_id TEXT COLLATE "C" NOT NULL REFERENCES device_keys(session_id) ON DELETE CASCADE,
        kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('ec', 'kyber')),
        key_id     INTEGER NOT NULL,
        public_key TEXT COLLATE "C" NOT NULL,
        signature  TEXT COLLATE "C",
        PRIMARY KEY (session_id, kind, key_id)
      );
    `,
  },
  {
    version: 9,
    description: 'the device inbox: envelopes for one device each until it acknowledges them, and the client ids of sends',
    sql: `
      -- As SQLite's version 12. An identity column never hands an id out twice.
      CREATE TABLE device_inbox (
        id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id     TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        sender_user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        sender_device  INTEGER NOT NULL,
        kind           TEXT COLLATE "C" NOT NULL,
        ciphertext     TEXT COLLATE "C" NOT NULL,
        sent_at        BIGINT NOT NULL
      );
      CREATE INDEX device_inbox_by_session ON device_inbox(session_id, id);
      CREATE INDEX device_inbox_by_sender ON device_inbox(session_id, sender_user_id);
      CREATE INDEX device_inbox_by_age ON device_inbox(sent_at);
      CREATE TABLE inbox_sends (
        sender_session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        client_id         TEXT COLLATE "C" NOT NULL,
        sent_at           BIGINT NOT NULL,
        PRIMARY KEY (sender_session_id, client_id)
      );
      CREATE INDEX inbox_sends_by_age ON inbox_sends(sent_at);
    `,
  },
  {
    version: 10,
    description: 'conversation envelopes: events of kind envelope keep their sending device and sealed content',
    sql: `
      -- As SQLite's version 13: NULL for every other kind, so no row is rewritten.
      ALTER TABLE events ADD COLUMN sender_device INTEGER;
      ALTER TABLE events ADD COLUMN ciphertext TEXT COLLATE "C";
    `,
  },
  {
    version: 11,
    description: 'the key backup: one sealed backup per account, with a version each write counts up',
    sql: `
      -- As SQLite's version 14.
      CREATE TABLE key_backups (
        user_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        version    BIGINT NOT NULL CHECK (version >= 1),
        ciphertext TEXT COLLATE "C" NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 12,
    description: "each conversation's devices version, raised by triggers whenever its members' devices with keys change",
    sql: `
      -- As SQLite's version 15. The triggers run once per statement over the rows it changed (adding a
      -- thousand members raises the version once), and lock the conversations they raise in id
      -- order, so two devices publishing keys at once cannot deadlock over the conversations they share.
      ALTER TABLE conversations ADD COLUMN devices_version BIGINT NOT NULL DEFAULT 1;
      CREATE FUNCTION devices_version_raise(conversation_ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE conversations c SET devices_version = c.devices_version + 1
          FROM (SELECT id FROM conversations WHERE id = ANY(conversation_ids) ORDER BY id FOR UPDATE) locked
          WHERE c.id = locked.id;
      END $$;
      CREATE FUNCTION devices_version_members() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM devices_version_raise(ARRAY(SELECT DISTINCT conversation_id FROM changed));
        RETURN NULL;
      END $$;
      CREATE FUNCTION devices_version_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM devices_version_raise(ARRAY(
          SELECT DISTINCT m.conversation_id FROM members m WHERE m.user_id IN (SELECT user_id FROM changed)));
        RETURN NULL;
      END $$;
      CREATE FUNCTION devices_version_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM devices_version_raise(ARRAY(SELECT conversation_id FROM members WHERE user_id = NEW.user_id));
        RETURN NULL;
      END $$;
      CREATE TRIGGER devices_version_member_in AFTER INSERT ON members
        REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION devices_version_members();
      CREATE TRIGGER devices_version_member_out AFTER DELETE ON members
        REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION devices_version_members();
      CREATE TRIGGER devices_version_keys_in AFTER INSERT ON device_keys
        REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION devices_version_keys();
      CREATE TRIGGER devices_version_keys_out AFTER DELETE ON device_keys
        REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION devices_version_keys();
      CREATE TRIGGER devices_version_keys_changed AFTER UPDATE OF registration_id ON device_keys
        FOR EACH ROW WHEN (OLD.registration_id IS DISTINCT FROM NEW.registration_id)
        EXECUTE FUNCTION devices_version_key_changed();
    `,
  },
  {
    version: 13,
    description: 'archive, mute and drafts kept in the clear are set aside, served to no one, until purge-plaintext',
    sql: `
      -- As SQLite's version 16.
      CREATE TABLE plaintext_settings AS
        SELECT user_id, key, setting, at, by, version FROM settings
        WHERE setting->>'kind' IN ('archived', 'muted', 'draft');
      DELETE FROM settings WHERE setting->>'kind' IN ('archived', 'muted', 'draft');
    `,
  },
  {
    version: 14,
    description: 'groups need no name (it is sealed now), and the events kept in the clear are indexed for purge-plaintext',
    sql: `
      -- As SQLite's version 17: nothing kept in the clear goes here, but a group need not have a name,
      -- the events kept in the clear get a partial index, and a message's id is no longer unique.
      DO $$
      DECLARE
        constraint_name TEXT;
      BEGIN
        SELECT conname INTO STRICT constraint_name FROM pg_constraint
        WHERE conrelid = 'conversations'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%(name IS NOT NULL)%';
        EXECUTE format('ALTER TABLE conversations DROP CONSTRAINT %I', constraint_name);
      END $$;
      UPDATE conversations SET name = NULL WHERE name = '';
      ALTER TABLE conversations ADD CONSTRAINT conversations_name_only_for_groups CHECK (kind = 'group' OR name IS NULL);
      CREATE INDEX events_kept_in_clear ON events(conversation_id, seq)
        WHERE kind IN ('message', 'edit', 'delete', 'reaction', 'pin', 'group_renamed');
      DROP INDEX events_message_identity;
    `,
  },
  {
    version: 15,
    description: "each user's sealed settings counted: how many registers, and the characters of their keys and values",
    sql: `
      -- As SQLite's version 18: the budget of sealed settings (settings-rules.ts) is checked against
      -- these, moved by the difference each write makes, never summed anew; filled from the
      -- registers held now (a sealed one's key and value: base64url and base64, characters are bytes).
      ALTER TABLE users ADD COLUMN sealed_settings BIGINT NOT NULL DEFAULT 0,
                        ADD COLUMN sealed_settings_bytes BIGINT NOT NULL DEFAULT 0;
      UPDATE users u SET sealed_settings = t.count, sealed_settings_bytes = t.bytes
      FROM (SELECT user_id, COUNT(*) AS count, SUM(length(setting->>'key') + length(setting->>'value')) AS bytes
            FROM settings WHERE setting->>'kind' = 'sealed' GROUP BY user_id) t
      WHERE u.id = t.user_id;
    `,
  },
  {
    version: 16,
    description:
      "disappearing messages: an envelope's timer, when every member had read it, and the live expiring envelopes indexed",
    sql: `
      -- As SQLite's version 19 (BIGINT: four weeks in milliseconds passes an integer's range).
      ALTER TABLE events ADD COLUMN expires_in_ms BIGINT, ADD COLUMN all_read_at BIGINT;
      CREATE INDEX events_expiring ON events(conversation_id, seq) WHERE expires_in_ms IS NOT NULL AND deleted = FALSE;
    `,
  },
  {
    version: 17,
    description: "disappearing messages: the sweep's picks read only what they may change, by when it is due",
    sql: `
      -- As SQLite's version 20.
      DROP INDEX events_expiring;
      CREATE INDEX events_expiring_unread ON events(conversation_id, seq)
        WHERE expires_in_ms IS NOT NULL AND deleted = FALSE AND all_read_at IS NULL;
      CREATE INDEX events_expiring_read_due ON events((all_read_at + expires_in_ms))
        WHERE expires_in_ms IS NOT NULL AND deleted = FALSE AND all_read_at IS NOT NULL;
      CREATE INDEX events_expiring_stored_due ON events((sent_at + expires_in_ms))
        WHERE expires_in_ms IS NOT NULL AND deleted = FALSE;
    `,
  },
];

export const LATEST_POSTGRES_VERSION = postgresMigrations.length;

/**
 * The key of the session-level advisory lock the migrations run under, so that nodes starting
 * together take turns: the first migrates, the others wait and then find nothing to do. Any fixed
 * number works as long as nothing else in the database uses it ("mess" in ASCII).
 */
const MIGRATION_LOCK_KEY = 0x6d657373;

export class PostgresSchemaFromTheFutureError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `The PostgreSQL database has schema version ${found}, but this build only knows up to ${supported}. ` +
        'It was migrated by a newer version of the server; refusing to use it so nothing is lost.',
    );
    this.name = 'PostgresSchemaFromTheFutureError';
  }
}

/** The version the database's schema is at (0 when it has none yet). */
export async function postgresSchemaVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ version: number }>(
    `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
            ELSE (SELECT COALESCE(MAX(version), 0) FROM schema_migrations) END AS version`,
  );
  return rows[0]?.version ?? 0;
}

/**
 * Brings the schema up to date under the advisory lock: each pending step in its own transaction,
 * together with its row in schema_migrations. Throws PostgresSchemaFromTheFutureError for a
 * database a newer build migrated.
 */
export async function migratePostgres(client: pg.ClientBase, migrations = postgresMigrations): Promise<void> {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migration list is broken: position ${index + 1} holds version ${migration.version}`);
    }
  });
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version     INTEGER PRIMARY KEY,
         description TEXT NOT NULL,
         applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const current = await postgresSchemaVersion(client);
    if (current > migrations.length) throw new PostgresSchemaFromTheFutureError(current, migrations.length);
    for (const migration of migrations.slice(current)) {
      await transactionOn(client, async () => {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
          migration.version,
          migration.description,
        ]);
      });
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
