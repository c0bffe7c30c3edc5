/**
 * What this account makes of other people's identity keys (migration 22): whom it verified, with
 * which key, and what a change of someone's key leaves behind: a notice in every conversation
 * shared with them, their verification cleared, and (when they were verified) a question before
 * the next send to them. SignalTables.putIdentity calls `replaced` when a stored key is replaced,
 * whoever noticed (libsignal while decrypting, or a fetch_identity answer).
 */
import { z } from 'zod';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';

/** A safety number change as the notices table keeps it: `senderId` is the person whose key changed. */
export const safetyNumberChangedNoticeSchema = z.object({
  kind: z.literal('safety_number_changed'),
  seq: z.number(),
  sentAt: z.number(),
  senderId: z.string(),
});

/**
 * Where a notice this device makes goes: between the event at `afterSeq` and the next, which no
 * server event can take (server seqs are whole numbers), each later one after the one before.
 */
function localNoticeSeq(db: Db, conversationId: string, afterSeq: number): number {
  const last = cachedValueStatement(db, 'SELECT max(seq) FROM notices WHERE conversation_id = ? AND seq > ? AND seq < ?').get(
    conversationId,
    afterSeq,
    afterSeq + 1,
  );
  return typeof last === 'number' ? (last + afterSeq + 1) / 2 : afterSeq + 0.5;
}

export class IdentityTrust {
  private noticesListener: ((conversationIds: readonly string[]) => void) | null = null;

  constructor(private readonly db: Db) {}

  /** Told the conversations given a notice, in the transaction that gives them (the app refreshes them). */
  onNotices(listener: ((conversationIds: readonly string[]) => void) | null): void {
    this.noticesListener = listener;
  }

  /**
   * Notes that `userId`'s identity key was replaced: a notice after the last event applied in each
   * conversation shared with them, and their verification cleared (asking before the next send if
   * there was one).
   */
  replaced(userId: string, now: number): void {
    const conversations = cachedStatement(
      this.db,
      `SELECT c.id, c.applied_seq FROM conversations c JOIN members m ON m.conversation_id = c.id
       WHERE m.user_id = ? ORDER BY c.id`,
    ).all(userId) as Array<{ id: string; applied_seq: number }>;
    for (const conversation of conversations) {
      const seq = localNoticeSeq(this.db, conversation.id, conversation.applied_seq);
      const notice: z.infer<typeof safetyNumberChangedNoticeSchema> = {
        kind: 'safety_number_changed',
        seq,
        sentAt: now,
        senderId: userId,
      };
      cachedStatement(this.db, 'INSERT INTO notices (conversation_id, seq, event) VALUES (?, ?, ?)').run(
        conversation.id,
        seq,
        JSON.stringify(notice),
      );
    }
    cachedStatement(
      this.db,
      `UPDATE identity_trust SET verified_key = NULL, verified_at = NULL, ask_before_send = 1
       WHERE user_id = ? AND verified_key IS NOT NULL`,
    ).run(userId);
    if (conversations.length > 0) this.noticesListener?.(conversations.map((conversation) => conversation.id));
  }

  /** The identity key `userId` was verified with; null when they are not verified. */
  verifiedKey(userId: string): Buffer | null {
    const key = cachedValueStatement(this.db, 'SELECT verified_key FROM identity_trust WHERE user_id = ?').get(userId);
    return Buffer.isBuffer(key) ? key : null;
  }

  /** Marks `userId` verified with `key`, or (null) clears it; either way nothing is left to ask about them. */
  setVerified(userId: string, key: Uint8Array | null, now: number): void {
    cachedStatement(
      this.db,
      `INSERT INTO identity_trust (user_id, verified_key, verified_at, ask_before_send) VALUES (?, ?, ?, 0)
       ON CONFLICT (user_id) DO UPDATE SET verified_key = excluded.verified_key, verified_at = excluded.verified_at,
                                           ask_before_send = 0`,
    ).run(userId, key, key ? now : null);
  }

  /** The members of the conversation to ask about before the next send there (their key changed while verified). */
  askBeforeSend(conversationId: string): string[] {
    return cachedValueStatement(
      this.db,
      `SELECT t.user_id FROM identity_trust t JOIN members m ON m.user_id = t.user_id AND m.conversation_id = ?
       WHERE t.ask_before_send = 1 ORDER BY t.user_id`,
    ).all(conversationId) as string[];
  }

  /** "Send anyway": no more asking about these people until their next change. */
  stopAsking(userIds: readonly string[]): void {
    const stop = cachedStatement(this.db, 'UPDATE identity_trust SET ask_before_send = 0 WHERE user_id = ?');
    for (const userId of userIds) stop.run(userId);
  }
}
