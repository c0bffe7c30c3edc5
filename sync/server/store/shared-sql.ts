import { DISAPPEARING_LIMITS } from '../../protocol/disappearing.js';
import { PLAINTEXT_EVENT_KINDS } from './store-rows.js';

/**
 * Reads both stores run word for word: the SQLite and PostgreSQL schemas have the same tables and
 * columns, and these statements use only SQL both understand. Only placeholders differ (SQLite
 * `@name`, PostgreSQL `$n`), so each statement is made with its parameters' placeholders.
 */

const CONVERSATION_COLUMNS = `c.id, c.kind, c.created_by, c.last_seq, c.created_at`;
const MEMBER_COLUMNS = `m.conversation_id, u.id, u.username, u.display_name, m.role, m.join_order, m.delivered_seq, m.read_seq`;

/** The session a token hash opens, with its user, or no row. */
export function sessionUseSql(tokenHash: string): string {
  return `SELECT s.id AS session_id, s.device_number, s.last_used_at, u.id, u.username, u.display_name
          FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ${tokenHash}`;
}

/**
 * The device number a new session of `user` takes: the lowest one none of their sessions holds.
 * libsignal's device ids run from 1 to 127, so numbers come back when a device is signed out (as
 * Signal's server does); a device that takes a number over starts new sessions with everyone, its
 * registration id and prekeys being new.
 */
export function freeDeviceNumberSql(user: string): string {
  return `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sessions WHERE user_id = ${user} AND device_number = 1) THEN 1
            ELSE (SELECT min(s.device_number) + 1 FROM sessions s WHERE s.user_id = ${user} AND NOT EXISTS
                   (SELECT 1 FROM sessions t WHERE t.user_id = ${user} AND t.device_number = s.device_number + 1))
          END AS device_number`;
}

/** Whether event `seq` of a group is hidden from `user` (hidden_events), as an SQL boolean. */
export function hiddenInGroupSql(conversation: string, seq: string, user: string): string {
  return `EXISTS (SELECT 1 FROM hidden_events h WHERE h.conversation_id = ${conversation} AND h.seq = ${seq} AND h.user_id = ${user})`;
}

/**
 * A member's columns of a conversation: its last_seq is the highest seq this member may see. Events
 * stored away from them while a block stood (events.hidden_from in a direct conversation,
 * hidden_events in a group) are not theirs, so a run of them at the end is not something their
 * device can ever catch up to. The probe walks the primary key backwards and stops at the first
 * event they may see: one step but for trailing hidden events. request_from: who it is a message
 * request from, until the member writes there (request-rules.ts).
 */
const MEMBER_CONVERSATION_COLUMNS = `c.id, c.kind, c.created_by, c.created_at,
  CASE WHEN m.first_message_seq IS NULL THEN m.request_from END AS request_from,
  COALESCE(
    (SELECT e.seq FROM events e
      WHERE e.conversation_id = c.id AND (e.hidden_from IS NULL OR e.hidden_from <> m.user_id)
        AND NOT ${hiddenInGroupSql('c.id', 'e.seq', 'm.user_id')}
      ORDER BY e.seq DESC LIMIT 1), 0) AS last_seq`;

/** The conversation (MemberConversationRow) as `user` sees it, when they are a member. */
export function conversationForMemberSql(conversation: string, user: string): string {
  return `SELECT ${MEMBER_CONVERSATION_COLUMNS} FROM conversations c
          JOIN members m ON m.conversation_id = c.id
          WHERE c.id = ${conversation} AND m.user_id = ${user}`;
}

/**
 * A page of the conversations `user` is in (MemberConversationRow with member_count), after the id
 * `after` in id order, not those kept from them while a block stands (conversations.hidden_from).
 * The member count is the stored one (conversations.member_count), so a page is cut before its
 * members are read, at a cost that does not grow with them.
 */
export function conversationsOfSql(user: string, after: string, limit: string): string {
  return `SELECT ${MEMBER_CONVERSATION_COLUMNS}, c.member_count
          FROM conversations c
          JOIN members m ON m.conversation_id = c.id
          WHERE m.user_id = ${user} AND c.id > ${after} AND (c.hidden_from IS NULL OR c.hidden_from <> m.user_id)
          ORDER BY c.id LIMIT ${limit}`;
}

/**
 * A page of the groups `user` was in and is not now (ConversationRow), after the id `after` in id
 * order, with the last seq they may read (last_visible_seq).
 */
export function formerConversationsOfSql(user: string, after: string, limit: string): string {
  return `SELECT ${CONVERSATION_COLUMNS}, MAX(p.to_seq) AS last_visible_seq FROM member_periods p
          JOIN conversations c ON c.id = p.conversation_id
          WHERE p.user_id = ${user} AND p.conversation_id > ${after}
            AND NOT EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = p.conversation_id AND m.user_id = ${user})
          GROUP BY c.id
          ORDER BY c.id LIMIT ${limit}`;
}

/** The group `conversation` as `user`, who was in it and is not now, may see it (like formerConversationsOfSql). */
export function formerConversationSql(conversation: string, user: string): string {
  return `SELECT ${CONVERSATION_COLUMNS}, MAX(p.to_seq) AS last_visible_seq FROM member_periods p
          JOIN conversations c ON c.id = p.conversation_id
          WHERE p.conversation_id = ${conversation} AND p.user_id = ${user}
            AND NOT EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = p.conversation_id AND m.user_id = ${user})
          GROUP BY c.id`;
}

/** The members (MemberRow) of one conversation, in join order. */
export function membersOfSql(conversation: string): string {
  return `SELECT ${MEMBER_COLUMNS} FROM members m JOIN users u ON u.id = m.user_id
          WHERE m.conversation_id = ${conversation} ORDER BY m.join_order`;
}

/**
 * The members (MemberRow) of the conversations `user` is in whose ids lie after `after` up to
 * `last` (one page of conversationsOfSql), by conversation and join order.
 */
export function membersOfConversationsOfSql(user: string, after: string, last: string): string {
  return `SELECT ${MEMBER_COLUMNS} FROM members m JOIN users u ON u.id = m.user_id
          WHERE m.conversation_id IN (SELECT conversation_id FROM members
                                      WHERE user_id = ${user} AND conversation_id > ${after} AND conversation_id <= ${last})
          ORDER BY m.conversation_id, m.join_order`;
}

/**
 * The people `user` shares a conversation with in which both have written (members.first_message_seq),
 * each with what else the presence rule decides on (presence-rules.ts: sharesPresence), as 1 or 0:
 * whether a block stands between them (blocked), whether they hide when they are online
 * (hides_online), and whether `user` does (viewer_hides_online, the same on every row).
 * Columns: user_id, last_seen_at, blocked, hides_online, viewer_hides_online.
 */
export function writtenWithSql(user: string): string {
  return `SELECT u.id AS user_id, u.last_seen_at,
            CASE WHEN EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ${user} AND b.blocked_id = u.id)
                   OR EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = ${user})
                 THEN 1 ELSE 0 END AS blocked,
            CASE WHEN EXISTS (SELECT 1 FROM online_hidden h WHERE h.user_id = u.id) THEN 1 ELSE 0 END AS hides_online,
            CASE WHEN EXISTS (SELECT 1 FROM online_hidden h WHERE h.user_id = ${user}) THEN 1 ELSE 0 END AS viewer_hides_online
          FROM users u
          WHERE u.id IN (
            SELECT theirs.user_id FROM members mine
            JOIN members theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id <> mine.user_id
            WHERE mine.user_id = ${user} AND mine.first_message_seq IS NOT NULL AND theirs.first_message_seq IS NOT NULL)
          ORDER BY u.id`;
}

/** The senders of `conversation`'s events after `after` up to `upto` (sender_id), each once. */
export function authorsBetweenSql(conversation: string, after: string, upto: string): string {
  return `SELECT DISTINCT sender_id FROM events WHERE conversation_id = ${conversation} AND seq > ${after} AND seq <= ${upto}`;
}

/** The current members of `conversation` who have written there since they joined (user_id), in join order. */
export function writersOfSql(conversation: string): string {
  return `SELECT user_id FROM members WHERE conversation_id = ${conversation} AND first_message_seq IS NOT NULL ORDER BY join_order`;
}

/**
 * The people who treat `user` as their contact (request-rules.ts) (user_id): the other person of
 * each of `user`'s direct conversations who started it, wrote in it, or accepted it as a request.
 */
export function treatAsContactSql(user: string): string {
  return `SELECT theirs.user_id FROM members mine
          JOIN conversations c ON c.id = mine.conversation_id AND c.kind = 'direct'
          JOIN members theirs ON theirs.conversation_id = c.id AND theirs.user_id <> mine.user_id
          WHERE mine.user_id = ${user}
            AND (c.created_by = theirs.user_id OR theirs.first_message_seq IS NOT NULL
                 OR EXISTS (SELECT 1 FROM accepted_requests a WHERE a.user_id = theirs.user_id AND a.conversation_id = c.id))
          ORDER BY theirs.user_id`;
}

/** Everyone with a block between them and `user` (user_id), whoever made it. */
export function blockedWithSql(user: string): string {
  return `SELECT blocked_id AS user_id FROM blocks WHERE blocker_id = ${user}
          UNION SELECT blocker_id AS user_id FROM blocks WHERE blocked_id = ${user}
          ORDER BY user_id`;
}

/**
 * The members of group `conversation` who have blocked `user` (user_id): what `user` stores there
 * now is hidden from them. One probe of blocks_by_blocked, which finds nothing when nobody did.
 */
export function groupBlockersSql(conversation: string, user: string): string {
  return `SELECT b.blocker_id AS user_id FROM blocks b
          JOIN members m ON m.conversation_id = ${conversation} AND m.user_id = b.blocker_id
          JOIN conversations c ON c.id = ${conversation} AND c.kind = 'group'
          WHERE b.blocked_id = ${user}`;
}

/** The members of group `conversation` whom `user` has blocked (user_id): `user`'s watermark moves there are not theirs. */
export function groupBlockedSql(conversation: string, user: string): string {
  return `SELECT b.blocked_id AS user_id FROM blocks b
          JOIN members m ON m.conversation_id = ${conversation} AND m.user_id = b.blocked_id
          JOIN conversations c ON c.id = ${conversation} AND c.kind = 'group'
          WHERE b.blocker_id = ${user}`;
}

/**
 * Keeps `blocker`'s watermarks, as they are now, in every group they share with each of `blocked`
 * (a value, or a query of them): what they are shown of them there while the block stands
 * (group_block_watermarks). Ones kept already stay.
 */
export function freezeGroupWatermarksSql(blocker: string, blocked: string): string {
  return `INSERT INTO group_block_watermarks (viewer_id, conversation_id, user_id, delivered_seq, read_seq)
          SELECT v.user_id, m.conversation_id, m.user_id, m.delivered_seq, m.read_seq FROM members m
          JOIN members v ON v.conversation_id = m.conversation_id AND v.user_id IN (${blocked})
          JOIN conversations c ON c.id = m.conversation_id AND c.kind = 'group'
          WHERE m.user_id = ${blocker}
          ON CONFLICT DO NOTHING`;
}

/**
 * The groups `blocker` and `blocked` are both in, with `blocker`'s watermarks there now
 * (conversation_id, delivered_seq, read_seq): what was kept from `blocked` while the block stood.
 */
export function sharedGroupsSql(blocker: string, blocked: string): string {
  return `SELECT m.conversation_id, m.delivered_seq, m.read_seq FROM members m
          JOIN members v ON v.conversation_id = m.conversation_id AND v.user_id = ${blocked}
          JOIN conversations c ON c.id = m.conversation_id AND c.kind = 'group'
          WHERE m.user_id = ${blocker}
          ORDER BY m.conversation_id`;
}

/**
 * What `viewer` is shown of the watermarks of each member of their groups who blocked them (rows as
 * block_watermarks'): as they were when the block began (group_block_watermarks), or nothing read
 * in a group they came to share since. Of one group, or of a page of `viewer`'s conversations (ids
 * after `after` up to `last`).
 */
export function groupFrozenWatermarksForSql(
  viewer: string,
  which: { conversation: string } | { after: string; last: string },
): string {
  return `SELECT m.conversation_id, m.user_id, COALESCE(f.delivered_seq, 0) AS delivered_seq, COALESCE(f.read_seq, 0) AS read_seq
          FROM blocks b
          JOIN members m ON m.user_id = b.blocker_id
          JOIN members v ON v.conversation_id = m.conversation_id AND v.user_id = b.blocked_id
          JOIN conversations c ON c.id = m.conversation_id AND c.kind = 'group'
          LEFT JOIN group_block_watermarks f
            ON f.viewer_id = b.blocked_id AND f.conversation_id = m.conversation_id AND f.user_id = m.user_id
          WHERE b.blocked_id = ${viewer} AND ${
            'conversation' in which
              ? `m.conversation_id = ${which.conversation}`
              : `m.conversation_id > ${which.after} AND m.conversation_id <= ${which.last}`
          }`;
}

/**
 * The frozen watermarks (block_watermarks) of everyone but `user` in the conversations `user` is in
 * whose ids lie after `after` up to `last` (one page of conversationsOfSql).
 */
export function frozenWatermarksForSql(user: string, after: string, last: string): string {
  return `SELECT conversation_id, user_id, delivered_seq, read_seq FROM block_watermarks
          WHERE user_id <> ${user} AND conversation_id > ${after} AND conversation_id <= ${last}
            AND conversation_id IN (SELECT conversation_id FROM members WHERE user_id = ${user})`;
}

/**
 * Whether `user` may download the upload aliased `upload`: it is complete, and either an event that
 * refers to it lies within one of the reader's visibility periods of a conversation they are a member
 * of now, and is served to them (as readEvents serves them), or it is their own and no event refers
 * to it (a history export their linking device made for their new one).
 */
export function downloadableToSql(user: string, upload: string): string {
  return `${upload}.completed_at IS NOT NULL AND (
          -- The account's own upload that no event refers to: a history export for its new device.
          (${upload}.owner_id = ${user} AND NOT EXISTS (SELECT 1 FROM attachment_refs o WHERE o.upload_id = ${upload}.id))
          OR EXISTS (
            SELECT 1 FROM attachment_refs r
            JOIN member_periods p ON p.conversation_id = r.conversation_id AND p.user_id = ${user}
            JOIN members m ON m.conversation_id = r.conversation_id AND m.user_id = ${user}
            WHERE r.upload_id = ${upload}.id AND r.seq >= p.from_seq AND (p.to_seq IS NULL OR r.seq <= p.to_seq)
              -- Not through an event hidden from the reader (stored while a block stood).
              AND NOT EXISTS (
                SELECT 1 FROM events e WHERE e.conversation_id = r.conversation_id AND e.seq = r.seq AND e.hidden_from = ${user}
              )
              AND NOT ${hiddenInGroupSql('r.conversation_id', 'r.seq', user)}
          ))`;
}

/**
 * The envelope of `conversation` under client id `clientId` that an envelope of `sender` deletes
 * (seq, sender_id, deleted, hidden_from, hidden_here): the sender's own when they have one (client
 * ids are unique per sender, not per conversation), else another's, which they may not delete.
 * `indexHint` follows the table's alias (SQLite pins its index: INDEXED BY).
 */
export function deleteTargetSql(conversation: string, clientId: string, sender: string, indexHint = ''): string {
  return `SELECT t.seq, t.sender_id, t.deleted, t.hidden_from, ${hiddenInGroupSql('t.conversation_id', 't.seq', sender)} AS hidden_here
          FROM events t ${indexHint}
          WHERE t.conversation_id = ${conversation} AND t.message_id = ${clientId} AND t.kind = 'envelope'
          ORDER BY t.sender_id = ${sender} DESC, t.seq LIMIT 1`;
}

/** What a purged envelope keeps of what it said: nothing (the row, its seq and its timer stay). */
const PURGED = `ciphertext = '', deleted = TRUE, payload = NULL`;

/**
 * Delete for everyone of the envelope at `seq`: its ciphertext becomes '' and its upload ids go, so
 * catch-up never serves them again; the row stays, so no sequence number disappears. (Its
 * attachment_refs go in the same transaction.)
 */
export function purgeEnvelopeSql(conversation: string, seq: string): string {
  return `UPDATE events SET ${PURGED}
          WHERE conversation_id = ${conversation} AND seq = ${seq} AND kind = 'envelope'`;
}

// Disappearing messages (ServerStore.purgeExpiredEnvelopes), in each pass's one transaction. Each
// statement first picks the rows it changes, once (MATERIALIZED), reading events through a partial
// index that holds only what it may change, so a pass with nothing due costs the same over a million
// stored envelopes as over ten: `indexHint(index)` follows `events e` (SQLite pins it: INDEXED BY),
// and `lock` ends the pick (PostgreSQL locks the rows, skipping those another node's pass holds, so
// passes running at once take different rows and never wait for each other).

/** How a store spells the sweep's picks. */
export interface SweepDialect {
  indexHint: (index: SweepIndex) => string;
  lock: string;
}

/**
 * The sweep's partial indexes (SQLite migration 20, PostgreSQL 17): the live expiring envelopes not
 * yet found read by all; those found so, by when their timer runs out; and all, by when the unread
 * grace runs out. Each one's WHERE is spelt out in the pick that reads it.
 */
export type SweepIndex = 'events_expiring_unread' | 'events_expiring_read_due' | 'events_expiring_stored_due';

/** The live envelopes with a timer, of `events e`. */
const EXPIRING = `e.expires_in_ms IS NOT NULL AND e.deleted = FALSE`;

/**
 * Stamps `now` (all_read_at) on up to `limit` live expiring envelopes not stamped yet that every
 * current member but their sender has read. (A member who joined since was given watermarks past them.)
 */
export function stampAllReadSql(now: string, limit: string, sweep: SweepDialect): string {
  return `WITH read_by_all AS MATERIALIZED (
            SELECT e.conversation_id, e.seq FROM events e ${sweep.indexHint('events_expiring_unread')}
            WHERE ${EXPIRING} AND e.all_read_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM members m
                              WHERE m.conversation_id = e.conversation_id AND m.user_id <> e.sender_id AND m.read_seq < e.seq)
            LIMIT ${limit} ${sweep.lock})
          UPDATE events SET all_read_at = ${now} WHERE (conversation_id, seq) IN (SELECT conversation_id, seq FROM read_by_all)`;
}

/**
 * Purges, as purgeEnvelopeSql does, up to `limit` live envelopes whose timer ran out by `now`: since
 * every member had read them, or since they were stored plus the unread grace (two picks, one per
 * index, each a range of its due times). RETURNING the ones purged (conversation_id, seq), whose
 * attachment_refs go in the same transaction.
 */
export function purgeExpiredSql(now: string, limit: string, sweep: SweepDialect): string {
  return `WITH read_due AS MATERIALIZED (
            SELECT e.conversation_id, e.seq FROM events e ${sweep.indexHint('events_expiring_read_due')}
            WHERE ${EXPIRING} AND e.all_read_at IS NOT NULL AND e.all_read_at + e.expires_in_ms <= ${now}
            LIMIT ${limit} ${sweep.lock}),
          stored_due AS MATERIALIZED (
            SELECT e.conversation_id, e.seq FROM events e ${sweep.indexHint('events_expiring_stored_due')}
            WHERE ${EXPIRING} AND e.sent_at + e.expires_in_ms <= ${now} - ${DISAPPEARING_LIMITS.unreadGraceMs}
            LIMIT ${limit} ${sweep.lock}),
          expired AS MATERIALIZED (
            SELECT conversation_id, seq FROM read_due UNION SELECT conversation_id, seq FROM stored_due LIMIT ${limit})
          UPDATE events SET ${PURGED} WHERE (conversation_id, seq) IN (SELECT conversation_id, seq FROM expired)
          RETURNING conversation_id, seq`;
}

// The device inbox (device-inbox.ts). `people` and `sessions` are lists as each store spells one,
// a subquery of one column named user_id or session_id (SQLite: json_each; PostgreSQL: unnest).

/**
 * Of `people`, those who share a conversation with `user` now (user_id): both members of one, a
 * message request not yet answered included (its members row is there); one they left or were
 * removed from is not (the row went, member_periods keeps only the history).
 */
export function contactsAmongSql(user: string, people: string): string {
  return `SELECT p.user_id FROM ${people} p
          WHERE EXISTS (SELECT 1 FROM members theirs
                        JOIN members mine ON mine.conversation_id = theirs.conversation_id AND mine.user_id = ${user}
                        WHERE theirs.user_id = p.user_id)`;
}

/** `user`'s identity public key (public_key); no row when they never published keys. */
export function identityKeySql(user: string): string {
  return `SELECT public_key FROM identity_keys WHERE user_id = ${user}`;
}

/**
 * The devices with keys of `people` (DeviceWithKeysRow): their sessions last used at or after
 * `expiredBefore` that published keys, but `exceptSession` (the sending device).
 */
export function devicesWithKeysSql(people: string, exceptSession: string, expiredBefore: string): string {
  return `SELECT s.id AS session_id, s.user_id, s.device_number, d.registration_id
          FROM sessions s JOIN device_keys d ON d.session_id = s.id
          WHERE s.user_id IN (SELECT user_id FROM ${people} p) AND s.id <> ${exceptSession} AND s.last_used_at >= ${expiredBefore}
          ORDER BY s.id`;
}

/** What each of `sessions` has waiting (WaitingRow), in all and from `sender`; no row for an empty inbox. */
export function waitingInboxSql(sessions: string, sender: string): string {
  return `SELECT session_id, count(*) AS total, count(*) FILTER (WHERE sender_user_id = ${sender}) AS from_sender
          FROM device_inbox WHERE session_id IN (SELECT session_id FROM ${sessions} x)
          GROUP BY session_id`;
}

/** A page of `session`'s envelopes (InboxRow) with ids after `after`, oldest first, `limit` of them. */
export function inboxPageSql(session: string, after: string, limit: string): string {
  return `SELECT i.id, i.sender_user_id, i.sender_device, s.device_number, i.kind, i.ciphertext, i.sent_at
          FROM device_inbox i JOIN sessions s ON s.id = i.session_id
          WHERE i.session_id = ${session} AND i.id > ${after}
          ORDER BY i.id LIMIT ${limit}`;
}

/** `user`'s device numbered `deviceNumber`, if signed in (OwnDeviceRow): its session, name, and whether it published keys. */
export function ownDeviceSql(user: string, deviceNumber: string, expiredBefore: string): string {
  return `SELECT s.id AS session_id, s.device_name, EXISTS (SELECT 1 FROM device_keys d WHERE d.session_id = s.id) AS linked
          FROM sessions s WHERE s.user_id = ${user} AND s.device_number = ${deviceNumber} AND s.last_used_at >= ${expiredBefore}`;
}

// What a server upgraded from before end-to-end encryption holds in the clear (plaintext.ts). Each
// store names the top-level field of a JSON column its own way (`field`: SQLite json_extract,
// PostgreSQL ->>) and sets one to JSON null its own way (`withNullField`); `indexHint` follows
// `events` where the events kept in the clear are read (SQLite pins their partial index, which its
// planner passes over without statistics: INDEXED BY).

/** How a store spells the JSON it reads and writes here. */
export interface JsonDialect {
  field(column: string, name: string): string;
  withNullField(column: string, name: string): string;
  indexHint: string;
}

/** The events kept in the clear (store-rows.ts: PLAINTEXT_EVENT_KINDS): the WHERE of their partial index, events_kept_in_clear. */
export const KEPT_IN_CLEAR = `kind IN (${PLAINTEXT_EVENT_KINDS.map((kind) => `'${kind}'`).join(', ')})`;

/**
 * What plaintextHeld counts (PlaintextHeld, as settings, events and group_names): the settings set
 * aside (SQLite 16, PostgreSQL 13), the events kept in the clear (their partial index), and the
 * groups with a name in their row or in their creation, which is a group's first event.
 */
export function plaintextHeldSql(json: JsonDialect): string {
  return `SELECT (SELECT count(*) FROM plaintext_settings) AS settings,
                 (SELECT count(*) FROM events ${json.indexHint} WHERE ${KEPT_IN_CLEAR}) AS events,
                 (SELECT count(*) FROM conversations c
                  WHERE c.kind = 'group' AND (c.name IS NOT NULL OR (
                    SELECT ${json.field('e.payload', 'name')} FROM events e WHERE e.conversation_id = c.id ORDER BY e.seq LIMIT 1
                  ) IS NOT NULL)) AS group_names`;
}

/**
 * What purgePlaintext runs, in order and in one transaction: the events kept in the clear go with
 * the rows that only they had (their references to uploads, which garbage collection then takes if
 * nothing else refers to them; the rows hiding them from blocked members; the reactions their
 * reactions made), every group name goes from conversations and creation events, and the settings
 * set aside go. The sequence numbers of the events deleted are left as gaps (cutPage serves across them).
 */
export function purgePlaintextSql(json: JsonDialect): string[] {
  const keptInClear = `SELECT conversation_id, seq FROM events ${json.indexHint} WHERE ${KEPT_IN_CLEAR}`;
  return [
    `DELETE FROM attachment_refs WHERE (conversation_id, seq) IN (${keptInClear})`,
    `DELETE FROM hidden_events WHERE (conversation_id, seq) IN (${keptInClear})`,
    `DELETE FROM reactions`,
    `DELETE FROM events ${json.indexHint} WHERE ${KEPT_IN_CLEAR}`,
    `UPDATE conversations SET name = NULL WHERE name IS NOT NULL`,
    `UPDATE events SET payload = ${json.withNullField('payload', 'name')}
     WHERE kind = 'group_created' AND ${json.field('payload', 'name')} IS NOT NULL`,
    `DELETE FROM plaintext_settings`,
  ];
}
