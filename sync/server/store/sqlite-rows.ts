import type { ConversationEvent } from '../../protocol/frames.js';
import { corruptEvent, toEvent as eventOf, toEventRecord, type EventRecord } from './store-rows.js';

/**
 * How SQLite keeps an event row: booleans as 0/1 and the payload as JSON text. Everything else
 * about rows is the same for every store (store-rows.ts); this only converts to and from it.
 */
export interface EventRow extends Omit<EventRecord, 'deleted' | 'reaction_on' | 'payload'> {
  deleted: number;
  reaction_on: number | null;
  payload: string | null;
}

/** The columns of an event row, in the order eventRowOf reads them from a raw (array) result. */
export const EVENT_COLUMNS =
  'conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at, reply_to, deleted, emoji, reaction_on, payload, hidden_from, sender_device, ciphertext';

/** A row selected as EVENT_COLUMNS in raw mode (an array), as the row object better-sqlite3 would make. */
export function eventRowOf(values: unknown[]): EventRow {
  return {
    conversation_id: values[0] as string,
    seq: values[1] as number,
    kind: values[2] as string,
    sender_id: values[3] as string,
    client_id: values[4] as string,
    message_id: values[5] as string | null,
    text: values[6] as string,
    sent_at: values[7] as number,
    reply_to: values[8] as string | null,
    deleted: values[9] as number,
    emoji: values[10] as string | null,
    reaction_on: values[11] as number | null,
    payload: values[12] as string | null,
    hidden_from: values[13] as string | null,
    sender_device: values[14] as number | null,
    ciphertext: values[15] as string | null,
  };
}

export function toEvent(row: EventRow): ConversationEvent {
  return directEvent(row) ?? eventOf(toRecord(row));
}

/**
 * The kinds a catch-up page is mostly made of (a message without attachments, forward or preview;
 * an edit, delete or reaction), built straight from the row, with the same fields in the same
 * order as store-rows' toEvent makes them: going through the shared record (a copy of every
 * column, then object spreads) was about a third of the server's CPU per event of a catch-up.
 * Anything else, and any row missing a column its kind needs, goes the checked way (undefined).
 */
function directEvent(row: EventRow): ConversationEvent | undefined {
  switch (row.kind) {
    case 'message':
      if (row.payload !== null) return undefined;
      return {
        kind: 'message',
        conversationId: row.conversation_id,
        seq: row.seq,
        senderId: row.sender_id,
        sentAt: row.sent_at,
        clientMessageId: row.client_id,
        text: row.text,
        replyTo: row.reply_to,
        deleted: row.deleted === 1,
        attachments: [],
      };
    case 'edit':
      if (row.message_id === null) return undefined;
      return {
        kind: 'edit',
        conversationId: row.conversation_id,
        seq: row.seq,
        senderId: row.sender_id,
        sentAt: row.sent_at,
        clientChangeId: row.client_id,
        messageId: row.message_id,
        text: row.text,
      };
    case 'delete':
      if (row.message_id === null) return undefined;
      return {
        kind: 'delete',
        conversationId: row.conversation_id,
        seq: row.seq,
        senderId: row.sender_id,
        sentAt: row.sent_at,
        clientChangeId: row.client_id,
        messageId: row.message_id,
      };
    case 'reaction':
      if (row.message_id === null || row.emoji === null || row.reaction_on === null) return undefined;
      return {
        kind: 'reaction',
        conversationId: row.conversation_id,
        seq: row.seq,
        senderId: row.sender_id,
        sentAt: row.sent_at,
        clientChangeId: row.client_id,
        messageId: row.message_id,
        emoji: row.emoji,
        on: row.reaction_on === 1,
      };
    default:
      return undefined;
  }
}

/** The columns to insert for a freshly made event. */
export function toEventRow(event: ConversationEvent): EventRow {
  const record = toEventRecord(event);
  return {
    ...record,
    deleted: record.deleted ? 1 : 0,
    reaction_on: record.reaction_on === null ? null : record.reaction_on ? 1 : 0,
    payload: record.payload === null ? null : JSON.stringify(record.payload),
  };
}

function toRecord(row: EventRow): EventRecord {
  return {
    ...row,
    deleted: row.deleted === 1,
    reaction_on: row.reaction_on === null ? null : row.reaction_on === 1,
    payload: row.payload === null ? null : parsePayload(row, row.payload),
  };
}

function parsePayload(row: EventRow, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) throw corruptEvent(row, 'payload is not JSON');
    throw error;
  }
}
