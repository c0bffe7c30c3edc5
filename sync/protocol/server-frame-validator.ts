/**
 * Validation of server frames on the client's hot path. A catch-up brings events by the hundred
 * thousand and an outbox drain acknowledgements by the ten thousand; zod (frames.ts, the one source
 * of truth) spends a fifth of the client's time on them. The checks here are zod's own rules for
 * those frames, written out by hand: `events` replies and their `events_part`s, `sent` replies and `event` pushes whose events are
 * envelopes without files, and `ephemeral_push`, whose ring an incoming call's dialog waits on. Such a frame passes
 * only when zod would take it exactly as it is: every field valid and no field zod would drop.
 * Anything else (another frame, another event, a field too many, anything invalid) goes to zod,
 * whose answer then stands, error messages included. So the result is zod's result, always;
 * test/unit/protocol/server-frame-validator.test.ts checks that against zod with valid and
 * mutated frames.
 */
import type { z } from 'zod';
import { conversationEventSchema, serverFrameSchema, type ConversationEvent, type ServerFrame } from './frames.js';
import { ENVELOPE_LIMITS } from './envelope-frames.js';
import { ENVELOPE_KINDS, INBOX_LIMITS, type EnvelopeKind } from './inbox-frames.js';
import { ACCOUNT_CAPS, LIMITS } from './limits.js';
import { ROLES, type Role } from './roles.js';
import { isBase64, isDeviceNumber, isId } from './wire-types.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** frames.ts `rid`: like an id, but not checked for lone surrogates. */
function isRid(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= LIMITS.maxIdChars;
}

/** z.number().int(): a finite, safe integer. */
function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isSeq(value: unknown, min: number): boolean {
  return isInt(value) && value >= min;
}

/** The fields every event has (eventBase in frames.ts). */
function hasEventBase(event: Json): boolean {
  return isId(event.conversationId) && isSeq(event.seq, 1) && isId(event.senderId) && isInt(event.sentAt);
}

/** The number of own keys: more than the fields checked means zod would drop some. */
function keyCount(value: Json): number {
  return Object.keys(value).length;
}

/**
 * The event as it is, when zod would take it unchanged; undefined when this cannot tell (zod
 * decides then). Field counts include `kind` and the four fields of the base.
 */
function hotEvent(event: Json): ConversationEvent | undefined {
  if (!hasEventBase(event) || event.kind !== 'envelope') return undefined;
  // The role the server attests is there on every envelope stored since it did.
  let fields = 10;
  if (event.senderRole !== undefined) {
    if (!ROLES.includes(event.senderRole as Role)) return undefined;
    fields += 1;
  }
  // Files are ids, but their list is zod's to judge when there is one.
  return isDeviceNumber(event.senderDevice) &&
    isId(event.clientId) &&
    typeof event.ciphertext === 'string' &&
    event.ciphertext.length <= ENVELOPE_LIMITS.maxCiphertextChars &&
    Array.isArray(event.attachments) &&
    event.attachments.length === 0 &&
    typeof event.deleted === 'boolean' &&
    keyCount(event) === fields
    ? (event as ConversationEvent)
    : undefined;
}

/** One event as zod parses it: by hand when it can, else zod's own result for it; undefined if invalid. */
function validEvent(value: unknown): ConversationEvent | undefined {
  const hot = isObject(value) ? hotEvent(value) : undefined;
  if (hot !== undefined) return hot;
  const parsed = conversationEventSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** userSchema exactly: an id, a username and a display name, nothing else. */
function isPlainUser(value: unknown): boolean {
  return (
    isObject(value) &&
    isId(value.id) &&
    typeof value.username === 'string' &&
    typeof value.displayName === 'string' &&
    keyCount(value) === 3
  );
}

/**
 * An `events` page as zod parses it (events one by one: zod's result for an event it takes
 * differently, e.g. a group's notice with a name it trims), or undefined for zod to judge.
 */
function hotEventsReply(frame: Json): ServerFrame | undefined {
  const optional = frame.skippedTo === undefined ? 0 : 1;
  if (optional === 1 && !isSeq(frame.skippedTo, 0)) return undefined;
  if (typeof frame.hasMore !== 'boolean') return undefined;
  return hotEventsOf(frame, 6 + optional);
}

/** An `events_part` as zod parses it: an `events` page without `hasMore` and `skippedTo`. */
function hotEventsPart(frame: Json): ServerFrame | undefined {
  return hotEventsOf(frame, 5);
}

/** The rid, conversation, events and users of an `events` page or part with `fields` fields in all. */
function hotEventsOf(frame: Json, fields: number): ServerFrame | undefined {
  const { events, users } = frame;
  if (
    !isRid(frame.rid) ||
    !isId(frame.conversationId) ||
    !Array.isArray(events) ||
    !Array.isArray(users) ||
    keyCount(frame) !== fields
  ) {
    return undefined;
  }
  for (const user of users) if (!isPlainUser(user)) return undefined;
  let parsed: unknown[] = events;
  for (let i = 0; i < events.length; i += 1) {
    const event = validEvent(events[i]);
    if (event === undefined) return undefined;
    if (event !== events[i]) {
      if (parsed === events) parsed = events.slice();
      parsed[i] = event;
    }
  }
  return (parsed === events ? frame : { ...frame, events: parsed }) as ServerFrame;
}

/** A `sent` reply or an `event` push as zod parses it, or undefined for zod to judge. */
function hotEventFrame(frame: Json, fields: number): ServerFrame | undefined {
  if (keyCount(frame) !== fields || (frame.type === 'sent' && !isRid(frame.rid))) return undefined;
  const event = validEvent(frame.event);
  if (event === undefined) return undefined;
  return (event === frame.event ? frame : { ...frame, event }) as ServerFrame;
}

/** call-frames.ts `ephemeralEnvelopeSchema` exactly. */
function isEphemeralEnvelope(value: unknown): boolean {
  return (
    isObject(value) &&
    isId(value.senderUserId) &&
    isDeviceNumber(value.senderDevice) &&
    isDeviceNumber(value.deviceNumber) &&
    ENVELOPE_KINDS.includes(value.kind as EnvelopeKind) &&
    isBase64(value.ciphertext, INBOX_LIMITS.maxCiphertextChars) &&
    isSeq(value.sentAt, 0) &&
    keyCount(value) === 6
  );
}

/** An `ephemeral_push` (a call's signal: the callee's dialog waits on it) as zod parses it, or undefined for zod to judge. */
function hotEphemeralPush(frame: Json): ServerFrame | undefined {
  const { envelopes } = frame;
  if (
    keyCount(frame) !== 2 ||
    !Array.isArray(envelopes) ||
    envelopes.length < 1 ||
    envelopes.length > ACCOUNT_CAPS.maxDevicesPerAccount ||
    !envelopes.every(isEphemeralEnvelope)
  ) {
    return undefined;
  }
  return frame as ServerFrame;
}

/** The frame as zod would parse it, when these checks can tell; undefined leaves it to zod. */
export function hotServerFrame(json: unknown): ServerFrame | undefined {
  if (!isObject(json)) return undefined;
  switch (json.type) {
    case 'events':
      return hotEventsReply(json);
    case 'events_part':
      return hotEventsPart(json);
    case 'sent':
      return hotEventFrame(json, 3);
    case 'event':
      return hotEventFrame(json, 2);
    case 'ephemeral_push':
      return hotEphemeralPush(json);
    default:
      return undefined;
  }
}

/**
 * `serverFrameSchema.safeParse` with the hot frames checked by hand: the same result for every
 * value JSON.parse can make. An object, so a benchmark can time the stage by wrapping the method.
 */
export const serverFrameValidator = {
  safeParse(json: unknown): z.ZodSafeParseResult<ServerFrame> {
    const hot = hotServerFrame(json);
    return hot === undefined ? serverFrameSchema.safeParse(json) : { success: true, data: hot };
  },
};
