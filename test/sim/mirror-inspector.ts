import Database from 'better-sqlite3-multiple-ciphers';
import { TRUSTED_SQL } from '../../sync/client/mirror/request-standing.js';
import type { OUTBOX_ROW_KINDS } from '../../sync/client/mirror/outbox-store.js';
import { contentSchema, type Content } from '../../sync/content/content.js';

/**
 * A read-only second handle on a device's mirror file, for what the public API does not show:
 * cursors, the outbox, held changes, watermarks. WAL lets it read committed state while the core
 * writes, and it survives the core crashing and reopening the same file.
 */
export interface OutboxRow {
  id: number;
  clientId: string;
  conversationId: string;
  /** A message or a change to one; a conversation's creation; a change to a group; a call's entry. */
  kind: (typeof OUTBOX_ROW_KINDS)[number];
  /** null for a creation or a group change. */
  messageId: string | null;
  status: 'pending' | 'failed';
  error: string | null;
}

export interface CursorRow {
  conversationId: string;
  appliedSeq: number;
  knownSeq: number;
}

export interface WatermarkRow {
  conversationId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

/** One personal setting as the mirror holds it (the register shown, and whether it still waits to be sent). */
export interface SettingRow {
  key: string;
  /** JSON of the setting's value. */
  value: string;
  at: number;
  by: string;
  version: number;
  pending: boolean;
  sendError: string | null;
}

export class MirrorInspector {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  close(): void {
    this.db.close();
  }

  /**
   * What this device sealed as the envelope `clientId` (kept once the server acknowledged it),
   * checked against the content schema as it reads back; null when it did not send it.
   */
  sentContent(conversationId: string, clientId: string): Content | null {
    const row = this.db
      .prepare('SELECT content FROM sent_content WHERE conversation_id = ? AND client_id = ?')
      .get(conversationId, clientId) as { content: string } | undefined;
    return row ? contentSchema.parse(JSON.parse(row.content)) : null;
  }

  outbox(): OutboxRow[] {
    return (
      this.db
        .prepare('SELECT id, client_id, conversation_id, kind, message_id, status, last_error FROM outbox ORDER BY id')
        .all() as Array<{
        id: number;
        client_id: string;
        conversation_id: string;
        kind: OutboxRow['kind'];
        message_id: string | null;
        status: OutboxRow['status'];
        last_error: string | null;
      }>
    ).map((row) => ({
      id: row.id,
      clientId: row.client_id,
      conversationId: row.conversation_id,
      kind: row.kind,
      messageId: row.message_id,
      status: row.status,
      error: row.last_error,
    }));
  }

  /** Envelopes kept unopened, their key still to come (or asked for again). */
  waitingEnvelopes(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM envelopes_waiting').get() as { n: number }).n;
  }

  pendingCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number }).n;
  }

  cursors(): CursorRow[] {
    return (
      this.db.prepare('SELECT id, applied_seq, known_seq FROM conversations ORDER BY id').all() as Array<{
        id: string;
        applied_seq: number;
        known_seq: number;
      }>
    ).map((row) => ({ conversationId: row.id, appliedSeq: row.applied_seq, knownSeq: row.known_seq }));
  }

  /** The messages that changes held in a conversation wait for. */
  heldMessageIds(conversationId: string): string[] {
    return (
      this.db
        .prepare('SELECT DISTINCT message_id FROM held_events WHERE conversation_id = ? ORDER BY message_id')
        .all(conversationId) as Array<{
        message_id: string;
      }>
    ).map((row) => row.message_id);
  }

  /** Everyone this mirror has met (the person included): whom they can add to a group offline. */
  settings(): SettingRow[] {
    return (
      this.db.prepare('SELECT key, value, at, by, version, pending, send_error FROM settings ORDER BY key').all() as Array<{
        key: string;
        value: string;
        at: number;
        by: string;
        version: number;
        pending: number;
        send_error: string | null;
      }>
    ).map((row) => ({ ...row, pending: row.pending === 1, sendError: row.send_error }));
  }

  knownUserIds(): string[] {
    return (this.db.prepare('SELECT id FROM users ORDER BY id').all() as Array<{ id: string }>).map((row) => row.id);
  }

  /** Message requests not accepted: our own watermarks there stay on this device (request-standing.ts). */
  untrustedConversationIds(): Set<string> {
    const rows = this.db.prepare(`SELECT c.id FROM conversations c WHERE NOT ${TRUSTED_SQL}`).all() as { id: string }[];
    return new Set(rows.map((row) => row.id));
  }

  watermarks(): WatermarkRow[] {
    return (
      this.db
        .prepare('SELECT conversation_id, user_id, delivered_seq, read_seq FROM members ORDER BY conversation_id, user_id')
        .all() as Array<{ conversation_id: string; user_id: string; delivered_seq: number; read_seq: number }>
    ).map((row) => ({
      conversationId: row.conversation_id,
      userId: row.user_id,
      deliveredSeq: row.delivered_seq,
      readSeq: row.read_seq,
    }));
  }

  /** Every stored message row of a conversation (acknowledged or not), with its seq. */
  /** The messages whose disappearing timer ran out here (only their ids are kept). */
  disappearedIds(conversationId: string): Set<string> {
    const rows = this.db.prepare('SELECT message_id FROM disappeared WHERE conversation_id = ?').all(conversationId) as Array<{
      message_id: string;
    }>;
    return new Set(rows.map((row) => row.message_id));
  }

  messageRows(conversationId: string): Array<{ id: string; seq: number | null; senderId: string; state: string }> {
    return (
      this.db
        .prepare(
          'SELECT client_message_id, seq, sender_id, state FROM messages WHERE conversation_id = ? ORDER BY seq IS NULL, seq, local_id',
        )
        .all(conversationId) as Array<{ client_message_id: string; seq: number | null; sender_id: string; state: string }>
    ).map((row) => ({ id: row.client_message_id, seq: row.seq, senderId: row.sender_id, state: row.state }));
  }
}
