import { BOUND_LIMIT, type Db } from '../../node/sqlite.js';
import { conversationDevicesSql } from './conversation-devices.js';
import {
  blockedWithSql,
  conversationForMemberSql,
  conversationsOfSql,
  deleteTargetSql,
  formerConversationSql,
  formerConversationsOfSql,
  freezeGroupWatermarksSql,
  frozenWatermarksForSql,
  groupBlockedSql,
  groupBlockersSql,
  groupFrozenWatermarksForSql,
  hiddenInGroupSql,
  membersOfConversationsOfSql,
  membersOfSql,
  purgeEnvelopeSql,
  sharedGroupsSql,
  treatAsContactSql,
  writersOfSql,
  authorsBetweenSql,
  writtenWithSql,
} from './shared-sql.js';
import { prepareExpiryStatements } from './sqlite-expiry.js';
import { EVENT_COLUMNS } from './sqlite-rows.js';
import { prepareUploadStatements } from './sqlite-uploads.js';

/** Every statement the SQLite server store runs, prepared once per database handle. */
export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Db) {
  const conversationColumns = `c.id, c.kind, c.created_by, c.last_seq, c.created_at`;
  return {
    // --- users
    insertUser: db.prepare(
      `INSERT INTO users (id, username, display_name, password_hash, created_at)
       VALUES (@id, @username, @displayName, @passwordHash, @createdAt)`,
    ),
    userByUsername: db.prepare(`SELECT * FROM users WHERE username = ?`),

    // --- caps per hour (cap-rules.ts)
    conversationsCreatedSince: db.prepare(`SELECT count(*) FROM conversations WHERE created_by = ? AND created_at > ?`).pluck(),
    membersAddedSince: db
      .prepare(`SELECT coalesce(sum(count), 0) FROM member_additions WHERE user_id = ? AND added_at > ?`)
      .pluck(),
    forgetAdditionsBefore: db.prepare(`DELETE FROM member_additions WHERE user_id = ? AND added_at <= ?`),
    recordAddition: db.prepare(`INSERT INTO member_additions (user_id, added_at, count) VALUES (?, ?, ?)`),

    // --- conversations and members
    conversationById: db.prepare(`SELECT ${conversationColumns} FROM conversations c WHERE c.id = ?`),
    conversationByPair: db.prepare(`SELECT ${conversationColumns} FROM conversations c WHERE c.pair_key = ?`),
    // ON CONFLICT DO NOTHING: two creations racing for one id (or one pair) cannot both insert,
    // whatever the store's concurrency; the loser reads the winner's row.
    // No name: a group's is sealed content (server-store.ts).
    insertConversation: db.prepare(
      `INSERT INTO conversations (id, kind, pair_key, created_by, last_seq, next_join_order, created_at)
       VALUES (@id, @kind, @pairKey, @createdBy, 0, 0, @createdAt)
       ON CONFLICT DO NOTHING`,
    ),
    nextJoinOrder: db.prepare(
      `UPDATE conversations SET next_join_order = next_join_order + 1 WHERE id = ? RETURNING next_join_order - 1 AS join_order`,
    ),
    insertMember: db.prepare(
      `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq, request_from)
       VALUES (@conversationId, @userId, @role, @joinOrder, @seenSeq, @seenSeq, @requestFrom)`,
    ),
    deleteMember: db.prepare(`DELETE FROM members WHERE conversation_id = ? AND user_id = ?`),
    setRole: db.prepare(`UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?`),
    openPeriod: db.prepare(`INSERT INTO member_periods (conversation_id, user_id, from_seq, to_seq) VALUES (?, ?, ?, NULL)`),
    closePeriod: db.prepare(`UPDATE member_periods SET to_seq = ? WHERE conversation_id = ? AND user_id = ? AND to_seq IS NULL`),
    conversationForMember: db.prepare(conversationForMemberSql('@conversationId', '@userId')),
    conversationsOf: db.prepare(conversationsOfSql('@userId', '@after', '@limit')),
    formerConversationsOf: db.prepare(formerConversationsOfSql('@userId', '@after', '@limit')),
    formerConversation: db.prepare(formerConversationSql('@conversationId', '@userId')),
    membersOf: db.prepare(membersOfSql('?')),
    membersOfConversationsOf: db.prepare(membersOfConversationsOfSql('@userId', '@after', '@last')),
    memberIdsOf: db.prepare(`SELECT user_id FROM members WHERE conversation_id = ? ORDER BY join_order`),
    membership: db.prepare(`SELECT role, join_order FROM members WHERE conversation_id = ? AND user_id = ?`),
    rolesOf: db.prepare(`SELECT user_id, role, join_order FROM members WHERE conversation_id = ?`),
    userById: db.prepare(`SELECT id, username, display_name FROM users WHERE id = ?`),
    hasPeriod: db.prepare(`SELECT 1 FROM member_periods WHERE conversation_id = ? AND user_id = ? LIMIT 1`),
    periodsOf: db.prepare(`SELECT from_seq, to_seq FROM member_periods WHERE conversation_id = ? AND user_id = ?`),

    // --- the event log
    eventByClientId: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE sender_id = ? AND client_id = ?`),
    nextSeq: db.prepare(`UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`),
    // text: '' (NOT NULL), as no event stored now has any (store-rows.ts: EventRecord).
    insertEvent: db.prepare(
      `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                           deleted, payload, hidden_from, sender_device, ciphertext, expires_in_ms)
       VALUES (@conversation_id, @seq, @kind, @sender_id, @client_id, @message_id, '', @sent_at,
               @deleted, @payload, @hidden_from, @sender_device, @ciphertext, @expires_in_ms)`,
    ),
    // The first event in (afterSeq, untilSeq] that `userId` may be served (not hidden from them).
    firstServedAfter: db.prepare(
      `SELECT e.seq FROM events e
       WHERE e.conversation_id = @conversationId AND e.seq > @afterSeq AND e.seq <= @untilSeq
         AND (e.hidden_from IS NULL OR e.hidden_from <> @userId)
         AND NOT ${hiddenInGroupSql('@conversationId', 'e.seq', '@userId')}
       ORDER BY e.seq LIMIT 1`,
    ),
    // Group events hidden from a member (hidden_events): which, and which of a page's are.
    hideEvent: db.prepare(`INSERT INTO hidden_events (conversation_id, seq, user_id) VALUES (?, ?, ?)`),
    hiddenSeqsIn: db
      .prepare(`SELECT seq FROM hidden_events WHERE conversation_id = ? AND user_id = ? AND seq BETWEEN ? AND ?`)
      .pluck(),
    groupBlockers: db.prepare(groupBlockersSql('@conversationId', '@userId')).pluck(),
    // Within one visible stretch: seq in (afterSeq, untilSeq].
    // As arrays of EVENT_COLUMNS, made into rows by eventRowOf: better-sqlite3's own row objects
    // cost more than the read itself (a page of catch-up: 4.2–5.0 µs an event as objects, 2.2 as arrays).
    eventsBetween: db
      .prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE conversation_id = ? AND seq > ? AND seq <= ? ORDER BY seq ${BOUND_LIMIT}`,
      )
      .raw(),
    // In the order they are named (EventPage.users), so every store and every read agree.
    usersIn: db.prepare(
      `SELECT u.id, u.username, u.display_name FROM json_each(?) named JOIN users u ON u.id = named.value ORDER BY named.key`,
    ),
    // Envelopes (sqlite-envelopes.ts): the one a delete names, and its purge.
    deleteTarget: db.prepare(deleteTargetSql('@conversationId', '@clientId', '@senderId', 'INDEXED BY events_by_message')),
    purgeEnvelope: db.prepare(purgeEnvelopeSql('?', '?')),
    // Those whose timer ran out (sqlite-expiry.ts).
    ...prepareExpiryStatements(db),
    devicesVersion: db.prepare('SELECT devices_version FROM conversations WHERE id = ?').pluck(),
    conversationDevices: db.prepare(conversationDevicesSql('?')),

    // --- watermarks
    watermark: db.prepare(
      `SELECT m.delivered_seq, m.read_seq, c.last_seq FROM members m
       JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = ? AND m.user_id = ?`,
    ),
    groupBlocked: db.prepare(groupBlockedSql('@conversationId', '@userId')).pluck(),
    updateWatermark: db.prepare(
      `UPDATE members SET delivered_seq = @deliveredSeq, read_seq = @readSeq
       WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),

    // --- presence
    writtenWith: db.prepare(writtenWithSql('@userId')),
    writersOf: db.prepare(writersOfSql('?')),
    authorsBetween: db.prepare(authorsBetweenSql('?', '?', '?')).pluck(),
    // The sender's first envelope since they joined (presence-rules.ts); changes nothing after it.
    markWrote: db.prepare(
      `UPDATE members SET first_message_seq = @seq
       WHERE conversation_id = @conversationId AND user_id = @userId AND first_message_seq IS NULL`,
    ),
    hideOnline: db.prepare(`INSERT OR IGNORE INTO online_hidden (user_id) VALUES (?)`),
    showOnline: db.prepare(`DELETE FROM online_hidden WHERE user_id = ?`),
    lastSeen: db.prepare(`SELECT last_seen_at FROM users WHERE id = ?`),
    recordLastSeen: db.prepare(`UPDATE users SET last_seen_at = @at WHERE id = @userId`),

    // --- uploads and the events that refer to them
    ...prepareUploadStatements(db),

    // --- personal settings (sqlite-settings.ts), blocks
    // The per-user counter moves in the transaction that changes the registers, by as many as win:
    // never read-then-write. The sealed totals move with it, by the difference the write makes.
    bumpSettingsVersion: db.prepare(
      `UPDATE users SET settings_version = settings_version + @count, sealed_settings = sealed_settings + @sealed,
         sealed_settings_bytes = sealed_settings_bytes + @sealedBytes
       WHERE id = @userId RETURNING settings_version AS version`,
    ),
    sealedUsage: db.prepare(`SELECT sealed_settings AS count, sealed_settings_bytes AS bytes FROM users WHERE id = ?`),
    settingByKey: db.prepare(`SELECT key, setting, at, by, version FROM settings WHERE user_id = ? AND key = ?`),
    upsertSetting: db.prepare(
      `INSERT INTO settings (user_id, key, setting, at, by, version) VALUES (@userId, @key, @setting, @at, @by, @version)
       ON CONFLICT (user_id, key) DO UPDATE SET setting = excluded.setting, at = excluded.at, by = excluded.by,
         version = excluded.version`,
    ),
    settingsAfter: db.prepare(
      `SELECT key, setting, at, by, version FROM settings WHERE user_id = ? AND version > ? ORDER BY version ${BOUND_LIMIT}`,
    ),
    insertBlock: db.prepare(`INSERT OR IGNORE INTO blocks (blocker_id, blocked_id) VALUES (?, ?)`),
    deleteBlock: db.prepare(`DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`),
    blocks: db.prepare(`SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?`),
    blockedWith: db.prepare(blockedWithSql('@userId')),
    snapshotWatermarks: db.prepare(
      `INSERT OR REPLACE INTO block_watermarks (conversation_id, user_id, delivered_seq, read_seq)
       SELECT conversation_id, user_id, delivered_seq, read_seq FROM members WHERE conversation_id = ?`,
    ),
    dropWatermarkSnapshots: db.prepare(`DELETE FROM block_watermarks WHERE conversation_id = ?`),
    frozenWatermarksFor: db.prepare(frozenWatermarksForSql('@userId', '@after', '@last')),
    frozenWatermarksIn: db.prepare(
      `SELECT conversation_id, user_id, delivered_seq, read_seq FROM block_watermarks WHERE conversation_id = ? AND user_id <> ?`,
    ),
    hiddenFromOf: db.prepare(`SELECT hidden_from FROM conversations WHERE id = ?`),
    freezeGroupWatermarks: db.prepare(freezeGroupWatermarksSql('@blocker', '@blocked')),
    thawGroupWatermarks: db.prepare(`DELETE FROM group_block_watermarks WHERE viewer_id = @blocked AND user_id = @blocker`),
    sharedGroups: db.prepare(sharedGroupsSql('@blocker', '@blocked')),
    groupFrozenWatermarksFor: db.prepare(groupFrozenWatermarksForSql('@userId', { after: '@after', last: '@last' })),
    groupFrozenWatermarksIn: db.prepare(groupFrozenWatermarksForSql('@userId', { conversation: '@conversationId' })),

    // --- message requests (request-rules.ts), kept with their registers
    acceptRequest: db.prepare(`INSERT OR IGNORE INTO accepted_requests (user_id, conversation_id) VALUES (?, ?)`),
    unacceptRequest: db.prepare(`DELETE FROM accepted_requests WHERE user_id = ? AND conversation_id = ?`),
    restrictGroupAdds: db.prepare(`INSERT OR IGNORE INTO group_adds_restricted (user_id) VALUES (?)`),
    allowGroupAdds: db.prepare(`DELETE FROM group_adds_restricted WHERE user_id = ?`),
    groupAddsRestricted: db.prepare(`SELECT 1 FROM group_adds_restricted WHERE user_id = ?`),
    treatAsContact: db.prepare(treatAsContactSql('@userId')),
    hideConversation: db.prepare(`UPDATE conversations SET hidden_from = ? WHERE id = ?`),
  };
}
