/**
 * What this device sealed in its conversations (migration 24), kept so that a member's device that
 * could not open an envelope can be sent what it said again (crypto/resend-answerer.ts), as
 * Signal keeps its sent protos: for a day, and never once the message is deleted for everyone
 * (the event applier forgets it then). The outbox keeps each send here, with the seq the server
 * stored it at, in the transaction that records the server's acknowledgement.
 */
import { contentSchema, type Content } from '../../content/content.js';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';
import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';

/** Where the server stored an envelope this device sealed, and when. */
export type StoredEnvelope = Pick<EnvelopeEvent, 'conversationId' | 'clientId' | 'seq' | 'sentAt'>;

/** How long what was sent can be sent again: a device that has not asked by then shows it as undecryptable. */
export const KEEP_SENT_CONTENT_MS = 24 * 60 * 60 * 1000;

export class SentContentStore {
  constructor(private readonly db: Db) {}

  /** Keeps what the stored envelope said, with its seq (a send again of the same id keeps the first). */
  keep(envelope: StoredEnvelope, content: Content): void {
    const { conversationId, clientId, seq, sentAt } = envelope;
    cachedStatement(
      this.db,
      'INSERT OR IGNORE INTO sent_content (conversation_id, client_id, content, sent_at, seq) VALUES (?, ?, ?, ?, ?)',
    ).run(conversationId, clientId, JSON.stringify(content), sentAt, seq);
  }

  /** The seq the server stored the envelope at; null when it is not kept, or was kept with none (mirror migration 32). */
  seq(conversationId: string, clientId: string): number | null {
    const seq = cachedValueStatement(this.db, 'SELECT seq FROM sent_content WHERE conversation_id = ? AND client_id = ?').get(
      conversationId,
      clientId,
    );
    return typeof seq === 'number' ? seq : null;
  }

  /**
   * What the envelope said, checked against the content schema as it reads back; null when it is
   * not kept (older than a day, deleted for everyone, never sent from here) or does not read back.
   */
  content(conversationId: string, clientId: string, onUnreadable: (error: unknown) => void): Content | null {
    const json = cachedValueStatement(
      this.db,
      'SELECT content FROM sent_content WHERE conversation_id = ? AND client_id = ?',
    ).get(conversationId, clientId);
    if (typeof json !== 'string') return null;
    try {
      return contentSchema.parse(JSON.parse(json));
    } catch (error) {
      onUnreadable(error);
      return null;
    }
  }

  /**
   * Notes that the envelope's content goes again to this device; false when it went to it before
   * (each device is sent it once, however often it asks).
   */
  noteResend(conversationId: string, clientId: string, device: { userId: string; deviceNumber: number }, now: number): boolean {
    const { changes } = cachedStatement(
      this.db,
      `INSERT OR IGNORE INTO sent_content_resends (conversation_id, client_id, user_id, device_number, resent_at)
       VALUES (?, ?, ?, ?, ?)`,
    ).run(conversationId, clientId, device.userId, device.deviceNumber, now);
    return changes > 0;
  }

  /** Forgets what was sent before `before`, and the resends of it. */
  prune(before: number): void {
    cachedStatement(this.db, 'DELETE FROM sent_content WHERE sent_at < ?').run(before);
    cachedStatement(this.db, 'DELETE FROM sent_content_resends WHERE resent_at < ?').run(before);
  }

  /** The account's data goes with the account (Mirror.wipe). */
  clear(): void {
    cachedStatement(this.db, 'DELETE FROM sent_content').run();
    cachedStatement(this.db, 'DELETE FROM sent_content_resends').run();
  }
}

/** The message was deleted for everyone (the event applier says): nothing of it is ever sent again. */
export function forgetSentContent(db: Db, conversationId: string, clientId: string): void {
  cachedStatement(db, 'DELETE FROM sent_content WHERE conversation_id = ? AND client_id = ?').run(conversationId, clientId);
  cachedStatement(db, 'DELETE FROM sent_content_resends WHERE conversation_id = ? AND client_id = ?').run(
    conversationId,
    clientId,
  );
}
