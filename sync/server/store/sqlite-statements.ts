import type { Db } from '../../node/sqlite.js';

/** Every statement the SQLite server store runs, prepared once per database handle. */
export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Db) {
  const memberColumns = `m.conversation_id, u.id, u.username, u.display_name, m.delivered_seq, m.read_seq`;
  return {
    // --- users and sessions
    insertUser: db.prepare(
      `INSERT INTO users (id, username, display_name, password_hash, created_at)
       VALUES (@id, @username, @displayName, @passwordHash, @createdAt)`,
    ),
    userByUsername: db.prepare(`SELECT * FROM users WHERE username = ?`),
    insertSession: db.prepare(
      `INSERT INTO sessions (token_hash, user_id, created_at) VALUES (@tokenHash, @userId, @createdAt)`,
    ),
    userBySession: db.prepare(
      `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`,
    ),

    // --- conversations and members
    conversationByPair: db.prepare(`SELECT id, last_seq, created_at FROM conversations WHERE pair_key = ?`),
    conversationById: db.prepare(`SELECT id, last_seq, created_at FROM conversations WHERE id = ?`),
    insertConversation: db.prepare(
      `INSERT INTO conversations (id, kind, pair_key, last_seq, created_at) VALUES (@id, 'direct', @pairKey, 0, @createdAt)`,
    ),
    insertMember: db.prepare(
      `INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq) VALUES (@conversationId, @userId, 0, 0)`,
    ),
    conversationForMember: db.prepare(
      `SELECT c.id, c.last_seq, c.created_at FROM conversations c
       JOIN members m ON m.conversation_id = c.id
       WHERE c.id = ? AND m.user_id = ?`,
    ),
    conversationsOf: db.prepare(
      `SELECT c.id, c.last_seq, c.created_at FROM conversations c
       JOIN members m ON m.conversation_id = c.id
       WHERE m.user_id = ?
       ORDER BY c.created_at, c.id`,
    ),
    // Members keep the order they were added in (creator first), hence members.rowid.
    membersOf: db.prepare(
      `SELECT ${memberColumns} FROM members m JOIN users u ON u.id = m.user_id
       WHERE m.conversation_id = ? ORDER BY m.rowid`,
    ),
    membersOfConversationsOf: db.prepare(
      `SELECT ${memberColumns} FROM members m JOIN users u ON u.id = m.user_id
       WHERE m.conversation_id IN (SELECT conversation_id FROM members WHERE user_id = ?)
       ORDER BY m.rowid`,
    ),
    memberIdsOf: db.prepare(`SELECT user_id FROM members WHERE conversation_id = ? ORDER BY rowid`),
    membership: db.prepare(`SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ?`),

    // --- the event log
    eventByClientId: db.prepare(`SELECT * FROM events WHERE sender_id = ? AND client_id = ?`),
    // INDEXED BY: without statistics the planner prefers the primary key's conversation_id prefix,
    // which scans the whole conversation; these lookups must stay one index probe however long it is.
    messageById: db.prepare(
      `SELECT sender_id, deleted FROM events INDEXED BY events_by_message
       WHERE conversation_id = ? AND message_id = ? AND kind = 'message'`,
    ),
    nextSeq: db.prepare(`UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`),
    insertEvent: db.prepare(
      `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at,
                           reply_to, deleted, emoji, reaction_on)
       VALUES (@conversation_id, @seq, @kind, @sender_id, @client_id, @message_id, @text, @sent_at,
               @reply_to, @deleted, @emoji, @reaction_on)`,
    ),
    eventsAfter: db.prepare(`SELECT * FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
    // Delete for everyone: the texts go, the rows (and their sequence numbers) stay.
    purgeMessage: db.prepare(
      `UPDATE events INDEXED BY events_by_message SET text = '', deleted = 1
       WHERE conversation_id = ? AND message_id = ? AND kind = 'message'`,
    ),
    purgeEdits: db.prepare(
      `UPDATE events INDEXED BY events_by_message SET text = ''
       WHERE conversation_id = ? AND message_id = ? AND kind = 'edit'`,
    ),

    // --- current reactions
    emojisOf: db.prepare(
      `SELECT emoji FROM reactions WHERE conversation_id = ? AND message_id = ? AND user_id = ?`,
    ),
    addReaction: db.prepare(
      `INSERT OR IGNORE INTO reactions (conversation_id, message_id, user_id, emoji)
       VALUES (@conversationId, @messageId, @userId, @emoji)`,
    ),
    removeReaction: db.prepare(
      `DELETE FROM reactions
       WHERE conversation_id = @conversationId AND message_id = @messageId AND user_id = @userId AND emoji = @emoji`,
    ),
    dropReactions: db.prepare(`DELETE FROM reactions WHERE conversation_id = ? AND message_id = ?`),

    // --- watermarks
    watermark: db.prepare(
      `SELECT m.delivered_seq, m.read_seq, c.last_seq FROM members m
       JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = ? AND m.user_id = ?`,
    ),
    updateWatermark: db.prepare(
      `UPDATE members SET delivered_seq = @deliveredSeq, read_seq = @readSeq
       WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),

    // --- presence
    contactsOf: db.prepare(
      `SELECT DISTINCT u.id AS user_id, u.last_seen_at FROM members mine
       JOIN members theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id <> mine.user_id
       JOIN users u ON u.id = theirs.user_id
       WHERE mine.user_id = ?
       ORDER BY u.id`,
    ),
    lastSeen: db.prepare(`SELECT last_seen_at FROM users WHERE id = ?`),
    recordLastSeen: db.prepare(`UPDATE users SET last_seen_at = @at WHERE id = @userId`),
  };
}
