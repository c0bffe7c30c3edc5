import type { ServerFrame, User } from '../protocol/frames.js';

type EventsPart = Extract<ServerFrame, { type: 'events_part' }>;
type EventsReply = Extract<ServerFrame, { type: 'events' }>;

/**
 * The page a request asked `inParts` for, as one `events` reply: the events of its parts and of the
 * final frame in order, and everyone any of them names once. Applied as one page, so the cursor
 * moves only once every part arrived.
 */
export function joinedPage(parts: readonly EventsPart[], last: EventsReply): EventsReply {
  if (parts.length === 0) return last;
  const events = [];
  const users = new Map<string, User>();
  for (const part of parts) {
    for (const event of part.events) events.push(event);
    for (const user of part.users) users.set(user.id, user);
  }
  for (const event of last.events) events.push(event);
  for (const user of last.users) users.set(user.id, user);
  return { ...last, events, users: [...users.values()] };
}
