import type { ConversationEvent } from '../../protocol/frames.js';
import { corruptEvent, toEvent as eventOf, toEventRecord, type EventRecord } from './store-rows.js';

/**
 * How SQLite keeps an event row: booleans as 0/1 and the payload as JSON text. Everything else
 * about rows is the same for every store (store-rows.ts); this only converts to and from it.
 */
export interface EventRow extends Omit<EventRecord, 'deleted' | 'payload'> {
  deleted: number;
  payload: string | null;
}

/** The columns of an event row, in the order eventRowOf reads them from a raw (array) result. */
export const EVENT_COLUMNS =
  'conversation_id, seq, kind, sender_id, client_id, message_id, sent_at, deleted, payload, hidden_from, sender_device, ciphertext, expires_in_ms';

/** A row selected as EVENT_COLUMNS in raw mode (an array), as the row object better-sqlite3 would make. */
export function eventRowOf(values: unknown[]): EventRow {
  return {
    conversation_id: values[0] as string,
    seq: values[1] as number,
    kind: values[2] as string,
    sender_id: values[3] as string,
    client_id: values[4] as string,
    message_id: values[5] as string | null,
    sent_at: values[6] as number,
    deleted: values[7] as number,
    payload: values[8] as string | null,
    hidden_from: values[9] as string | null,
    sender_device: values[10] as number | null,
    ciphertext: values[11] as string | null,
    expires_in_ms: values[12] as number | null,
  };
}

export function toEvent(row: EventRow): ConversationEvent {
  return eventOf({
    ...row,
    deleted: row.deleted === 1,
    payload: row.payload === null ? null : parsePayload(row, row.payload),
  });
}

/** The columns to insert for a freshly made event. */
export function toEventRow(event: ConversationEvent): EventRow {
  const record = toEventRecord(event);
  return {
    ...record,
    deleted: record.deleted ? 1 : 0,
    payload: record.payload === null ? null : JSON.stringify(record.payload),
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
