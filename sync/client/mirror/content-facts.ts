/**
 * What the mirror knows that the content rules (sync/content/rules.ts) judge by, read inside the
 * transaction that applies the content, as of the events applied before it: the sender's role in
 * the conversation, and the message a change names.
 */
import type { ConversationKind, Role } from '../../protocol/frames.js';
import type { Content } from '../../content/content.js';
import type { ChangeTarget, ContentSender } from '../../content/rules.js';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';
import { roleFromNotices } from './membership-notices.js';
import { isMessageStateContent } from '../../content/kinds/message-state.js';
import { pollOf } from './message-state.js';
import { locationOf } from './location-state.js';
import { stickerOf } from './sticker-state.js';

/** Who wrote content, where, at which seq, and their role then as the server attested it (absent: not attested). */
export interface ContentOrigin {
  conversationId: string;
  senderId: string;
  seq: number;
  senderRole?: Role;
}

/**
 * The sender as the rules see them at `seq`. The server attests their role when it stores an
 * envelope (protocol/envelope-frames.ts: senderRole), so every device judges it alike however late
 * it opens there. Without it (an envelope stored before, a change held for its message): the server
 * let them write, so they were a member when they did, and events are applied in seq order, so the
 * members here are as of `seq`, unless a member list the server gave (a snapshot, as of a later
 * seq) already holds what came after: then their role is read from the membership notices before
 * `seq` (roleFromNotices). One with no role known keeps the plainest.
 */
export function contentSender(db: Db, origin: ContentOrigin, content: Content, knownKind?: ConversationKind): ContentSender {
  const sender = senderAsOf(db, origin, content, knownKind);
  if (content.kind !== 'disappearing_timer' || sender.conversationKind !== 'group') return sender;
  // Events apply in seq order, so the policy stored now is the one in force at this seq.
  const everyone = cachedValueStatement(db, 'SELECT disappearing_everyone FROM conversations WHERE id = ?').get(
    origin.conversationId,
  ) as number | undefined;
  return { ...sender, everyoneMaySetTimer: everyone === 1 };
}

function senderAsOf(
  db: Db,
  origin: ContentOrigin,
  content: Content,
  /** The conversation's kind when the caller knows it (a batch reads it once): an attested role then needs no query. */
  knownKind?: ConversationKind,
): ContentSender {
  const { conversationId, senderId, seq } = origin;
  if (origin.senderRole && knownKind) return { id: senderId, role: origin.senderRole, conversationKind: knownKind };
  const row = cachedStatement(
    db,
    `SELECT c.kind, c.members_seq, m.role FROM conversations c
     LEFT JOIN members m ON m.conversation_id = c.id AND m.user_id = ? AND m.active = 1
     WHERE c.id = ?`,
  ).get(senderId, conversationId) as { kind: ConversationKind; members_seq: number; role: Role | null } | undefined;
  const conversationKind = row?.kind ?? 'group';
  if (origin.senderRole) return { id: senderId, role: origin.senderRole, conversationKind };
  // A message is judged by no role (content/rules.ts): a catch-up of history reads no notices for it.
  const pastRole = row && content.kind !== 'message' && seq <= row.members_seq;
  const role = pastRole ? (roleFromNotices(db, conversationId, senderId, seq) ?? row.role) : row?.role;
  return { id: senderId, role: role ?? 'member', conversationKind };
}

/** The message a change names, with the emojis its sender has on it; null for a message, rename or call, or a message not here. */
export function contentTarget(db: Db, conversationId: string, senderId: string, content: Content): ChangeTarget | null {
  // Only content that names a message has one to judge it by.
  if (!('messageId' in content)) return null;
  const message = cachedStatement(
    db,
    'SELECT sender_id, deleted FROM messages WHERE conversation_id = ? AND client_message_id = ?',
  ).get(conversationId, content.messageId) as { sender_id: string; deleted: number } | undefined;
  if (!message) return null;
  const emojis = cachedValueStatement(
    db,
    'SELECT emoji FROM reactions WHERE conversation_id = ? AND message_id = ? AND user_id = ? AND on_ = 1',
  ).all(conversationId, content.messageId, senderId) as string[];
  // Only an edit, a vote or an end depends on whether the message is a poll: a reaction asks nothing more.
  const poll = content.kind === 'edit' || isMessageStateContent(content) ? pollOf(db, conversationId, content.messageId) : null;
  const location =
    content.kind === 'edit' || isMessageStateContent(content) ? locationOf(db, conversationId, content.messageId) : null;
  const sticker = content.kind === 'edit' && stickerOf(db, conversationId, content.messageId) !== null;
  return { authorId: message.sender_id, deleted: message.deleted === 1, senderEmojis: new Set(emojis), poll, location, sticker };
}
