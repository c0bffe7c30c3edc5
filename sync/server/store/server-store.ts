import type { Conversation, ConversationEvent, MessageEvent, User } from '../../protocol/frames.js';

/**
 * Everything the sync server keeps. Methods are async even though the SQLite implementation is
 * synchronous underneath, so a networked database (PostgreSQL) can implement the same interface.
 *
 * Rules every implementation must keep (the SQLite one documents how it does):
 * - sequence numbers are assigned in the transaction that stores the event: no gaps, no reuse;
 * - (senderId, clientMessageId) is unique: a resend returns the original event and stores nothing;
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
  /** null when the conversation does not exist or `userId` is not a member. */
  readEvents(input: { conversationId: string; userId: string; afterSeq: number; limit: number }): Promise<EventPage | null>;

  /** null when the conversation does not exist or `userId` is not a member. */
  raiseWatermark(input: {
    conversationId: string;
    userId: string;
    kind: 'delivered' | 'read';
    seq: number;
  }): Promise<WatermarkResult | null>;

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
  sentAt: number;
}

export type AppendResult =
  /** `memberIds` is who must hear about it. */
  | { status: 'stored'; event: MessageEvent; memberIds: string[] }
  /** The client id was seen before from this sender: the original event, nothing stored. */
  | { status: 'duplicate'; event: MessageEvent }
  | { status: 'not_found' }
  /** The client id was used by this sender for another conversation. */
  | { status: 'client_id_reused' };

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
