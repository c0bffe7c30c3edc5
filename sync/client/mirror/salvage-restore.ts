/**
 * Puts what outbox-salvage.ts read from a damaged mirror into a new one: the account (without a
 * token: signing in again is needed), each conversation as far as it was known (the server's list
 * fills in the rest once connected), the unsent messages and the queued rows, in their old order.
 * Idempotent: a row already there (same client id) is left as it is.
 */
import { cachedStatement, type Db } from '../../node/sqlite.js';
import { refreshLastMessage } from './conversation-stats.js';
import type { SalvagedOutbox } from './outbox-salvage.js';

/** Runs inside the caller's transaction. Returns the ids of the messages queued again. */
export function restoreSalvaged(db: Db, salvaged: SalvagedOutbox): { conversationId: string; messageId: string }[] {
  const { account } = salvaged;
  cachedStatement(
    db,
    `INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, ?, NULL, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
  ).run(account.serverUrl, account.user.id, account.user.username, account.user.displayName);
  for (const conversation of salvaged.conversations) {
    cachedStatement(
      db,
      `INSERT INTO conversations (id, kind, created_at, last_activity_at, name, peer_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
    ).run(
      conversation.id,
      conversation.kind,
      conversation.createdAt,
      conversation.createdAt,
      conversation.name,
      conversation.peerId,
    );
  }
  const messages: { conversationId: string; messageId: string }[] = [];
  for (const row of salvaged.rows) {
    if (row.message && row.messageId !== null) {
      const stored = cachedStatement(
        db,
        `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, reply_to, link_preview,
           expires_in_ms)
           VALUES (?, ?, ?, ?, NULL, 'sending', ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(
        row.conversationId,
        row.messageId,
        account.user.id,
        row.message.text,
        row.message.createdAt,
        row.message.replyTo,
        row.message.linkPreview ? JSON.stringify(row.message.linkPreview) : null,
        row.message.expiresInMs ?? null,
      );
      if (stored.changes > 0) messages.push({ conversationId: row.conversationId, messageId: row.messageId });
      cachedStatement(db, 'UPDATE conversations SET last_activity_at = MAX(last_activity_at, ?) WHERE id = ?').run(
        row.message.createdAt,
        row.conversationId,
      );
    }
    cachedStatement(
      db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, ?, ?, ?, 'pending')
         ON CONFLICT (client_id) DO NOTHING`,
    ).run(row.conversationId, row.clientId, row.kind, row.messageId, row.payload);
  }
  for (const conversation of salvaged.conversations) refreshLastMessage(db, conversation.id);
  return messages;
}
