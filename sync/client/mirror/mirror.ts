import type { ConversationSummary, MessageView, MessageStatus } from '../../app-api/contract.js';
import type { Conversation, MessageEvent, User } from '../../protocol/frames.js';
import { openDatabase, type Db, type OpenOptions } from '../../node/sqlite.js';
import { MIRROR_MIGRATIONS } from './migrations.js';

export interface StoredSession {
  serverUrl: string;
  token: string | null;
  user: User;
}

export interface OutboxEntry {
  id: number;
  conversationId: string;
  clientMessageId: string;
  text: string;
  attempts: number;
  nextAttemptAt: number;
}

export interface ConversationCursor {
  id: string;
  appliedSeq: number;
  knownSeq: number;
}

interface MessageRow {
  conversation_id: string;
  client_message_id: string;
  sender_id: string;
  text: string;
  seq: number | null;
  state: 'sending' | 'sent' | 'failed';
  error: string | null;
  created_at: number;
  sent_at: number | null;
  peer_delivered: number | null;
  peer_read: number | null;
}

/**
 * The profile's local SQLite mirror: everything the renderer shows comes from here, and every
 * write that belongs with another (a message and its outbox row, applied events and the cursor)
 * happens in one transaction.
 */
export class Mirror {
  private constructor(private readonly db: Db) {}

  static open(path: string, options: OpenOptions = {}): Mirror {
    return new Mirror(openDatabase(path, MIRROR_MIGRATIONS, options));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // -- session -------------------------------------------------------------------------------

  session(): StoredSession | null {
    const row = this.db
      .prepare('SELECT server_url, token, user_id, username, display_name FROM session WHERE id = 1')
      .get() as { server_url: string; token: string | null; user_id: string; username: string; display_name: string } | undefined;
    if (!row) return null;
    return {
      serverUrl: row.server_url,
      token: row.token,
      user: { id: row.user_id, username: row.username, displayName: row.display_name },
    };
  }

  saveSession(session: StoredSession): void {
    this.db
      .prepare(
        `INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url, token = excluded.token,
           user_id = excluded.user_id, username = excluded.username, display_name = excluded.display_name`,
      )
      .run(session.serverUrl, session.token, session.user.id, session.user.username, session.user.displayName);
    this.upsertUser(session.user);
  }

  forgetToken(): void {
    this.db.prepare('UPDATE session SET token = NULL WHERE id = 1').run();
  }

  /** Drops everything of a previous account, so two accounts never share one mirror. */
  wipe(): void {
    this.transaction(() => {
      for (const table of ['outbox', 'messages', 'members', 'conversations', 'users', 'session']) {
        this.db.prepare(`DELETE FROM ${table}`).run();
      }
    });
  }

  // -- users and conversations ---------------------------------------------------------------

  upsertUser(user: User): void {
    this.db
      .prepare(
        `INSERT INTO users (id, username, display_name) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name`,
      )
      .run(user.id, user.username, user.displayName);
  }

  /**
   * Records what the server says about a conversation: members, their watermarks (which only move
   * forward) and the highest sequence number. Returns true when a catch-up is due.
   */
  upsertConversation(conversation: Conversation, selfId: string): boolean {
    return this.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO conversations (id, kind, created_at, known_seq, last_activity_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET known_seq = MAX(known_seq, excluded.known_seq)`,
        )
        .run(conversation.id, conversation.kind, conversation.createdAt, conversation.lastSeq, conversation.createdAt);
      for (const member of conversation.members) {
        this.upsertUser(member);
        this.raiseWatermarks(conversation.id, member.id, member.deliveredSeq, member.readSeq);
        // What the server already holds of ours need not be sent again.
        if (member.id === selfId) this.confirmReceipt(conversation.id, 'read', member.readSeq);
        if (member.id === selfId) this.confirmReceipt(conversation.id, 'delivered', member.deliveredSeq);
      }
      const cursor = this.cursor(conversation.id);
      return cursor !== null && cursor.knownSeq > cursor.appliedSeq;
    });
  }

  raiseWatermarks(conversationId: string, userId: string, deliveredSeq: number, readSeq: number): void {
    this.db
      .prepare(
        `INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq) VALUES (?, ?, ?, ?)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET
           delivered_seq = MAX(delivered_seq, excluded.delivered_seq),
           read_seq = MAX(read_seq, excluded.read_seq)`,
      )
      .run(conversationId, userId, Math.max(deliveredSeq, readSeq), readSeq);
  }

  hasConversation(conversationId: string): boolean {
    return this.db.prepare('SELECT 1 FROM conversations WHERE id = ?').get(conversationId) !== undefined;
  }

  cursor(conversationId: string): ConversationCursor | null {
    const row = this.db
      .prepare('SELECT id, applied_seq, known_seq FROM conversations WHERE id = ?')
      .get(conversationId) as { id: string; applied_seq: number; known_seq: number } | undefined;
    return row ? { id: row.id, appliedSeq: row.applied_seq, knownSeq: row.known_seq } : null;
  }

  /** Conversations whose known sequence is ahead of what is applied. */
  conversationsBehind(): string[] {
    return (
      this.db.prepare('SELECT id FROM conversations WHERE known_seq > applied_seq').all() as { id: string }[]
    ).map((row) => row.id);
  }

  noteKnownSeq(conversationId: string, seq: number): void {
    this.db.prepare('UPDATE conversations SET known_seq = MAX(known_seq, ?) WHERE id = ?').run(seq, conversationId);
  }

  // -- applying server events ----------------------------------------------------------------

  /**
   * Applies a contiguous run of events after the cursor and advances it, in one transaction.
   * Events at or below the cursor are skipped (already applied); the run stops at the first gap.
   * Returns the new cursor.
   */
  applyEvents(conversationId: string, events: readonly MessageEvent[], selfId: string): number {
    return this.transaction(() => {
      const cursor = this.cursor(conversationId);
      if (!cursor) throw new Error(`Cannot apply events to unknown conversation ${conversationId}`);
      let applied = cursor.appliedSeq;
      for (const event of events) {
        if (event.seq <= applied) continue;
        if (event.seq !== applied + 1) break;
        this.storeMessageEvent(event, selfId);
        applied = event.seq;
      }
      if (applied !== cursor.appliedSeq) {
        this.db
          .prepare('UPDATE conversations SET applied_seq = ?, known_seq = MAX(known_seq, ?) WHERE id = ?')
          .run(applied, applied, conversationId);
        // We hold everything up to `applied`; our own delivered watermark follows locally at once.
        this.raiseWatermarks(conversationId, selfId, applied, 0);
      }
      return applied;
    });
  }

  /**
   * Stores one acknowledged message: a new row for someone else's, or the final seq and state for
   * one we composed (on this device or another). Our own acknowledged message leaves the outbox.
   */
  private storeMessageEvent(event: MessageEvent, selfId: string): void {
    this.db
      .prepare(
        `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, sent_at)
         VALUES (?, ?, ?, ?, ?, 'sent', ?, ?)
         ON CONFLICT (sender_id, client_message_id) DO UPDATE SET
           seq = excluded.seq, state = 'sent', error = NULL, text = excluded.text, sent_at = excluded.sent_at`,
      )
      .run(event.conversationId, event.clientMessageId, event.senderId, event.text, event.seq, event.sentAt, event.sentAt);
    this.db
      .prepare('UPDATE conversations SET last_activity_at = MAX(last_activity_at, ?) WHERE id = ?')
      .run(event.sentAt, event.conversationId);
    if (event.senderId === selfId) {
      this.db.prepare('DELETE FROM outbox WHERE client_message_id = ?').run(event.clientMessageId);
    }
  }

  /**
   * The server acknowledged our message: store its seq and drop the outbox row together. If the
   * seq is the next one after the cursor, the cursor moves too; otherwise a catch-up fills the gap.
   */
  acknowledge(event: MessageEvent, selfId: string): void {
    this.transaction(() => {
      const cursor = this.cursor(event.conversationId);
      if (!cursor) return;
      if (event.seq === cursor.appliedSeq + 1) {
        this.applyEvents(event.conversationId, [event], selfId);
      } else {
        this.storeMessageEvent(event, selfId);
        this.noteKnownSeq(event.conversationId, event.seq);
      }
    });
  }

  // -- composing and the outbox --------------------------------------------------------------

  /** Stores a new own message and its outbox row in one transaction. */
  enqueueMessage(conversationId: string, clientMessageId: string, senderId: string, text: string, now: number): void {
    this.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at)
           VALUES (?, ?, ?, ?, NULL, 'sending', ?)`,
        )
        .run(conversationId, clientMessageId, senderId, text, now);
      this.db
        .prepare(
          `INSERT INTO outbox (conversation_id, client_message_id, kind, status) VALUES (?, ?, 'send', 'pending')`,
        )
        .run(conversationId, clientMessageId);
      this.db.prepare('UPDATE conversations SET last_activity_at = MAX(last_activity_at, ?) WHERE id = ?').run(now, conversationId);
    });
  }

  /** The next change to send in each conversation: the oldest pending row (failed rows don't block). */
  nextOutboxEntries(): OutboxEntry[] {
    const rows = this.db
      .prepare(
        `SELECT o.id, o.conversation_id, o.client_message_id, m.text, o.attempts, o.next_attempt_at
         FROM outbox o JOIN messages m ON m.client_message_id = o.client_message_id AND m.conversation_id = o.conversation_id
         WHERE o.id IN (SELECT MIN(id) FROM outbox WHERE status = 'pending' GROUP BY conversation_id)
         ORDER BY o.id`,
      )
      .all() as {
      id: number;
      conversation_id: string;
      client_message_id: string;
      text: string;
      attempts: number;
      next_attempt_at: number;
    }[];
    return rows.map((row) => ({
      id: row.id,
      conversationId: row.conversation_id,
      clientMessageId: row.client_message_id,
      text: row.text,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
    }));
  }

  outboxSize(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number }).n;
  }

  /** A transient failure: try again at `nextAttemptAt`. */
  deferOutboxEntry(id: number, nextAttemptAt: number, reason: string): void {
    this.db
      .prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?')
      .run(nextAttemptAt, reason, id);
  }

  /** Everything pending may go now (used when the connection comes back). */
  releaseDeferredOutbox(): void {
    this.db.prepare("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'pending'").run();
  }

  /** A permanent refusal: the message shows as failed with the reason, and stays until retried or discarded. */
  failOutboxEntry(clientMessageId: string, reason: string): void {
    this.transaction(() => {
      this.db
        .prepare("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE client_message_id = ?")
        .run(reason, clientMessageId);
      this.db
        .prepare("UPDATE messages SET state = 'failed', error = ? WHERE client_message_id = ? AND seq IS NULL")
        .run(reason, clientMessageId);
    });
  }

  /** Puts a failed message back in the queue. Its place is after what is queued now. */
  retryFailed(clientMessageId: string, selfId: string): string | null {
    return this.transaction(() => {
      const row = this.db
        .prepare(
          `SELECT o.id, o.conversation_id FROM outbox o JOIN messages m ON m.client_message_id = o.client_message_id
           WHERE o.client_message_id = ? AND o.status = 'failed' AND m.sender_id = ?`,
        )
        .get(clientMessageId, selfId) as { id: number; conversation_id: string } | undefined;
      if (!row) return null;
      this.db.prepare('DELETE FROM outbox WHERE id = ?').run(row.id);
      this.db
        .prepare(
          `INSERT INTO outbox (conversation_id, client_message_id, kind, status) VALUES (?, ?, 'send', 'pending')`,
        )
        .run(row.conversation_id, clientMessageId);
      this.db.prepare("UPDATE messages SET state = 'sending', error = NULL WHERE client_message_id = ? AND sender_id = ?").run(clientMessageId, selfId);
      return row.conversation_id;
    });
  }

  /** Removes a failed (never stored by the server) message and its outbox row. */
  discardFailed(clientMessageId: string, selfId: string): string | null {
    return this.transaction(() => {
      const row = this.db
        .prepare(
          "SELECT conversation_id FROM messages WHERE client_message_id = ? AND sender_id = ? AND state = 'failed' AND seq IS NULL",
        )
        .get(clientMessageId, selfId) as { conversation_id: string } | undefined;
      if (!row) return null;
      this.db.prepare('DELETE FROM outbox WHERE client_message_id = ?').run(clientMessageId);
      this.db.prepare('DELETE FROM messages WHERE client_message_id = ? AND sender_id = ?').run(clientMessageId, selfId);
      return row.conversation_id;
    });
  }

  // -- receipts ------------------------------------------------------------------------------

  /** Marks everything applied so far as read by us; returns the new read watermark. */
  markReadLocally(conversationId: string, selfId: string): number {
    return this.transaction(() => {
      const cursor = this.cursor(conversationId);
      if (!cursor) return 0;
      this.raiseWatermarks(conversationId, selfId, cursor.appliedSeq, cursor.appliedSeq);
      return this.ownWatermarks(conversationId, selfId).readSeq;
    });
  }

  ownWatermarks(conversationId: string, selfId: string): { deliveredSeq: number; readSeq: number } {
    const row = this.db
      .prepare('SELECT delivered_seq, read_seq FROM members WHERE conversation_id = ? AND user_id = ?')
      .get(conversationId, selfId) as { delivered_seq: number; read_seq: number } | undefined;
    return { deliveredSeq: row?.delivered_seq ?? 0, readSeq: row?.read_seq ?? 0 };
  }

  /** Our watermarks that the server has not confirmed yet. */
  unsentReceipts(selfId: string): { conversationId: string; kind: 'delivered' | 'read'; seq: number }[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, m.delivered_seq, m.read_seq, c.delivered_seq_sent, c.read_seq_sent
         FROM conversations c JOIN members m ON m.conversation_id = c.id AND m.user_id = ?
         WHERE m.delivered_seq > c.delivered_seq_sent OR m.read_seq > c.read_seq_sent`,
      )
      .all(selfId) as { id: string; delivered_seq: number; read_seq: number; delivered_seq_sent: number; read_seq_sent: number }[];
    const receipts: { conversationId: string; kind: 'delivered' | 'read'; seq: number }[] = [];
    for (const row of rows) {
      // A read receipt implies delivered on the server, so it alone suffices when both are due.
      if (row.read_seq > row.read_seq_sent) receipts.push({ conversationId: row.id, kind: 'read', seq: row.read_seq });
      else receipts.push({ conversationId: row.id, kind: 'delivered', seq: row.delivered_seq });
    }
    return receipts;
  }

  confirmReceipt(conversationId: string, kind: 'delivered' | 'read', seq: number): void {
    const readSeq = kind === 'read' ? seq : 0;
    this.db
      .prepare(
        'UPDATE conversations SET read_seq_sent = MAX(read_seq_sent, ?), delivered_seq_sent = MAX(delivered_seq_sent, ?) WHERE id = ?',
      )
      .run(readSeq, seq, conversationId);
  }

  // -- what the renderer reads ---------------------------------------------------------------

  conversationSummaries(selfId: string, onlyId?: string): ConversationSummary[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.last_activity_at,
           u.id AS peer_id, u.username AS peer_username, u.display_name AS peer_display_name,
           last.text AS last_text, last.sender_id AS last_sender, COALESCE(last.sent_at, last.created_at) AS last_at,
           (SELECT COUNT(*) FROM messages x WHERE x.conversation_id = c.id AND x.sender_id != @self
              AND x.seq > COALESCE(me.read_seq, 0)) AS unread
         FROM conversations c
         LEFT JOIN members me ON me.conversation_id = c.id AND me.user_id = @self
         LEFT JOIN members peer ON peer.conversation_id = c.id AND peer.user_id != @self
         LEFT JOIN users u ON u.id = peer.user_id
         LEFT JOIN messages last ON last.local_id = (
           SELECT local_id FROM messages l WHERE l.conversation_id = c.id
           ORDER BY l.seq IS NULL DESC, l.seq DESC, l.local_id DESC LIMIT 1)
         WHERE (@only IS NULL OR c.id = @only)
         ORDER BY c.last_activity_at DESC`,
      )
      .all({ self: selfId, only: onlyId ?? null }) as {
      id: string;
      last_activity_at: number;
      peer_id: string | null;
      peer_username: string | null;
      peer_display_name: string | null;
      last_text: string | null;
      last_sender: string | null;
      last_at: number | null;
      unread: number;
    }[];
    return rows.map((row) => ({
      id: row.id,
      peer: {
        id: row.peer_id ?? '',
        username: row.peer_username ?? '',
        displayName: row.peer_display_name ?? row.peer_username ?? '',
      },
      lastMessage:
        row.last_text === null ? null : { text: row.last_text, own: row.last_sender === selfId, at: row.last_at ?? 0 },
      unreadCount: row.unread,
      lastActivityAt: row.last_activity_at,
    }));
  }

  /** The newest `limit` acknowledged messages plus every pending one, in display order. */
  messagePage(conversationId: string, selfId: string, limit: number): { messages: MessageView[]; hasOlder: boolean } {
    const select = `SELECT m.conversation_id, m.client_message_id, m.sender_id, m.text, m.seq, m.state, m.error,
        m.created_at, m.sent_at, peer.delivered_seq AS peer_delivered, peer.read_seq AS peer_read
      FROM messages m
      LEFT JOIN members peer ON peer.conversation_id = m.conversation_id AND peer.user_id != @self`;
    const stored = this.db
      .prepare(`${select} WHERE m.conversation_id = @conversation AND m.seq IS NOT NULL ORDER BY m.seq DESC LIMIT @limit`)
      .all({ self: selfId, conversation: conversationId, limit: limit + 1 }) as MessageRow[];
    const pending = this.db
      .prepare(`${select} WHERE m.conversation_id = @conversation AND m.seq IS NULL ORDER BY m.local_id`)
      .all({ self: selfId, conversation: conversationId }) as MessageRow[];
    const hasOlder = stored.length > limit;
    const newest = stored.slice(0, limit).reverse();
    return { messages: [...newest, ...pending].map((row) => toMessageView(row, selfId)), hasOlder };
  }

  messageView(clientMessageId: string, selfId: string): MessageView | null {
    const row = this.db
      .prepare(
        `SELECT m.conversation_id, m.client_message_id, m.sender_id, m.text, m.seq, m.state, m.error,
           m.created_at, m.sent_at, peer.delivered_seq AS peer_delivered, peer.read_seq AS peer_read
         FROM messages m
         LEFT JOIN members peer ON peer.conversation_id = m.conversation_id AND peer.user_id != @self
         WHERE m.client_message_id = @id AND m.sender_id = @self`,
      )
      .get({ id: clientMessageId, self: selfId }) as MessageRow | undefined;
    return row ? toMessageView(row, selfId) : null;
  }

  /** For tests and diagnostics: every message of a conversation in order. */
  allMessages(conversationId: string): { seq: number | null; clientMessageId: string; senderId: string; text: string; state: string }[] {
    return (
      this.db
        .prepare(
          'SELECT seq, client_message_id, sender_id, text, state FROM messages WHERE conversation_id = ? ORDER BY seq IS NULL, seq, local_id',
        )
        .all(conversationId) as { seq: number | null; client_message_id: string; sender_id: string; text: string; state: string }[]
    ).map((row) => ({ seq: row.seq, clientMessageId: row.client_message_id, senderId: row.sender_id, text: row.text, state: row.state }));
  }
}

function ownStatus(row: MessageRow): MessageStatus {
  if (row.state === 'failed') return 'failed';
  if (row.seq === null || row.state === 'sending') return 'sending';
  if ((row.peer_read ?? 0) >= row.seq) return 'read';
  if ((row.peer_delivered ?? 0) >= row.seq) return 'delivered';
  return 'sent';
}

function toMessageView(row: MessageRow, selfId: string): MessageView {
  const own = row.sender_id === selfId;
  return {
    id: row.client_message_id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    own,
    text: row.text,
    at: row.sent_at ?? row.created_at,
    status: own ? ownStatus(row) : null,
    error: row.error,
  };
}
