/**
 * What the mirror knows that the content rules (sync/content/rules.ts) judge by, read inside the
 * transaction that applies the content, as of the events applied before it: the sender's role in
 * the conversation, and the message a change names.
 */
import type { ChangeTarget } from '../../protocol/rules.js';
import type { ConversationKind, Role } from '../../protocol/frames.js';
import type { Content } from '../../content/content.js';
import type { ContentSender } from '../../content/rules.js';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';

/**
 * The sender as the rules see them. The server let them write, so they were a member when they
 * did; one no longer active here (they left since) keeps the plainest role.
 */
export function contentSender(db: Db, conversationId: string, senderId: string): ContentSender {
  const row = cachedStatement(
    db,
    `SELECT c.kind, m.role FROM conversations c LEFT JOIN members m ON m.conversation_id = c.id AND m.user_id = ? AND m.active = 1
     WHERE c.id = ?`,
  ).get(senderId, conversationId) as { kind: ConversationKind; role: Role | null } | undefined;
  return { id: senderId, role: row?.role ?? 'member', conversationKind: row?.kind ?? 'group' };
}

/** The message a change names, with the emojis its sender has on it; null for a message or rename, or a message not here. */
export function contentTarget(db: Db, conversationId: string, senderId: string, content: Content): ChangeTarget | null {
  if (content.kind === 'message' || content.kind === 'rename') return null;
  const message = cachedStatement(
    db,
    'SELECT sender_id, deleted FROM messages WHERE conversation_id = ? AND client_message_id = ?',
  ).get(conversationId, content.messageId) as { sender_id: string; deleted: number } | undefined;
  if (!message) return null;
  const emojis = cachedValueStatement(
    db,
    'SELECT emoji FROM reactions WHERE conversation_id = ? AND message_id = ? AND user_id = ? AND on_ = 1',
  ).all(conversationId, content.messageId, senderId) as string[];
  return { authorId: message.sender_id, deleted: message.deleted === 1, senderEmojis: new Set(emojis) };
}
