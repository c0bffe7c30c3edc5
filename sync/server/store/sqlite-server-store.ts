import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Conversation, Member, MessageEvent, User } from '../../protocol/frames.js';
import { openDatabase, type Db } from '../../node/sqlite.js';
import { serverMigrations } from './sqlite-migrations.js';
import {
  directPairKey,
  type AppendResult,
  type EventPage,
  type NewDirectConversation,
  type NewMessage,
  type NewUser,
  type ServerStore,
  type StoredUser,
  type WatermarkResult,
} from './server-store.js';

export const SERVER_DATABASE_FILE = 'server.sqlite';

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: number;
}
interface ConversationRow {
  id: string;
  last_seq: number;
  created_at: number;
}
interface MemberRow {
  conversation_id: string;
  id: string;
  username: string;
  display_name: string;
  delivered_seq: number;
  read_seq: number;
}
interface EventRow {
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_message_id: string;
  text: string;
  sent_at: number;
}

/** Opens `<dataDir>/server.sqlite` (creating the folder and file if needed) at the latest schema. */
export function openSqliteServerStore(dataDir: string): SqliteServerStore {
  mkdirSync(dataDir, { recursive: true });
  return new SqliteServerStore(openDatabase(join(dataDir, SERVER_DATABASE_FILE), serverMigrations));
}

/**
 * better-sqlite3 is synchronous and single-connection, so every transaction here runs to completion
 * before any other JavaScript does: that alone serialises sequence numbers. Write transactions still
 * use BEGIN IMMEDIATE so that a second process on the same file waits instead of failing mid-way.
 */
export class SqliteServerStore implements ServerStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = prepareStatements(db);
  }

  async createUser(input: NewUser): Promise<{ status: 'created'; user: User } | { status: 'username_taken' }> {
    try {
      this.statements.insertUser.run(input);
    } catch (error) {
      if (isUniqueViolation(error, 'users.username')) return { status: 'username_taken' };
      throw error;
    }
    return { status: 'created', user: { id: input.id, username: input.username, displayName: input.displayName } };
  }

  async findUserByUsername(username: string): Promise<StoredUser | null> {
    const row = this.statements.userByUsername.get(username) as UserRow | undefined;
    return row ? toStoredUser(row) : null;
  }

  async createSession(input: { tokenHash: string; userId: string; createdAt: number }): Promise<void> {
    this.statements.insertSession.run(input);
  }

  async findUserBySessionHash(tokenHash: string): Promise<User | null> {
    const row = this.statements.userBySession.get(tokenHash) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async getOrCreateDirectConversation(
    input: NewDirectConversation,
  ): Promise<{ conversation: Conversation; created: boolean }> {
    if (input.creatorId === input.otherId) throw new Error('A direct conversation needs two different users');
    const pairKey = directPairKey(input.creatorId, input.otherId);
    const run = this.db.transaction(() => {
      const existing = this.statements.conversationByPair.get(pairKey) as ConversationRow | undefined;
      if (existing) return { conversation: this.loadConversation(existing), created: false };
      this.statements.insertConversation.run({ id: input.id, pairKey, createdAt: input.createdAt });
      this.statements.insertMember.run({ conversationId: input.id, userId: input.creatorId });
      this.statements.insertMember.run({ conversationId: input.id, userId: input.otherId });
      const row = this.statements.conversationById.get(input.id) as ConversationRow;
      return { conversation: this.loadConversation(row), created: true };
    });
    return run.immediate();
  }

  async getConversationForMember(conversationId: string, userId: string): Promise<Conversation | null> {
    const row = this.statements.conversationForMember.get(conversationId, userId) as ConversationRow | undefined;
    return row ? this.loadConversation(row) : null;
  }

  async listConversationsOf(userId: string): Promise<Conversation[]> {
    const rows = this.statements.conversationsOf.all(userId) as ConversationRow[];
    const members = new Map<string, Member[]>();
    for (const row of this.statements.membersOfConversationsOf.all(userId) as MemberRow[]) {
      const list = members.get(row.conversation_id) ?? [];
      list.push(toMember(row));
      members.set(row.conversation_id, list);
    }
    return rows.map((row) => toConversation(row, members.get(row.id) ?? []));
  }

  async appendMessage(input: NewMessage): Promise<AppendResult> {
    const run = this.db.transaction((): AppendResult => {
      if (!this.statements.membership.get(input.conversationId, input.senderId)) return { status: 'not_found' };
      const earlier = this.statements.eventByClientId.get(input.senderId, input.clientMessageId) as
        | EventRow
        | undefined;
      if (earlier) {
        return earlier.conversation_id === input.conversationId
          ? { status: 'duplicate', event: toEvent(earlier) }
          : { status: 'client_id_reused' };
      }
      // The counter moves in the same transaction as the insert: a failed insert rolls it back,
      // so a number is never skipped and never handed out twice.
      const { last_seq: seq } = this.statements.nextSeq.get(input.conversationId) as { last_seq: number };
      const event: MessageEvent = {
        kind: 'message',
        conversationId: input.conversationId,
        seq,
        senderId: input.senderId,
        clientMessageId: input.clientMessageId,
        text: input.text,
        sentAt: input.sentAt,
      };
      this.statements.insertEvent.run(event);
      return { status: 'stored', event, memberIds: this.memberIds(input.conversationId) };
    });
    return run.immediate();
  }

  async readEvents(input: {
    conversationId: string;
    userId: string;
    afterSeq: number;
    limit: number;
  }): Promise<EventPage | null> {
    const run = this.db.transaction((): EventPage | null => {
      if (!this.statements.membership.get(input.conversationId, input.userId)) return null;
      // One row more than asked tells whether another page exists without a COUNT.
      const rows = this.statements.eventsAfter.all(input.conversationId, input.afterSeq, input.limit + 1) as EventRow[];
      const hasMore = rows.length > input.limit;
      return { events: rows.slice(0, input.limit).map(toEvent), hasMore };
    });
    return run.deferred();
  }

  async raiseWatermark(input: {
    conversationId: string;
    userId: string;
    kind: 'delivered' | 'read';
    seq: number;
  }): Promise<WatermarkResult | null> {
    const run = this.db.transaction((): WatermarkResult | null => {
      const row = this.statements.watermark.get(input.conversationId, input.userId) as
        | { delivered_seq: number; read_seq: number; last_seq: number }
        | undefined;
      if (!row) return null;
      // A receipt cannot vouch for events that do not exist yet.
      const seq = Math.min(input.seq, row.last_seq);
      const readSeq = input.kind === 'read' ? Math.max(row.read_seq, seq) : row.read_seq;
      // Whoever has read an event has also received it.
      const deliveredSeq = Math.max(row.delivered_seq, input.kind === 'delivered' ? seq : 0, readSeq);
      const moved = deliveredSeq !== row.delivered_seq || readSeq !== row.read_seq;
      if (moved) {
        this.statements.updateWatermark.run({
          conversationId: input.conversationId,
          userId: input.userId,
          deliveredSeq,
          readSeq,
        });
      }
      return { deliveredSeq, readSeq, moved, memberIds: this.memberIds(input.conversationId) };
    });
    return run.immediate();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private memberIds(conversationId: string): string[] {
    return (this.statements.memberIdsOf.all(conversationId) as { user_id: string }[]).map((row) => row.user_id);
  }

  private loadConversation(row: ConversationRow): Conversation {
    const members = (this.statements.membersOf.all(row.id) as MemberRow[]).map(toMember);
    return toConversation(row, members);
  }
}

function prepareStatements(db: Db) {
  const memberColumns = `m.conversation_id, u.id, u.username, u.display_name, m.delivered_seq, m.read_seq`;
  return {
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
    eventByClientId: db.prepare(`SELECT * FROM events WHERE sender_id = ? AND client_message_id = ?`),
    nextSeq: db.prepare(`UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`),
    insertEvent: db.prepare(
      `INSERT INTO events (conversation_id, seq, kind, sender_id, client_message_id, text, sent_at)
       VALUES (@conversationId, @seq, @kind, @senderId, @clientMessageId, @text, @sentAt)`,
    ),
    eventsAfter: db.prepare(
      `SELECT * FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    watermark: db.prepare(
      `SELECT m.delivered_seq, m.read_seq, c.last_seq FROM members m
       JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = ? AND m.user_id = ?`,
    ),
    updateWatermark: db.prepare(
      `UPDATE members SET delivered_seq = @deliveredSeq, read_seq = @readSeq
       WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),
  };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes(column)
  );
}

function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, displayName: row.display_name };
}

function toStoredUser(row: UserRow): StoredUser {
  return { ...toUser(row), passwordHash: row.password_hash, createdAt: row.created_at };
}

function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    deliveredSeq: row.delivered_seq,
    readSeq: row.read_seq,
  };
}

function toConversation(row: ConversationRow, members: Member[]): Conversation {
  return { id: row.id, kind: 'direct', members, lastSeq: row.last_seq, createdAt: row.created_at };
}

function toEvent(row: EventRow): MessageEvent {
  return {
    kind: 'message',
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientMessageId: row.client_message_id,
    text: row.text,
    sentAt: row.sent_at,
  };
}
