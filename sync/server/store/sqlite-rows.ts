import type { ConversationEvent, Conversation, Member, User } from '../../protocol/frames.js';
import type { StoredUser } from './server-store.js';

/** Row shapes of the server database and their conversion to protocol types, in one place. */

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: number;
}
export interface ConversationRow {
  id: string;
  last_seq: number;
  created_at: number;
}
export interface MemberRow {
  conversation_id: string;
  id: string;
  username: string;
  display_name: string;
  delivered_seq: number;
  read_seq: number;
}

/** One row of `events`: every kind in one table, unused columns NULL (text '' where it has none). */
export interface EventRow {
  conversation_id: string;
  seq: number;
  kind: string;
  sender_id: string;
  /** The clientMessageId or clientChangeId. */
  client_id: string;
  /** The message itself for kind 'message', the target otherwise. */
  message_id: string | null;
  text: string;
  sent_at: number;
  reply_to: string | null;
  deleted: number;
  emoji: string | null;
  reaction_on: number | null;
}

export function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, displayName: row.display_name };
}

export function toStoredUser(row: UserRow): StoredUser {
  return { ...toUser(row), passwordHash: row.password_hash, createdAt: row.created_at };
}

export function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    deliveredSeq: row.delivered_seq,
    readSeq: row.read_seq,
  };
}

export function toConversation(row: ConversationRow, members: Member[]): Conversation {
  return { id: row.id, kind: 'direct', members, lastSeq: row.last_seq, createdAt: row.created_at };
}

export function toEvent(row: EventRow): ConversationEvent {
  const base = { conversationId: row.conversation_id, seq: row.seq, senderId: row.sender_id, sentAt: row.sent_at };
  switch (row.kind) {
    case 'message':
      return {
        kind: 'message',
        ...base,
        clientMessageId: row.client_id,
        text: row.text,
        replyTo: row.reply_to,
        deleted: row.deleted === 1,
      };
    case 'edit':
      return { kind: 'edit', ...base, clientChangeId: row.client_id, messageId: target(row), text: row.text };
    case 'delete':
      return { kind: 'delete', ...base, clientChangeId: row.client_id, messageId: target(row) };
    case 'reaction':
      return {
        kind: 'reaction',
        ...base,
        clientChangeId: row.client_id,
        messageId: target(row),
        emoji: required(row, row.emoji, 'emoji'),
        on: required(row, row.reaction_on, 'reaction_on') === 1,
      };
    default:
      throw corrupt(row, `unknown kind "${row.kind}"`);
  }
}

/** The columns to insert for a freshly made event. */
export function toEventRow(event: ConversationEvent): EventRow {
  const row: EventRow = {
    conversation_id: event.conversationId,
    seq: event.seq,
    kind: event.kind,
    sender_id: event.senderId,
    client_id: '',
    message_id: null,
    text: '',
    sent_at: event.sentAt,
    reply_to: null,
    deleted: 0,
    emoji: null,
    reaction_on: null,
  };
  switch (event.kind) {
    case 'message':
      return {
        ...row,
        client_id: event.clientMessageId,
        message_id: event.clientMessageId,
        text: event.text,
        reply_to: event.replyTo,
        deleted: event.deleted ? 1 : 0,
      };
    case 'edit':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId, text: event.text };
    case 'delete':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId };
    case 'reaction':
      return {
        ...row,
        client_id: event.clientChangeId,
        message_id: event.messageId,
        emoji: event.emoji,
        reaction_on: event.on ? 1 : 0,
      };
  }
}

function target(row: EventRow): string {
  return required(row, row.message_id, 'message_id');
}

function required<T>(row: EventRow, value: T | null, column: string): T {
  if (value === null) throw corrupt(row, `${column} is NULL`);
  return value;
}

/** A row no version of this server writes: fail loudly rather than serve a wrong event. */
function corrupt(row: EventRow, what: string): Error {
  return new Error(`Corrupt event ${row.conversation_id}#${row.seq}: ${what}`);
}
