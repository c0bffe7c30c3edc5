/**
 * The wire protocol between client core and server: the only source of truth for frame shapes.
 * Every frame is one JSON text message on the WebSocket. Types are inferred from the schemas, so a
 * shape cannot drift from its validation.
 *
 * Requests carry `rid` (request id, chosen by the client); the reply carries the same `rid`.
 * Pushes from the server carry no `rid`.
 */
import { z } from 'zod';
import { EMOJI_PATTERN, LIMITS, USERNAME_PATTERN } from './limits.js';

/**
 * Text the databases can keep as it came: no lone UTF-16 surrogates. JSON carries them (as \uD800
 * escapes) but UTF-8 cannot, so SQLite would store bytes that read back as U+FFFD: another text,
 * another id than the one acknowledged (and two such ids could read back as the same one).
 */
// String.prototype.isWellFormed (ES2024, in Node 20 and every current browser) is native and far
// cheaper than a Unicode regex over every id in a 2,000-event catch-up page.
const wellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();
const WELL_FORMED = 'must be valid Unicode text (no lone surrogates)';

const id = z.string().min(1).max(LIMITS.maxIdChars).refine(wellFormed, WELL_FORMED);
const seq = z.number().int().nonnegative();
const rid = z.string().min(1).max(LIMITS.maxIdChars);

export const username = z
  .string()
  .min(LIMITS.minUsernameChars)
  .max(LIMITS.maxUsernameChars)
  .regex(USERNAME_PATTERN, 'lowercase letters, digits, ".", "_" and "-" only');
export const displayName = z.string().trim().min(1).max(LIMITS.maxDisplayNameChars).refine(wellFormed, WELL_FORMED);
export const password = z.string().min(LIMITS.minPasswordChars).max(LIMITS.maxPasswordChars);
export const messageText = z
  .string()
  .max(LIMITS.maxMessageChars)
  .refine((text) => text.trim().length > 0, 'message text is empty')
  .refine(wellFormed, WELL_FORMED);

// ---------------------------------------------------------------------------------------------
// Shared shapes

export const userSchema = z.object({
  id,
  username: z.string(),
  displayName: z.string(),
});
export type User = z.infer<typeof userSchema>;

/** A member of a conversation with their delivery and read watermarks (highest sequence numbers). */
export const memberSchema = userSchema.extend({
  deliveredSeq: seq,
  readSeq: seq,
});
export type Member = z.infer<typeof memberSchema>;

export const conversationSchema = z.object({
  id,
  kind: z.literal('direct'),
  members: z.array(memberSchema).min(1).max(2),
  /** Highest sequence number assigned in this conversation (0 when empty). */
  lastSeq: seq,
  createdAt: z.number().int(),
});
export type Conversation = z.infer<typeof conversationSchema>;

/**
 * A reaction: one emoji (possibly a ZWJ sequence, with skin tone or variation selector, a flag or a
 * keycap), nothing else.
 */
export const emoji = z
  .string()
  .min(1)
  .max(LIMITS.maxEmojiChars)
  .regex(EMOJI_PATTERN, 'must be a single emoji');

/**
 * One entry of a conversation's log. Every change (a message, an edit, a delete, a reaction) is an
 * event with its own sequence number, so catch-up and gap detection cover all of them alike.
 *
 * Messages are identified by their `clientMessageId` (the id the author's client chose), which is
 * unique within a conversation; edits, deletes, reactions and replies refer to a message by it as
 * `messageId`, so a change can be composed offline against a message the server has not seen yet.
 */
const eventBase = {
  conversationId: id,
  seq: seq.min(1),
  senderId: id,
  /** Server time at which the event was stored. */
  sentAt: z.number().int(),
};

export const messageEventSchema = z.object({
  kind: z.literal('message'),
  ...eventBase,
  clientMessageId: id,
  /** Empty once the message was deleted for everyone (the server purges the text). */
  text: z.string().max(LIMITS.maxMessageChars),
  /** The message this one replies to, by its messageId; null when it is not a reply. */
  replyTo: id.nullable(),
  /** True when the message was later deleted for everyone (served so by catch-up). */
  deleted: z.boolean(),
});

/** The author changes a message's text; the edit with the highest seq is the current text. */
export const editEventSchema = z.object({
  kind: z.literal('edit'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
  /** Empty once the message was deleted for everyone. */
  text: z.string().max(LIMITS.maxMessageChars),
});

/** The author deletes a message for everyone: text, edit history and reactions are gone everywhere. */
export const deleteEventSchema = z.object({
  kind: z.literal('delete'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
});

/** A member adds (`on: true`) or removes (`on: false`) one emoji on a message. */
export const reactionEventSchema = z.object({
  kind: z.literal('reaction'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
  emoji,
  on: z.boolean(),
});

export const conversationEventSchema = z.discriminatedUnion('kind', [
  messageEventSchema,
  editEventSchema,
  deleteEventSchema,
  reactionEventSchema,
]);
export type ConversationEvent = z.infer<typeof conversationEventSchema>;
export type MessageEvent = z.infer<typeof messageEventSchema>;
export type EditEvent = z.infer<typeof editEventSchema>;
export type DeleteEvent = z.infer<typeof deleteEventSchema>;
export type ReactionEvent = z.infer<typeof reactionEventSchema>;
/** The events that change an existing message. */
export type ChangeEvent = EditEvent | DeleteEvent | ReactionEvent;

// ---------------------------------------------------------------------------------------------
// Errors

export const ERROR_CODES = [
  'bad_frame', // not JSON, unknown type, or fields of the wrong shape
  'not_found', // no such user; also any conversation the caller is not a member of
  'forbidden',
  'conflict', // e.g. username taken
  'invalid', // well-formed but breaks a rule (e.g. conversation with yourself)
  'unauthorized',
  'rate_limited',
  'internal',
] as const;
export const errorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/**
 * Whether the client should give up on the request (mark a message failed) or try again later.
 * Transient failures (internal, rate_limited) are retried with backoff; everything else is final.
 */
export function isPermanentError(code: ErrorCode): boolean {
  return code !== 'internal' && code !== 'rate_limited';
}

// ---------------------------------------------------------------------------------------------
// Client → server

export const sendFrame = z.object({
  type: z.literal('send'),
  rid,
  conversationId: id,
  clientMessageId: id,
  text: messageText,
  /** messageId of the message this one replies to (it must exist in the conversation). */
  replyTo: id.optional(),
});

/** An edit, delete or reaction. Idempotent by (sender, clientChangeId), like a send. */
export const changeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('edit'), messageId: id, text: messageText }),
  z.object({ kind: z.literal('delete'), messageId: id }),
  z.object({ kind: z.literal('reaction'), messageId: id, emoji, on: z.boolean() }),
]);
export type Change = z.infer<typeof changeSchema>;
export const changeFrame = z.object({
  type: z.literal('change'),
  rid,
  conversationId: id,
  clientChangeId: id,
  change: changeSchema,
});

/** "I am typing in this conversation": relayed to the other members, never stored. */
export const typingFrame = z.object({ type: z.literal('typing'), rid, conversationId: id });
export const catchUpFrame = z.object({
  type: z.literal('catch_up'),
  rid,
  conversationId: id,
  afterSeq: seq,
  limit: z.number().int().min(1).max(LIMITS.maxCatchUpPage).optional(),
});
export const listConversationsFrame = z.object({
  type: z.literal('list_conversations'),
  rid,
});
export const startConversationFrame = z.object({
  type: z.literal('start_conversation'),
  rid,
  username: z.string().min(1).max(LIMITS.maxUsernameChars),
});
export const receiptFrame = z.object({
  type: z.literal('receipt'),
  rid,
  conversationId: id,
  kind: z.enum(['delivered', 'read']),
  seq,
});
export const pingFrame = z.object({ type: z.literal('ping'), rid });

export const clientFrameSchema = z.discriminatedUnion('type', [
  sendFrame,
  changeFrame,
  typingFrame,
  catchUpFrame,
  listConversationsFrame,
  startConversationFrame,
  receiptFrame,
  pingFrame,
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ClientFrameType = ClientFrame['type'];

// ---------------------------------------------------------------------------------------------
// Server → client: replies (carry rid)

export const sentReply = z.object({
  type: z.literal('sent'),
  rid,
  /** The stored event. For a resend of a known client id, the original event (as it is now). */
  event: conversationEventSchema,
});
export const eventsReply = z.object({
  type: z.literal('events'),
  rid,
  conversationId: id,
  events: z.array(conversationEventSchema),
  /** True when more events exist after the last one returned. */
  hasMore: z.boolean(),
});
export const conversationsReply = z.object({
  type: z.literal('conversations'),
  rid,
  conversations: z.array(conversationSchema),
});
export const conversationReply = z.object({
  type: z.literal('conversation'),
  rid,
  conversation: conversationSchema,
});
export const okReply = z.object({ type: z.literal('ok'), rid });
export const errorReply = z.object({
  type: z.literal('error'),
  /** Absent when the frame was too broken to read its rid. */
  rid: rid.optional(),
  code: errorCodeSchema,
  message: z.string(),
});

// Server → client: pushes (no rid)

export const eventPush = z.object({ type: z.literal('event'), event: conversationEventSchema });
export const conversationPush = z.object({
  type: z.literal('conversation_added'),
  conversation: conversationSchema,
});
export const watermarkPush = z.object({
  type: z.literal('watermark'),
  conversationId: id,
  userId: id,
  deliveredSeq: seq,
  readSeq: seq,
});
/** Someone is typing; clients show it for LIMITS.typingTtlMs unless it is repeated. Not stored. */
export const typingPush = z.object({ type: z.literal('typing'), conversationId: id, userId: id });
/**
 * Whether a user is connected, and when they were last. Sent for every contact right after the
 * welcome, then whenever a contact connects or disconnects. Not stored in the event log.
 */
export const presencePush = z.object({
  type: z.literal('presence'),
  userId: id,
  online: z.boolean(),
  lastSeenAt: z.number().int().nullable(),
});
export type PresencePush = z.infer<typeof presencePush>;

/** Sent once right after the socket opens: who the server thinks you are. */
export const welcomePush = z.object({
  type: z.literal('welcome'),
  user: userSchema,
  serverTime: z.number().int(),
});

export const serverFrameSchema = z.discriminatedUnion('type', [
  sentReply,
  eventsReply,
  conversationsReply,
  conversationReply,
  okReply,
  errorReply,
  eventPush,
  conversationPush,
  watermarkPush,
  welcomePush,
  typingPush,
  presencePush,
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type ErrorReply = z.infer<typeof errorReply>;

// ---------------------------------------------------------------------------------------------
// HTTP account endpoints (the only unauthenticated surface)
//   POST /v1/accounts  {username, displayName, password} → 201 {token, user}
//   POST /v1/sessions  {username, password}              → 200 {token, user}
//   errors: 4xx {code, message}
// The WebSocket at /v1/sync requires `Authorization: Bearer <token>`; a missing or unknown token
// is refused with HTTP 401 before the upgrade.

export const createAccountRequest = z.object({ username, displayName, password });
export const logInRequest = z.object({
  username: z.string().min(1).max(LIMITS.maxUsernameChars),
  password: z.string().min(1).max(LIMITS.maxPasswordChars),
});
export const sessionResponse = z.object({ token: z.string().min(16), user: userSchema });
export const httpErrorResponse = z.object({ code: errorCodeSchema, message: z.string() });
export type SessionResponse = z.infer<typeof sessionResponse>;

export const SYNC_PATH = '/v1/sync';
export const ACCOUNTS_PATH = '/v1/accounts';
export const SESSIONS_PATH = '/v1/sessions';
export const HEALTH_PATH = '/v1/health';
