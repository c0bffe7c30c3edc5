/**
 * A location message's point as the mirror keeps it (issue 33): in the message_state table beside
 * its message, held by its author, as a poll's options are, with a live one's newest move and its
 * stop (content/kinds/location.ts), so no migration is needed. Read back with their schemas: a row
 * that does not parse shows no location (or no move) rather than a wrong one.
 */
import type { LocationView } from '../../app-api/locations-api.js';
import { locationDefinitionSchema, type LocationDefinition } from '../../common/locations.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';
import { storedMoveSchema, storedStopSchema } from '../../content/kinds/location.js';
import { definitionOf, parsedState, storeDefinition, type DefinitionKind, type QueuedState } from './message-state.js';

/** The kind under which a location's point is kept. */
const LOCATION: DefinitionKind = 'location';

/** A location's point, with its message (as composed here, or as it arrived); a copy later changes nothing. */
export function storeLocation(db: Db, message: Parameters<typeof storeDefinition>[2], location: LocationDefinition): void {
  storeDefinition(db, LOCATION, message, location);
}

/** The location a message is, or null when it is none (or its point is damaged). */
export function locationOf(db: Db, conversationId: string, messageId: string): LocationDefinition | null {
  return definitionOf(db, LOCATION, locationDefinitionSchema, conversationId, messageId);
}

/**
 * The locations among these messages, as they show: a live one where its newest move puts it (a
 * move after its stop is not shown), with this device's queued moves and stop laid over.
 */
export function locationViews(
  db: Db,
  conversationId: string,
  messageIds: readonly string[],
  queued: readonly QueuedState[],
): Map<string, LocationView> {
  const rows = cachedStatement(
    db,
    `SELECT message_id, kind, value FROM message_state
     WHERE conversation_id = ? AND kind IN ('${LOCATION}', 'location_move', 'location_stop')
       AND message_id IN (SELECT value FROM json_each(?))`,
  ).all(conversationId, JSON.stringify(messageIds)) as { message_id: string; kind: string; value: string }[];
  const byMessage = new Map<string, { location?: string; move?: string; stop?: string }>();
  for (const row of rows) {
    const states = byMessage.get(row.message_id) ?? {};
    if (row.kind === LOCATION) states.location = row.value;
    else if (row.kind === 'location_move') states.move = row.value;
    else states.stop = row.value;
    byMessage.set(row.message_id, states);
  }
  const views = new Map<string, LocationView>();
  for (const [messageId, states] of byMessage) {
    const location = states.location === undefined ? null : parsedLocation(states.location);
    if (!location) continue;
    const own = queued.filter((entry) => entry.messageId === messageId).map((entry) => entry.content);
    const stop = parsedState(storedStopSchema, states.stop) ?? own.find((content) => content.kind === 'location_stop') ?? null;
    const moves = [parsedState(storedMoveSchema, states.move), ...own.filter((content) => content.kind === 'location_move')];
    const live = location.live;
    const shown = live ? newestMove(moves, Math.min(live.until, stop?.at ?? Infinity)) : null;
    views.set(messageId, {
      lat: shown?.lat ?? location.lat,
      lon: shown?.lon ?? location.lon,
      live: live ? { until: live.until, stopped: stop !== null } : null,
    });
  }
  return views;
}

/** The move with the newest `at` up to `last`, if any. */
function newestMove<M extends { lat: number; lon: number; at: number }>(moves: readonly (M | null)[], last: number): M | null {
  let newest: M | null = null;
  for (const move of moves) if (move && move.at <= last && (!newest || move.at > newest.at)) newest = move;
  return newest;
}

/** A stored point, checked: null when it is not one. */
export function parsedLocation(json: string): LocationDefinition | null {
  return parsedState(locationDefinitionSchema, json);
}
