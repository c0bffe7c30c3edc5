/**
 * Disappearing messages in the mirror (issue 33): each message keeps the timer it was written
 * with (`expires_in_ms`) and, once its timer starts, when it goes (`expires_at`): at the server's
 * time of sending on the author's devices, when this person reads it (here or on another of their
 * devices) everywhere else. What is due goes in one transaction, every trace of it with it; the
 * core keeps one timer to the next `expires_at` (disappearing-timer.ts), never a poll per message.
 */
import type { Clock } from '../../common/runtime.js';
import { DISAPPEARING_TIMERS_MS } from '../../protocol/disappearing.js';
import type { DisappearingSetEvent } from '../../content/opened-events.js';
import { BOUND_LIMIT, cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';
import { refreshLastMessage, recountUnread } from './conversation-stats.js';
import { purgeMessageState } from './message-state.js';
import { voidQueuedChanges, type OutboxStore } from './outbox-store.js';
import type { SearchNotes } from './search.js';

/** What one sweep took away: the conversations to show again, and the files no message refers to now. */
export interface Expired {
  conversationIds: Set<string>;
  messageIds: Map<string, string[]>;
  /** The stored files (by sha256) of the messages that went, which nothing else refers to. */
  unreferencedFiles: string[];
}

/** The conversation's setting as the latest notice by seq says it. */
export interface DisappearingSetting {
  timerMs: number | null;
  everyoneMaySet: boolean;
}

const LONGEST_TIMER_MS = Math.max(...DISAPPEARING_TIMERS_MS);

/** At most this many messages go in one transaction: a backlog goes in several, each short. */
const EXPIRE_BATCH = 500;

export class DisappearingStore {
  private clock: Clock | null = null;

  constructor(
    private readonly db: Db,
    private readonly search: SearchNotes,
  ) {}

  /** The clock timers start by (a message read now goes its timer from now). */
  useClock(clock: Clock): void {
    this.clock = clock;
  }

  private now(): number {
    if (!this.clock) throw new Error('The mirror has no clock yet (useClock)');
    return this.clock.now();
  }

  /**
   * This person's read watermark reached `readSeq` (here or on another of their devices): the
   * messages from others at or below it start their timers now. Only rows with a timer not yet
   * started are read (a partial index), so most calls touch nothing.
   */
  startReadTimers(conversationId: string, selfId: string, readSeq: number): void {
    const waiting = cachedStatement(
      this.db,
      `SELECT 1 FROM messages WHERE conversation_id = ? AND seq <= ? AND expires_in_ms IS NOT NULL AND expires_at IS NULL LIMIT 1`,
    ).get(conversationId, readSeq);
    if (!waiting) return;
    // From when another device of theirs said it read them, where it did; else from now.
    cachedStatement(
      this.db,
      `UPDATE messages SET expires_at = expires_in_ms + COALESCE(
         (SELECT MIN(r.read_at) FROM read_times r WHERE r.conversation_id = messages.conversation_id AND r.up_to_seq >= messages.seq),
         ?)
       WHERE conversation_id = ? AND seq <= ? AND expires_in_ms IS NOT NULL AND expires_at IS NULL AND sender_id <> ?`,
    ).run(this.now(), conversationId, readSeq, selfId);
  }

  /** Whether reading from `afterSeq` up to `upToSeq` passes a message of someone else's with a timer. */
  passesTimed(conversationId: string, selfId: string, afterSeq: number, upToSeq: number): boolean {
    return (
      cachedStatement(
        this.db,
        `SELECT 1 FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND expires_in_ms IS NOT NULL AND sender_id <> ?
         LIMIT 1`,
      ).get(conversationId, afterSeq, upToSeq, selfId) !== undefined
    );
  }

  /**
   * Another of this person's devices read up to `upToSeq` at `at`: what is here of it runs its
   * timer from then (unless it started sooner), and what comes later will too.
   */
  readElsewhere(conversationId: string, selfId: string, upToSeq: number, at: number): void {
    cachedStatement(
      this.db,
      `INSERT INTO read_times (conversation_id, up_to_seq, read_at) VALUES (?, ?, ?)
       ON CONFLICT (conversation_id, up_to_seq) DO UPDATE SET read_at = MIN(read_at, excluded.read_at)`,
    ).run(conversationId, upToSeq, at);
    cachedStatement(
      this.db,
      `UPDATE messages SET expires_at = ? + expires_in_ms
       WHERE conversation_id = ? AND seq <= ? AND expires_in_ms IS NOT NULL AND sender_id <> ?
         AND (expires_at IS NULL OR expires_at > ? + expires_in_ms)`,
    ).run(at, conversationId, upToSeq, selfId, at);
  }

  /** The earliest time a message goes; null when none has a timer running. */
  nextExpiry(): number | null {
    return (cachedValueStatement(this.db, 'SELECT MIN(expires_at) FROM messages WHERE expires_at IS NOT NULL').get() ?? null) as
      number | null;
  }

  /**
   * Takes away every message whose time has come (up to EXPIRE_BATCH; call again while it finds
   * some): the row, its versions, reactions, pins and votes, its files' rows, its queued changes,
   * its place in the search index and in the conversation list's preview. The caller runs it in a
   * transaction; secure delete overwrites what the rows held.
   */
  expireDue(selfId: string): Expired {
    const due = cachedStatement(
      this.db,
      `SELECT local_id, conversation_id, client_message_id FROM messages WHERE expires_at <= ? ORDER BY expires_at ${BOUND_LIMIT}`,
    ).all(this.now(), EXPIRE_BATCH) as { local_id: number; conversation_id: string; client_message_id: string }[];
    const expired: Expired = { conversationIds: new Set(), messageIds: new Map(), unreferencedFiles: [] };
    const files = new Set<string>();
    for (const row of due) {
      const { conversation_id: conversationId, client_message_id: messageId } = row;
      const shas = cachedValueStatement(
        this.db,
        'SELECT sha256 FROM attachments WHERE conversation_id = ? AND message_id = ? AND sha256 IS NOT NULL',
      ).all(conversationId, messageId) as string[];
      for (const sha of shas) files.add(sha);
      forgetMessage(this.db, conversationId, messageId);
      cachedStatement(this.db, 'DELETE FROM messages WHERE local_id = ?').run(row.local_id);
      this.search.removed(row.local_id);
      expired.conversationIds.add(conversationId);
      expired.messageIds.set(conversationId, [...(expired.messageIds.get(conversationId) ?? []), messageId]);
    }
    // A read time older than the longest timer starts nothing that has not gone already.
    cachedStatement(this.db, 'DELETE FROM read_times WHERE read_at < ?').run(this.now() - LONGEST_TIMER_MS);
    for (const conversationId of expired.conversationIds) {
      refreshLastMessage(this.db, conversationId);
      recountUnread(this.db, conversationId, selfId);
    }
    for (const sha of files) {
      if (!cachedStatement(this.db, 'SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1').get(sha)) {
        expired.unreferencedFiles.push(sha);
      }
    }
    return expired;
  }
}

/** Whether the message went here: a late copy of it is not stored again. */
export function hasDisappeared(db: Db, conversationId: string, messageId: string): boolean {
  return (
    cachedStatement(db, 'SELECT 1 FROM disappeared WHERE conversation_id = ? AND message_id = ?').get(
      conversationId,
      messageId,
    ) !== undefined
  );
}

/** A timer or policy set: kept as a notice, and in force when it is the latest by seq. */
export function applyDisappearingSetting(db: Db, event: DisappearingSetEvent): void {
  cachedStatement(db, 'INSERT OR IGNORE INTO notices (conversation_id, seq, event) VALUES (?, ?, ?)').run(
    event.conversationId,
    event.seq,
    JSON.stringify(event),
  );
  if (event.kind === 'disappearing_timer_set') {
    cachedStatement(
      db,
      'UPDATE conversations SET disappearing_ms = ?, disappearing_seq = ? WHERE id = ? AND disappearing_seq < ?',
    ).run(event.timerMs, event.seq, event.conversationId, event.seq);
  } else {
    cachedStatement(
      db,
      'UPDATE conversations SET disappearing_everyone = ?, disappearing_policy_seq = ? WHERE id = ? AND disappearing_policy_seq < ?',
    ).run(event.everyone ? 1 : 0, event.seq, event.conversationId, event.seq);
  }
}

/** The conversation's setting, this person's queued changes applied (what they see, and what a message written now gets). */
export function disappearingSettingOf(db: Db, outbox: OutboxStore, conversationId: string): DisappearingSetting {
  const row = cachedStatement(db, 'SELECT disappearing_ms, disappearing_everyone FROM conversations WHERE id = ?').get(
    conversationId,
  ) as { disappearing_ms: number | null; disappearing_everyone: number } | undefined;
  const setting = { timerMs: row?.disappearing_ms ?? null, everyoneMaySet: row?.disappearing_everyone === 1 };
  for (const { content } of outbox.queuedSettings(conversationId)) {
    if (content.kind === 'disappearing_timer') setting.timerMs = content.timerMs;
    else setting.everyoneMaySet = content.everyone;
  }
  return setting;
}

/**
 * The message went elsewhere already (the server purged its envelope once its timer ran for
 * everyone): it goes here too, or is never stored.
 */
export function expireNow(db: Db, search: SearchNotes, conversationId: string, messageId: string): void {
  const gone = cachedStatement(
    db,
    'DELETE FROM messages WHERE conversation_id = ? AND client_message_id = ? RETURNING local_id',
  ).get(conversationId, messageId) as { local_id: number } | undefined;
  if (gone) search.removed(gone.local_id);
  forgetMessage(db, conversationId, messageId);
}

/** Everything but the row: what refers to the message goes, and its id stays to say it disappeared. */
function forgetMessage(db: Db, conversationId: string, messageId: string): void {
  for (const table of ['attachments', 'message_versions', 'reactions', 'pins', 'held_events']) {
    cachedStatement(db, `DELETE FROM ${table} WHERE conversation_id = ? AND message_id = ?`).run(conversationId, messageId);
  }
  purgeMessageState(db, conversationId, messageId);
  voidQueuedChanges(db, conversationId, messageId);
  cachedStatement(db, 'INSERT OR IGNORE INTO disappeared (conversation_id, message_id) VALUES (?, ?)').run(
    conversationId,
    messageId,
  );
}
