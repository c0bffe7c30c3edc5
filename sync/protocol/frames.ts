/**
 * The wire protocol between client core and server: the only source of truth for frame shapes.
 * Every frame is one JSON text message on the WebSocket. Types are inferred from the schemas, so a
 * shape cannot drift from its validation.
 *
 * Requests carry `rid` (request id, chosen by the client); the reply carries the same `rid`.
 * Pushes from the server carry no `rid`.
 */
import { z } from 'zod';
import { ATTACHMENT_LIMITS } from './attachments.js';
import { backupClientFrames, backupServerFrames } from './backup-frames.js';
import { callClientFrames, callServerFrames } from './call-frames.js';
import { conversationDevicesSchema } from './conversation-devices.js';
import { envelopeEventSchema, sendEnvelopeFrame } from './envelope-frames.js';
import { inboxClientFrames, inboxServerFrames } from './inbox-frames.js';
import { linkClientFrames, linkServerFrames } from './link-frames.js';
import { keyClientFrames, keyServerFrames } from './key-frames.js';
import { conversationDevicesClientFrames, conversationDevicesServerFrames } from './conversation-devices.js';
import { EMOJI_PATTERN, LIMITS, USERNAME_PATTERN } from './limits.js';
import { REFUSAL_REASONS } from './refusal-reasons.js';
import { roleSchema } from './roles.js';
import { withoutInvisibleCharacters } from './visible-names.js';
import { base64, id, rid, wellFormed, WELL_FORMED } from './wire-types.js';

/**
 * Text the databases can keep as it came: no lone UTF-16 surrogates. JSON carries them (as \uD800
 * escapes) but UTF-8 cannot, so SQLite would store bytes that read back as U+FFFD: another text,
 * another id than the one acknowledged (and two such ids could read back as the same one).
 */
const seq = z.number().int().nonnegative();

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
/** A message's text beside attachments: may be empty (a file needs no caption). */
export const caption = z.string().max(LIMITS.maxMessageChars).refine(wellFormed, WELL_FORMED);
export const groupName = z
  .string()
  .trim()
  .min(LIMITS.minGroupNameChars)
  .max(LIMITS.maxGroupNameChars)
  .refine(wellFormed, WELL_FORMED);
/**
 * A name as a person gives it (signing up, naming or renaming a group): stripped of invisible
 * characters before it is checked (visible-names.ts). What the server sends keeps the plain schemas,
 * so a name stored before this rule still reads.
 */
export const newDisplayName = z.string().transform(withoutInvisibleCharacters).pipe(displayName);
export const newGroupName = z.string().transform(withoutInvisibleCharacters).pipe(groupName);

// ---------------------------------------------------------------------------------------------
// Shared shapes

export const userSchema = z.object({
  id,
  username: z.string(),
  displayName: z.string(),
});
export type User = z.infer<typeof userSchema>;

export { ROLES, roleSchema, type Role } from './roles.js';

/** A member of a conversation with their role and their delivery and read watermarks (highest sequence numbers). */
export const memberSchema = userSchema.extend({
  role: roleSchema,
  deliveredSeq: seq,
  readSeq: seq,
});
export type Member = z.infer<typeof memberSchema>;

export const CONVERSATION_KINDS = ['direct', 'group'] as const;
export const conversationKindSchema = z.enum(CONVERSATION_KINDS);
export type ConversationKind = z.infer<typeof conversationKindSchema>;

/**
 * A conversation as the requesting user may see it. `members`, `name` and the watermarks are the
 * state as of `lastSeq` (read in one transaction), so a client may take them as of that seq.
 */
export const conversationSchema = z.object({
  id,
  kind: conversationKindSchema,
  /** Always null: a group's name is sealed content, which the server never reads. */
  name: z.string().max(LIMITS.maxGroupNameChars).nullable(),
  /** The current members, in the order they joined (creator first). Empty for a former member. */
  members: z.array(memberSchema).max(LIMITS.maxGroupMembers),
  /**
   * Highest sequence number the requester may see (0 when empty): the conversation's last for a
   * member, the one that removed them for a former member.
   */
  lastSeq: seq,
  createdAt: z.number().int(),
  /** False once the requester left or was removed: they keep their history up to then. */
  isMember: z.boolean(),
  /**
   * Present while the conversation is a message request to the requester (request-rules.ts): who
   * started it with them or added them, not being their contact then, and they have not written
   * there since. Their own answer (accept, delete) is a personal setting the client weighs with it.
   */
  requestFrom: id.optional(),
});
export type Conversation = z.infer<typeof conversationSchema>;

/**
 * A reaction: one emoji (possibly a ZWJ sequence, with skin tone or variation selector, a flag or a
 * keycap), nothing else.
 */
export const emoji = z.string().min(1).max(LIMITS.maxEmojiChars).regex(EMOJI_PATTERN, 'must be a single emoji');

/**
 * What every entry of a conversation's log has. Each envelope and each membership change is an
 * event with its own sequence number, so catch-up and gap detection cover all of them alike; what
 * an envelope says is content (sync/content), which only members' devices read.
 */
export const eventBase = {
  conversationId: id,
  seq: seq.min(1),
  senderId: id,
  /** Server time at which the event was stored. */
  sentAt: z.number().int(),
};

/**
 * Who wrote the message a forward copies: the original author's display name as the forwarding
 * device knew it (a forward of a forward keeps the first author).
 */
export const forwardedFromSchema = z.object({ name: z.string().min(1).max(LIMITS.maxDisplayNameChars) });
export type ForwardedFrom = z.infer<typeof forwardedFromSchema>;

/**
 * A link's preview, made by the sender's core when the message was composed (receivers never
 * contact the site): the page's title and description (Open Graph, else <title>) and a small image
 * the sender's renderer scaled down (a data: URL). Plain text, never markup.
 */
export const linkPreviewSchema = z.object({
  url: z
    .string()
    .max(LIMITS.maxLinkPreviewUrlChars)
    .refine((value) => /^https?:\/\/[^\s]+$/i.test(value), 'must be an http or https address')
    .refine(wellFormed, WELL_FORMED),
  title: z.string().min(1).max(LIMITS.maxLinkPreviewTitleChars).refine(wellFormed, WELL_FORMED),
  description: z.string().max(LIMITS.maxLinkPreviewDescriptionChars).refine(wellFormed, WELL_FORMED),
  image: z
    .string()
    .max(LIMITS.maxLinkPreviewImageChars)
    .regex(/^data:image\/(?:jpeg|png|webp);base64,[A-Za-z0-9+/]+=*$/, 'must be a base64 data: URL of a JPEG, PNG or WebP image')
    .nullable(),
});
export type LinkPreview = z.infer<typeof linkPreviewSchema>;

/** A member as a membership event names them: who they are, so every device can show the notice. */
const userWithRole = userSchema.extend({ role: roleSchema });

/**
 * The first event of every group: its first members (the creator as owner). Its name is null: a
 * group's name is sealed content (a rename), which the server never reads.
 */
export const groupCreatedEventSchema = z.object({
  kind: z.literal('group_created'),
  ...eventBase,
  name: groupName.nullable(),
  members: z.array(userWithRole).min(1).max(LIMITS.maxGroupMembers),
});

/** Owner or admin added people; each sees the conversation from this event on. */
export const membersAddedEventSchema = z.object({
  kind: z.literal('members_added'),
  ...eventBase,
  clientChangeId: id,
  members: z.array(userSchema).min(1).max(LIMITS.maxGroupMembers),
});

/** Owner or admin removed someone; the removed person receives this event and nothing after it. */
export const memberRemovedEventSchema = z.object({
  kind: z.literal('member_removed'),
  ...eventBase,
  clientChangeId: id,
  userId: id,
});

/**
 * The sender left; like a removal, this is the last event they receive. When the owner leaves,
 * `newOwnerId` names who became owner (the earliest-joined admin, else the earliest-joined member).
 */
export const memberLeftEventSchema = z.object({
  kind: z.literal('member_left'),
  ...eventBase,
  clientChangeId: id,
  newOwnerId: id.nullable(),
});

/** The owner made someone an admin, or a plain member again. */
export const roleChangedEventSchema = z.object({
  kind: z.literal('role_changed'),
  ...eventBase,
  clientChangeId: id,
  userId: id,
  role: z.enum(['admin', 'member']),
});

/** The events that change who is in a conversation or their roles. */
export const MEMBERSHIP_EVENT_SCHEMAS = [
  groupCreatedEventSchema,
  membersAddedEventSchema,
  memberRemovedEventSchema,
  memberLeftEventSchema,
  roleChangedEventSchema,
] as const;

export const conversationEventSchema = z.discriminatedUnion('kind', [...MEMBERSHIP_EVENT_SCHEMAS, envelopeEventSchema]);
export type ConversationEvent = z.infer<typeof conversationEventSchema>;
export type GroupCreatedEvent = z.infer<typeof groupCreatedEventSchema>;
export type MembersAddedEvent = z.infer<typeof membersAddedEventSchema>;
export type MemberRemovedEvent = z.infer<typeof memberRemovedEventSchema>;
export type MemberLeftEvent = z.infer<typeof memberLeftEventSchema>;
export type RoleChangedEvent = z.infer<typeof roleChangedEventSchema>;
/** The events that change who is in a conversation or their roles. */
export type MembershipEvent = GroupCreatedEvent | MembersAddedEvent | MemberRemovedEvent | MemberLeftEvent | RoleChangedEvent;
/** Membership events that answer a group change (all but the creation). */
export type GroupChangeEvent = Exclude<MembershipEvent, GroupCreatedEvent>;

/** The people a membership event is about besides its sender: added, removed, given a role, or made owner. */
export function peopleNamedIn(event: ConversationEvent): string[] {
  switch (event.kind) {
    case 'envelope':
      return [];
    case 'group_created':
      return event.members.filter((member) => member.id !== event.senderId).map((member) => member.id);
    case 'members_added':
      return event.members.map((member) => member.id);
    case 'member_removed':
    case 'role_changed':
      return [event.userId];
    case 'member_left':
      return event.newOwnerId ? [event.newOwnerId] : [];
  }
}

/**
 * The client-chosen id an event was stored under (idempotency is by sender and this id): an
 * envelope's id, a group change's id, or for a group's creation the conversation's id.
 */
export function clientIdOf(event: ConversationEvent): string {
  switch (event.kind) {
    case 'group_created':
      return event.conversationId;
    case 'members_added':
    case 'member_removed':
    case 'member_left':
    case 'role_changed':
      return event.clientChangeId;
    case 'envelope':
      return event.clientId;
  }
}

// ---------------------------------------------------------------------------------------------
// Personal settings: the ones the server enforces (blocks, a request's answer, privacy) and sealed ones

/**
 * The personal settings the server acts on, as last-writer-wins registers (see
 * settingRegisterSchema): private to their owner, never seen by anyone else, synced to their other
 * devices. The rest (archive, mute, drafts: sync/content/personal-settings.ts) reach the server
 * only sealed, so it keeps and forwards them without reading them.
 */
export const SERVER_SETTINGS = [
  z.object({ kind: z.literal('blocked'), userId: id, value: z.boolean() }),
  // "Show when I'm online": who sees the person's presence and last seen (presence-rules.ts).
  z.object({ kind: z.literal('show_online'), value: z.enum(['everyone', 'nobody']) }),
  // A message request answered (request-rules.ts): accepted, or deleted when the conversation was at `seq`.
  z.object({
    kind: z.literal('request'),
    conversationId: id,
    value: z.object({ answer: z.enum(['accepted', 'deleted']), seq }),
  }),
  // "Who can add me to groups": anyone, or only my contacts (request-rules.ts).
  z.object({ kind: z.literal('group_adds'), value: z.enum(['everyone', 'contacts']) }),
] as const;

/**
 * A setting only the owner's devices read: `key` names the register without saying what it is
 * about (the same setting always has the same key), `value` is the setting sealed to the account's
 * identity (client/crypto/sealed-settings.ts).
 */
const sealedSettingSchema = z.object({
  kind: z.literal('sealed'),
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes as unpadded base64url'),
  value: base64(LIMITS.maxSealedSettingChars),
});

export const settingSchema = z.discriminatedUnion('kind', [...SERVER_SETTINGS, sealedSettingSchema]);
export type Setting = z.infer<typeof settingSchema>;
export type SettingKind = Setting['kind'];
/** "Show when I'm online": everyone in my conversations (the default) or nobody. */
export type OnlineVisibility = Extract<Setting, { kind: 'show_online' }>['value'];
/** "Who can add me to groups": everyone (the default) or my contacts. */
export type GroupAdds = Extract<Setting, { kind: 'group_adds' }>['value'];
export type RequestAnswer = Extract<Setting, { kind: 'request' }>['value'];

/**
 * A setting as written by one device: `at` is the writer's clock when the person changed it, `by`
 * the writing device's id (ties). The register with the greater (at, by) wins, on the server and on
 * every device alike (settings.ts), so the order in which writes arrive does not matter.
 */
export const settingRegisterSchema = z.object({ setting: settingSchema, at: z.number().int().nonnegative(), by: id });
export type SettingRegister = z.infer<typeof settingRegisterSchema>;

/** A register as the server keeps it: `version` orders the owner's settings changes (per user, from 1). */
export const storedSettingSchema = settingRegisterSchema.extend({ version: seq.min(1) });
export type StoredSetting = z.infer<typeof storedSettingSchema>;

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
  // A pipelined frame whose `after` was not the last frame of its conversation handled on this
  // connection, or failed there: nothing was done; send it again once the frames before it are settled.
  'out_of_order',
] as const;
export const errorCodeSchema = z.enum(ERROR_CODES);
export const refusalReasonSchema = z.enum(REFUSAL_REASONS);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/**
 * Whether the client should give up on the request (mark a message failed) or try again later.
 * Transient failures (internal, rate_limited, out_of_order) are retried; everything else is final.
 */
export function isPermanentError(code: ErrorCode): boolean {
  return code !== 'internal' && code !== 'rate_limited' && code !== 'out_of_order';
}

// ---------------------------------------------------------------------------------------------
// Client → server

/**
 * Pipelining (envelopes, group changes and creations): a client may put the next frame of a
 * conversation on the wire before the one it follows is answered, naming that one's client id (an
 * envelope's clientId, a clientChangeId, or the conversation's id for its creation) as `after`.
 * The server handles such a frame only if the frame named was the last of that conversation it
 * handled on this connection and did not fail transiently; otherwise it does nothing and answers
 * out_of_order. So nothing can be stored ahead of an earlier frame that failed (and will be sent
 * again), whatever the network did to the frames meanwhile. A frame without `after` is handled as
 * ever: the client sends one only when every earlier frame of the conversation has been answered.
 */
const after = id.optional();

/**
 * What owner and admins (and, for leaving, anyone) change about who is in a group. Idempotent by
 * (sender, clientChangeId), like an envelope; the rules are in rules.ts. A group's name is content,
 * sealed: the server never reads it.
 */
export const groupChangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('add_members'), userIds: z.array(id).min(1).max(LIMITS.maxGroupMembers) }),
  z.object({ kind: z.literal('remove_member'), userId: id }),
  z.object({ kind: z.literal('leave') }),
  z.object({ kind: z.literal('set_role'), userId: id, role: z.enum(['admin', 'member']) }),
]);
export type GroupChange = z.infer<typeof groupChangeSchema>;
export const groupChangeFrame = z.object({
  type: z.literal('group_change'),
  rid,
  conversationId: id,
  clientChangeId: id,
  change: groupChangeSchema,
  after,
});

/**
 * Creates a conversation under an id the client chose, so it can be composed in offline.
 * Idempotent: asking again for a conversation that exists (the same group by its creator, or the
 * pair's direct conversation) answers it as it is now. A direct conversation's id must be
 * `directConversationId(you, userId)`; a group's must not look like one.
 */
export const newConversationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('direct'), userId: id }),
  z.object({
    kind: z.literal('group'),
    /** The other first members (the creator is added as owner). */
    memberIds: z.array(id).max(LIMITS.maxGroupMembers - 1),
  }),
]);
export type NewConversation = z.infer<typeof newConversationSchema>;
export const createConversationFrame = z.object({
  type: z.literal('create_conversation'),
  rid,
  conversationId: id,
  conversation: newConversationSchema,
  after,
});

/** Looks a user up by username (to start a conversation with, or add to a group). */
export const findUserFrame = z.object({
  type: z.literal('find_user'),
  rid,
  username: z.string().min(1).max(LIMITS.maxUsernameChars),
});

/**
 * Writes personal settings (merged last-writer-wins per register). Idempotent: writing a register
 * again, or one older than the stored one, changes nothing. Conversation settings need a
 * conversation the caller is or was in; `blocked` needs another existing user.
 */
export const setSettingsFrame = z.object({
  type: z.literal('set_settings'),
  rid,
  settings: z.array(settingRegisterSchema).min(1).max(LIMITS.maxSettingsPerFrame),
});
/** The caller's settings changed after `afterVersion` (0: all of them), oldest change first. */
export const listSettingsFrame = z.object({
  type: z.literal('list_settings'),
  rid,
  afterVersion: seq,
  limit: z.number().int().min(1).max(LIMITS.maxSettingsPerFrame).optional(),
});

/** "I am typing in this conversation": relayed to the other members, never stored. */
export const typingFrame = z.object({ type: z.literal('typing'), rid, conversationId: id });
export const catchUpFrame = z.object({
  type: z.literal('catch_up'),
  rid,
  conversationId: id,
  afterSeq: seq,
  limit: z.number().int().min(1).max(LIMITS.maxCatchUpPage).optional(),
  /** Send a large page as `events_part` frames before its `events` reply: small frames are cheaper to write and read. */
  inParts: z.boolean().optional(),
});
/**
 * A page of the caller's conversations, in id order: the first page without `after`, then each
 * next one after the `next` of the page before.
 */
export const listConversationsFrame = z.object({
  type: z.literal('list_conversations'),
  rid,
  after: id.optional(),
  limit: z.number().int().min(1).max(LIMITS.maxConversationsPage).optional(),
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
  groupChangeFrame,
  createConversationFrame,
  findUserFrame,
  typingFrame,
  catchUpFrame,
  listConversationsFrame,
  startConversationFrame,
  receiptFrame,
  setSettingsFrame,
  listSettingsFrame,
  pingFrame,
  ...keyClientFrames,
  ...inboxClientFrames,
  ...backupClientFrames,
  sendEnvelopeFrame,
  ...linkClientFrames,
  ...conversationDevicesClientFrames,
  ...callClientFrames,
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
  /**
   * Set when the requester may not see the events right after `afterSeq` (they joined later, or
   * were away from the group for a while): nothing up to this seq is theirs, and `events` go on
   * from after it. The client moves its cursor here.
   */
  skippedTo: seq.optional(),
  /** Everyone the events name (senders, people added or removed), so every name can be shown. */
  users: z.array(userSchema),
});
/**
 * The start of an `events` page asked for `inParts`: zero or more of these, in order, each with the
 * users its events name, then the `events` reply with the rest. Parts of a request that gets no
 * `events` reply (the connection dropped) are not a page: the client drops them.
 */
export const eventsPartReply = z.object({
  type: z.literal('events_part'),
  rid,
  conversationId: id,
  events: z.array(conversationEventSchema),
  users: z.array(userSchema),
});
export const conversationsReply = z.object({
  type: z.literal('conversations'),
  rid,
  conversations: z.array(conversationSchema).max(LIMITS.maxConversationsPage),
  /** Where the next page starts (its `after`); absent on the last page. */
  next: id.optional(),
});
export const conversationReply = z.object({
  type: z.literal('conversation'),
  rid,
  conversation: conversationSchema,
});
export const userReply = z.object({ type: z.literal('user'), rid, user: userSchema });
export const okReply = z.object({ type: z.literal('ok'), rid });
/**
 * The answer to set_settings (the registers as stored after the merge, each with its version) and
 * to list_settings (a page of changes; `hasMore` when more follow).
 */
export const settingsReply = z.object({
  type: z.literal('settings'),
  rid,
  settings: z.array(storedSettingSchema).max(LIMITS.maxSettingsPerFrame),
  hasMore: z.boolean(),
});
export const errorReply = z.object({
  type: z.literal('error'),
  /** Absent when the frame was too broken to read its rid. */
  rid: rid.optional(),
  code: errorCodeSchema,
  /** For a refusal of a well-formed request: exactly why (the client shows its own words for it). */
  reason: refusalReasonSchema.optional(),
  /** For developers and logs; people read the words the client has for `reason`. */
  message: z.string(),
  /**
   * With `rate_limited`: how long to wait, in ms, before sending the frame again (or any other
   * frame on this connection, when the limit is per connection).
   */
  retryAfterMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 60 * 60 * 1000)
    .optional(),
  /** With `conversation_devices_changed`: the conversation's devices now (conversation-devices.ts). */
  devices: conversationDevicesSchema.optional(),
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
/** Your settings changed on another of your devices (or were merged): the registers as stored now. */
export const settingsPush = z.object({ type: z.literal('settings_changed'), settings: z.array(storedSettingSchema).min(1) });
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
  /** The number the server gave this device (its session) among the user's: its Signal protocol address is (user id, this). */
  deviceNumber: z.number().int().min(1),
  serverTime: z.number().int(),
  /** This server's own limits, where they are lower than the protocol's. */
  limits: z.object({ maxFileBytes: z.number().int().min(1).max(ATTACHMENT_LIMITS.maxFileBytes) }),
});

export const serverFrameSchema = z.discriminatedUnion('type', [
  sentReply,
  eventsReply,
  eventsPartReply,
  conversationsReply,
  conversationReply,
  userReply,
  okReply,
  settingsReply,
  errorReply,
  eventPush,
  settingsPush,
  conversationPush,
  watermarkPush,
  welcomePush,
  typingPush,
  presencePush,
  ...keyServerFrames,
  ...inboxServerFrames,
  ...linkServerFrames,
  ...backupServerFrames,
  ...conversationDevicesServerFrames,
  ...callServerFrames,
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;
/** What the server sends unasked: every frame that answers no request (replies carry their request's rid). */
export type PushFrame = Exclude<ServerFrame, { rid: string } | { type: 'error' }>;
export type ErrorReply = z.infer<typeof errorReply>;

// ---------------------------------------------------------------------------------------------
// HTTP account endpoints
//   POST   /v1/accounts  {username, displayName, password, deviceName?} → 201 {token, user}
//   POST   /v1/sessions  {username, password, deviceName?}              → 200 {token, user}
// With `Authorization: Bearer <token>`:
//   GET    /v1/sessions                   → 200 {sessions: [...]}, the caller's current one marked
//   DELETE /v1/sessions/current           → 204, signs out: the token is revoked
//   DELETE /v1/sessions/others            → 200 {ended}, every session but the caller's
//   DELETE /v1/sessions/<id>              → 204, one session of the caller's
//   PUT    /v1/accounts/current/password  {currentPassword, newPassword} → 200 {ended}, and every other session ends
//   errors: 4xx {code, message, reason?}
// The WebSocket at /v1/sync requires `Authorization: Bearer <token>`; a missing, unknown, revoked or
// expired token is refused with HTTP 401 before the upgrade, and an open socket whose session ends
// is closed with SESSION_ENDED_CLOSE_CODE.

/** What the person calls the device a session was opened on ("Firefox on Linux", "Work laptop"). */
const deviceName = z.string().trim().min(1).max(LIMITS.maxDeviceNameChars);
export const createAccountRequest = z.object({
  username,
  displayName: newDisplayName,
  password,
  deviceName: deviceName.optional(),
});
export const logInRequest = z.object({
  username: z.string().min(1).max(LIMITS.maxUsernameChars),
  password: z.string().min(1).max(LIMITS.maxPasswordChars),
  deviceName: deviceName.optional(),
});
export const sessionResponse = z.object({ token: z.string().min(16), user: userSchema });
export const httpErrorResponse = z.object({ code: errorCodeSchema, message: z.string(), reason: refusalReasonSchema.optional() });
export type SessionResponse = z.infer<typeof sessionResponse>;

export const sessionInfoSchema = z.object({
  id,
  /** null when the device did not say (sessions from before devices were named). */
  deviceName: z.string().nullable(),
  createdAt: z.number().int(),
  lastUsedAt: z.number().int(),
  /** The session the request was made with. */
  current: z.boolean(),
});
export type SessionListItem = z.infer<typeof sessionInfoSchema>;
export const sessionListResponse = z.object({ sessions: z.array(sessionInfoSchema) });
export const endedSessionsResponse = z.object({ ended: z.number().int().nonnegative() });
export const changePasswordRequest = z.object({
  currentPassword: z.string().min(1).max(LIMITS.maxPasswordChars),
  newPassword: password,
});

/** The close code of a socket whose session was revoked or expired: sign in again (never reconnect with it). */
export const SESSION_ENDED_CLOSE_CODE = 4001;

export const SYNC_PATH = '/v1/sync';
export const ACCOUNTS_PATH = '/v1/accounts';
export const SESSIONS_PATH = '/v1/sessions';
export const CURRENT_SESSION_PATH = '/v1/sessions/current';
export const OTHER_SESSIONS_PATH = '/v1/sessions/others';
export const PASSWORD_PATH = '/v1/accounts/current/password';
export const HEALTH_PATH = '/v1/health';
/** 200 when the server can serve (store answers, schema current); 503 with `{ok: false, reason}` otherwise. */
export const READY_PATH = '/v1/ready';
/** Prometheus text exposition of the server's metrics (for the operator's scraper, not for clients). */
export const METRICS_PATH = '/metrics';
