/**
 * Which waiting envelopes (envelopes_waiting) this device asked their sender's device to send
 * again (migration 24; crypto/resend-asker.ts), once each, and which it gave up on: those show as
 * "This message could not be decrypted", a notice at the envelope's seq, until the key or the
 * content comes after all (the event applier takes the notice away when it opens).
 */
import { z } from 'zod';
import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';

/** An envelope given up on, as the notices table keeps it: `senderId` sealed it at `sentAt`. */
export const undecryptableNoticeSchema = z.object({
  kind: z.literal('undecryptable'),
  seq: z.number(),
  sentAt: z.number(),
  senderId: z.string(),
});

export interface ResendRequest {
  conversationId: string;
  seq: number;
  askedAt: number;
  givenUp: boolean;
}

export class ResendRequests {
  constructor(private readonly db: Db) {}

  /** What was asked for the conversation's envelopes, by seq. */
  of(conversationId: string): Map<number, ResendRequest> {
    const rows = cachedStatement(
      this.db,
      'SELECT seq, asked_at, given_up FROM resend_requests WHERE conversation_id = ? ORDER BY seq',
    ).all(conversationId) as Array<{ seq: number; asked_at: number; given_up: number }>;
    return new Map(
      rows.map((row) => [row.seq, { conversationId, seq: row.seq, askedAt: row.asked_at, givenUp: row.given_up === 1 }]),
    );
  }

  /** Notes the request; false when this envelope was asked for before. */
  noteAsked(conversationId: string, seq: number, now: number): boolean {
    const { changes } = cachedStatement(
      this.db,
      'INSERT OR IGNORE INTO resend_requests (conversation_id, seq, asked_at) VALUES (?, ?, ?)',
    ).run(conversationId, seq, now);
    return changes > 0;
  }

  /** No content will come for the envelope: it shows as undecryptable. False when it was given up on before. */
  giveUp(envelope: EnvelopeEvent, now: number): boolean {
    const { changes } = cachedStatement(
      this.db,
      `INSERT INTO resend_requests (conversation_id, seq, asked_at, given_up) VALUES (?, ?, ?, 1)
       ON CONFLICT (conversation_id, seq) DO UPDATE SET given_up = 1 WHERE given_up = 0`,
    ).run(envelope.conversationId, envelope.seq, now);
    if (changes === 0) return false;
    const notice: z.infer<typeof undecryptableNoticeSchema> = {
      kind: 'undecryptable',
      seq: envelope.seq,
      sentAt: envelope.sentAt,
      senderId: envelope.senderId,
    };
    cachedStatement(this.db, 'INSERT OR IGNORE INTO notices (conversation_id, seq, event) VALUES (?, ?, ?)').run(
      envelope.conversationId,
      envelope.seq,
      JSON.stringify(notice),
    );
    return true;
  }
}

/**
 * The envelope at `seq` opened, or was deleted for everyone: nothing is asked for it any more, and
 * its notice goes (a server event's own notice is never at an envelope's seq).
 */
export function forgetResendRequest(db: Db, conversationId: string, seq: number): void {
  const asked = cachedStatement(db, 'DELETE FROM resend_requests WHERE conversation_id = ? AND seq = ?').run(conversationId, seq);
  if (asked.changes > 0)
    cachedStatement(db, 'DELETE FROM notices WHERE conversation_id = ? AND seq = ?').run(conversationId, seq);
}
