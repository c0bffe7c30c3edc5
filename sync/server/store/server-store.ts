import type { Change, ChangeEvent, Conversation, ConversationEvent, MessageEvent, User } from '../../protocol/frames.js';
import type { ChangeRefusal } from './change-rules.js';

/**
 * Everything the sync server keeps. Methods are async even though the SQLite implementation is
 * synchronous underneath, so a networked database (PostgreSQL) can implement the same interface.
 *
 * Rules every implementation must keep (the SQLite one documents how it does):
 * - sequence numbers are assigned in the transaction that stores the event: no gaps, no reuse;
 * - client ids (clientMessageId, clientChangeId) share one namespace per sender: (senderId, id) is
 *   unique, and a resend returns the original event as it is now and stores nothing;
 * - a message's clientMessageId is also unique within its conversation (it is the messageId that
 *   changes and replies refer to);
 * - a change is judged by `refuseChange` (change-rules.ts) against the state in the same
 *   transaction that stores it; a delete purges the message's text, its edits' texts and its
 *   current reactions in that transaction too;
 * - watermarks only move forward, never past the conversation's lastSeq, and read implies delivered.
 */
export interface ServerStore {
  /** Returns `username_taken` rather than throwing: two sign-ups may race for the same name. */
  createUser(input: NewUser): Promise<{ status: 'created'; user: User } | { status: 'username_taken' }>;
  findUserByUsername(username: string): Promise<StoredUser | null>;

  /** Only a hash of the session token is ever handed to the store. */
  createSession(input: { tokenHash: string; userId: string; createdAt: number }): Promise<void>;
  findUserBySessionHash(tokenHash: string): Promise<User | null>;

  /** One direct conversation per pair: an existing one is returned with `created: false`. */
  getOrCreateDirectConversation(input: NewDirectConversation): Promise<{ conversation: Conversation; created: boolean }>;
  /** null both when the conversation does not exist and when `userId` is not a member. */
  getConversationForMember(conversationId: string, userId: string): Promise<Conversation | null>;
  listConversationsOf(userId: string): Promise<Conversation[]>;

  appendMessage(input: NewMessage): Promise<AppendResult>;
  /** An edit, delete or reaction on a message of the conversation. */
  appendChange(input: NewChange): Promise<ChangeResult>;
  /** null when the conversation does not exist or `userId` is not a member. */
  readEvents(input: { conversationId: string; userId: string; afterSeq: number; limit: number }): Promise<EventPage | null>;

  /** null when the conversation does not exist or `userId` is not a member. */
  raiseWatermark(input: {
    conversationId: string;
    userId: string;
    kind: 'delivered' | 'read';
    seq: number;
  }): Promise<WatermarkResult | null>;

  /** Users who share a conversation with `userId`, each with when they were last connected. */
  listContacts(userId: string): Promise<Contact[]>;
  /** When the user's last connection closed; null when never (or unknown user). */
  getLastSeen(userId: string): Promise<number | null>;
  recordLastSeen(input: { userId: string; at: number }): Promise<void>;

  close(): Promise<void>;
}

export interface StoredUser extends User {
  passwordHash: string;
  createdAt: number;
}

export interface NewUser {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  createdAt: number;
}

export interface NewDirectConversation {
  /** Used only if the pair has no conversation yet. */
  id: string;
  /** The creator is listed first among the members of a new conversation. */
  creatorId: string;
  otherId: string;
  createdAt: number;
}

export interface NewMessage {
  conversationId: string;
  senderId: string;
  clientMessageId: string;
  text: string;
  /** messageId of an earlier message of the same conversation (deleted ones too), or null. */
  replyTo: string | null;
  sentAt: number;
}

export type AppendResult =
  /** `memberIds` is who must hear about it. */
  | { status: 'stored'; event: MessageEvent; memberIds: string[] }
  /** The client id was seen before from this sender: the original event (as it is now), nothing stored. */
  | { status: 'duplicate'; event: MessageEvent }
  /** No such conversation, or the sender is not a member. */
  | { status: 'not_found' }
  /** The sender used this client id for something else: another conversation or a change. */
  | { status: 'client_id_reused' }
  /** Another member's message in this conversation already has this id. */
  | { status: 'message_id_taken' }
  /** `replyTo` names no message of this conversation. */
  | { status: 'reply_target_missing' };

export interface NewChange {
  conversationId: string;
  senderId: string;
  clientChangeId: string;
  change: Change;
  sentAt: number;
}

export type ChangeResult =
  | { status: 'stored'; event: ChangeEvent; memberIds: string[] }
  /** The client id was seen before from this sender for the same kind of change here. */
  | { status: 'duplicate'; event: ChangeEvent }
  | { status: 'not_found' }
  /** The sender used this client id for something else: another conversation, kind or a message. */
  | { status: 'client_id_reused' }
  /** A rule refused it; nothing was stored. */
  | { status: 'refused'; reason: ChangeRefusal };

/** Someone who shares a conversation with a user. */
export interface Contact {
  userId: string;
  lastSeenAt: number | null;
}

export interface EventPage {
  events: ConversationEvent[];
  hasMore: boolean;
}

export interface WatermarkResult {
  deliveredSeq: number;
  readSeq: number;
  /** False when the receipt changed nothing (old or repeated), so nobody needs to be told. */
  moved: boolean;
  /** Who must hear about it when it moved. */
  memberIds: string[];
}

/** The key that makes a direct conversation unique per pair, whoever started it. */
export function directPairKey(userA: string, userB: string): string {
  return [userA, userB].sort().join(' ');
}
