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

export function toEvent(row: EventRow): ConversationEvent {
  return eventOf(toRecord(row));
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
