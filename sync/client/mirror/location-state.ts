/**
 * A location message's point as the mirror keeps it (issue 33): in the message_state table beside
 * its message, held by its author, as a poll's options are, so no migration is needed. Read back
 * with its schema: a row that does not parse shows no location rather than a wrong one.
 */
import type { LocationView } from '../../app-api/locations-api.js';
import { locationDefinitionSchema, type LocationDefinition } from '../../common/locations.js';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';

/** The kind under which a location's point is kept. */
const LOCATION = 'location';

/** A location's point, with its message (as composed here, or as it arrived); a copy later changes nothing. */
export function storeLocation(
  db: Db,
  message: { conversationId: string; messageId: string; authorId: string; seq: number },
  location: LocationDefinition,
): void {
  cachedStatement(
    db,
    `INSERT INTO message_state (conversation_id, message_id, kind, holder_id, value, seq) VALUES (?, ?, '${LOCATION}', ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  ).run(message.conversationId, message.messageId, message.authorId, JSON.stringify(location), message.seq);
}

/** The location a message is, or null when it is none (or its point is damaged). */
export function locationOf(db: Db, conversationId: string, messageId: string): LocationDefinition | null {
  const value = cachedValueStatement(
    db,
    `SELECT value FROM message_state WHERE conversation_id = ? AND message_id = ? AND kind = '${LOCATION}'`,
  ).get(conversationId, messageId) as string | undefined;
  return value === undefined ? null : parsedLocation(value);
}

/** The locations among these messages, as they show. */
export function locationViews(db: Db, conversationId: string, messageIds: readonly string[]): Map<string, LocationView> {
  const rows = cachedStatement(
    db,
    `SELECT message_id, value FROM message_state
     WHERE conversation_id = ? AND kind = '${LOCATION}' AND message_id IN (SELECT value FROM json_each(?))`,
  ).all(conversationId, JSON.stringify(messageIds)) as { message_id: string; value: string }[];
  const views = new Map<string, LocationView>();
  for (const row of rows) {
    const location = parsedLocation(row.value);
    if (location) views.set(row.message_id, { lat: location.lat, lon: location.lon });
  }
  return views;
}

/** A stored point, checked: null when it is not one. */
export function parsedLocation(json: string): LocationDefinition | null {
  try {
    const result = locationDefinitionSchema.safeParse(JSON.parse(json));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}
