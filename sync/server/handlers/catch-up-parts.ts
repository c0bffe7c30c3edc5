import { peopleNamedIn, type ConversationEvent, type User } from '../../protocol/frames.js';

/**
 * The most bytes of JSON in one frame of a page asked for `inParts`. Strings this small are cheap to
 * make and to turn into bytes on both ends; one of a page's full size goes to fresh memory each time.
 * An event larger than this on its own still goes, alone.
 */
export const CATCH_UP_PART_BYTES = 48 * 1024;

/** A frame serialised by its handler, written as it is; `events` says how many events it holds. */
export interface SerialisedPart {
  text: string;
  events: number;
}

/** A page cut into parts: the `events_part` frames to write first, then what the `events` reply holds. */
export interface PageParts {
  parts: SerialisedPart[];
  last: { events: ConversationEvent[]; users: User[] };
}

/**
 * Cuts a page into frames of at most `budget` bytes each, in order. Each event is serialised once,
 * here, and the part frames are put together from those pieces, so no frame the size of the whole
 * page is ever built. Each part names its own users (those its events name); so does the rest.
 */
export function pageParts(
  rid: string,
  conversationId: string,
  events: readonly ConversationEvent[],
  users: readonly User[],
  budget = CATCH_UP_PART_BYTES,
): PageParts {
  const usersById = new Map(users.map((user) => [user.id, user]));
  // The fields around the events and users, as large as the final frame's can be.
  const frame = { type: 'events_part', rid, conversationId, hasMore: false, skippedTo: Number.MAX_SAFE_INTEGER };
  const room = budget - Buffer.byteLength(JSON.stringify({ ...frame, events: [], users: [] }));
  const head = `{"type":"events_part","rid":${JSON.stringify(rid)},"conversationId":${JSON.stringify(conversationId)},"events":[`;
  const userTexts = new Map<string, { text: string; bytes: number }>();
  const userText = (id: string) => {
    let known = userTexts.get(id);
    const user = usersById.get(id);
    if (known === undefined && user !== undefined) {
      const text = JSON.stringify(user);
      known = { text, bytes: Buffer.byteLength(text) + 1 };
      userTexts.set(id, known);
    }
    return known;
  };
  /** The bytes the users `event` names add to a part that already names `named`. */
  const newUserBytes = (event: ConversationEvent, named: ReadonlyMap<string, string>) => {
    let bytes = named.has(event.senderId) ? 0 : (userText(event.senderId)?.bytes ?? 0);
    for (const id of peopleNamedIn(event)) if (!named.has(id)) bytes += userText(id)?.bytes ?? 0;
    return bytes;
  };
  const parts: SerialisedPart[] = [];
  let texts: string[] = [];
  let named = new Map<string, string>();
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < events.length; i += 1) {
    const event = events[i]!;
    const text = JSON.stringify(event);
    const eventBytes = Buffer.byteLength(text) + 1;
    if (texts.length > 0 && bytes + eventBytes + newUserBytes(event, named) > room) {
      parts.push({ text: `${head}${texts.join(',')}],"users":[${[...named.values()].join(',')}]}`, events: texts.length });
      texts = [];
      named = new Map();
      start = i;
      bytes = 0;
    }
    bytes += eventBytes + newUserBytes(event, named);
    texts.push(text);
    for (const id of [event.senderId, ...peopleNamedIn(event)]) {
      const user = userText(id);
      if (user !== undefined) named.set(id, user.text);
    }
  }
  return { parts, last: { events: events.slice(start), users: [...named.keys()].map((id) => usersById.get(id)!) } };
}
