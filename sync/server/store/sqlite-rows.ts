import { z } from 'zod';
import {
  groupCreatedEventSchema,
  groupRenamedEventSchema,
  memberLeftEventSchema,
  memberRemovedEventSchema,
  membersAddedEventSchema,
  messageEventSchema,
  pinEventSchema,
  roleChangedEventSchema,
  type Conversation,
  type ConversationEvent,
  type ConversationKind,
  type Member,
  type MembershipEvent,
  type MessageEvent,
  type Role,
  type User,
} from '../../protocol/frames.js';
import type { StoredUser } from './server-store.js';

/** Row shapes of the server database and their conversion to protocol types, in one place. */

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: number;
}
export interface ConversationRow {
  id: string;
  kind: ConversationKind;
  name: string | null;
  created_by: string;
  last_seq: number;
  created_at: number;
}
export interface MemberRow {
  conversation_id: string;
  id: string;
  username: string;
  display_name: string;
  role: Role;
  join_order: number;
  delivered_seq: number;
  read_seq: number;
}

/** One row of `events`: every kind in one table, unused columns NULL (text '' where it has none). */
export interface EventRow {
  conversation_id: string;
  seq: number;
  kind: string;
  sender_id: string;
  /** The clientMessageId or clientChangeId. */
  client_id: string;
  /** The message itself for kind 'message', the target otherwise. */
  message_id: string | null;
  text: string;
  sent_at: number;
  reply_to: string | null;
  deleted: number;
  emoji: string | null;
  reaction_on: number | null;
  /**
   * Membership events: their kind-specific fields as JSON (see MEMBERSHIP_PAYLOADS). Messages:
   * {"attachments":[...], "forwardedFrom"?: {"name"}, "linkPreview"?: {...}}, NULL when they carry
   * none of them (or were deleted). Pins: {"on": boolean}.
   */
  payload: string | null;
  /**
   * The member of a direct conversation this event is never served to (a block stood between the
   * pair when it was stored, or it changes a message hidden from them); NULL: served to everyone
   * who may read the log. Set once, at insert; lifting the block does not reveal it.
   */
  hidden_from: string | null;
}

export function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, displayName: row.display_name };
}

export function toStoredUser(row: UserRow): StoredUser {
  return { ...toUser(row), passwordHash: row.password_hash, createdAt: row.created_at };
}

export function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    deliveredSeq: row.delivered_seq,
    readSeq: row.read_seq,
  };
}

/** The conversation as a current member sees it. */
export function toConversation(row: ConversationRow, members: Member[]): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    members,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    isMember: true,
  };
}

/**
 * The conversation as a former member sees it: nothing of what happened after they left (not
 * even who is in it now, or its name), and the log only up to their removal.
 */
export function toFormerConversation(row: ConversationRow, lastVisibleSeq: number): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    name: null,
    members: [],
    lastSeq: lastVisibleSeq,
    createdAt: row.created_at,
    isMember: false,
  };
}

/**
 * Each membership event's own fields (all but the base fields kept in columns), checked against
 * the protocol's schema on the way out: a row that does not match is corrupt, never served.
 */
const MEMBERSHIP_PAYLOADS = {
  group_created: groupCreatedEventSchema.pick({ name: true, members: true }),
  members_added: membersAddedEventSchema.pick({ members: true }),
  member_removed: memberRemovedEventSchema.pick({ userId: true }),
  member_left: memberLeftEventSchema.pick({ newOwnerId: true }),
  group_renamed: groupRenamedEventSchema.pick({ name: true }),
  role_changed: roleChangedEventSchema.pick({ userId: true, role: true }),
} satisfies Record<MembershipEvent['kind'], z.ZodType>;

function membershipPayload(event: MembershipEvent): string {
  switch (event.kind) {
    case 'group_created':
      return JSON.stringify({ name: event.name, members: event.members });
    case 'members_added':
      return JSON.stringify({ members: event.members });
    case 'member_removed':
      return JSON.stringify({ userId: event.userId });
    case 'member_left':
      return JSON.stringify({ newOwnerId: event.newOwnerId });
    case 'group_renamed':
      return JSON.stringify({ name: event.name });
    case 'role_changed':
      return JSON.stringify({ userId: event.userId, role: event.role });
  }
}

/**
 * A message's own fields kept as JSON: its attachments, for a forward whom it was forwarded from,
 * and the sender's link preview; checked like the membership payloads. NULL when it has none of
 * them (and once deleted: the purge clears the column, so a preview goes with the text).
 */
const MESSAGE_PAYLOAD = messageEventSchema.pick({ attachments: true, forwardedFrom: true, linkPreview: true });

function messagePayload(event: MessageEvent): string | null {
  if (event.attachments.length === 0 && event.forwardedFrom === undefined && event.linkPreview === undefined) return null;
  return JSON.stringify({
    attachments: event.attachments,
    ...(event.forwardedFrom !== undefined ? { forwardedFrom: event.forwardedFrom } : {}),
    ...(event.linkPreview !== undefined ? { linkPreview: event.linkPreview } : {}),
  });
}

/** A pin's own field: whether it pins or unpins. */
const PIN_PAYLOAD = pinEventSchema.pick({ on: true });

function parsePayload<K extends MembershipEvent['kind']>(row: EventRow, kind: K): z.infer<(typeof MEMBERSHIP_PAYLOADS)[K]> {
  return parseJson(row, required(row, row.payload, 'payload'), MEMBERSHIP_PAYLOADS[kind], kind) as z.infer<
    (typeof MEMBERSHIP_PAYLOADS)[K]
  >;
}

function parseJson<S extends z.ZodType>(row: EventRow, text: string, schema: S, kind: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) throw corrupt(row, 'payload is not JSON');
    throw error;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw corrupt(row, `payload does not match ${kind}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function toEvent(row: EventRow): ConversationEvent {
  const base = { conversationId: row.conversation_id, seq: row.seq, senderId: row.sender_id, sentAt: row.sent_at };
  switch (row.kind) {
    case 'message': {
      const payload = row.payload === null ? null : parseJson(row, row.payload, MESSAGE_PAYLOAD, 'message');
      return {
        kind: 'message',
        ...base,
        clientMessageId: row.client_id,
        text: row.text,
        replyTo: row.reply_to,
        deleted: row.deleted === 1,
        attachments: payload?.attachments ?? [],
        ...(payload?.forwardedFrom !== undefined ? { forwardedFrom: payload.forwardedFrom } : {}),
        ...(payload?.linkPreview !== undefined ? { linkPreview: payload.linkPreview } : {}),
      };
    }
    case 'edit':
      return { kind: 'edit', ...base, clientChangeId: row.client_id, messageId: target(row), text: row.text };
    case 'delete':
      return { kind: 'delete', ...base, clientChangeId: row.client_id, messageId: target(row) };
    case 'reaction':
      return {
        kind: 'reaction',
        ...base,
        clientChangeId: row.client_id,
        messageId: target(row),
        emoji: required(row, row.emoji, 'emoji'),
        on: required(row, row.reaction_on, 'reaction_on') === 1,
      };
    case 'pin': {
      const { on } = parseJson(row, required(row, row.payload, 'payload'), PIN_PAYLOAD, 'pin');
      return { kind: 'pin', ...base, clientChangeId: row.client_id, messageId: target(row), on };
    }
    case 'group_created':
      return { kind: 'group_created', ...base, ...parsePayload(row, 'group_created') };
    case 'members_added':
      return { kind: 'members_added', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'members_added') };
    case 'member_removed':
      return { kind: 'member_removed', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'member_removed') };
    case 'member_left':
      return { kind: 'member_left', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'member_left') };
    case 'group_renamed':
      return { kind: 'group_renamed', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'group_renamed') };
    case 'role_changed':
      return { kind: 'role_changed', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'role_changed') };
    default:
      throw corrupt(row, `unknown kind "${row.kind}"`);
  }
}

/** The columns to insert for a freshly made event. */
export function toEventRow(event: ConversationEvent): EventRow {
  const row: EventRow = {
    conversation_id: event.conversationId,
    seq: event.seq,
    kind: event.kind,
    sender_id: event.senderId,
    client_id: '',
    message_id: null,
    text: '',
    sent_at: event.sentAt,
    reply_to: null,
    deleted: 0,
    emoji: null,
    reaction_on: null,
    payload: null,
    hidden_from: null,
  };
  switch (event.kind) {
    case 'message':
      return {
        ...row,
        client_id: event.clientMessageId,
        message_id: event.clientMessageId,
        text: event.text,
        reply_to: event.replyTo,
        deleted: event.deleted ? 1 : 0,
        payload: messagePayload(event),
      };
    case 'edit':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId, text: event.text };
    case 'delete':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId };
    case 'reaction':
      return {
        ...row,
        client_id: event.clientChangeId,
        message_id: event.messageId,
        emoji: event.emoji,
        reaction_on: event.on ? 1 : 0,
      };
    case 'pin':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId, payload: JSON.stringify({ on: event.on }) };
    // The creation is idempotent by the conversation's id, which stands in as its client id.
    case 'group_created':
      return { ...row, client_id: event.conversationId, payload: membershipPayload(event) };
    case 'members_added':
    case 'member_removed':
    case 'member_left':
    case 'group_renamed':
    case 'role_changed':
      return { ...row, client_id: event.clientChangeId, payload: membershipPayload(event) };
  }
}

function target(row: EventRow): string {
  return required(row, row.message_id, 'message_id');
}

function required<T>(row: EventRow, value: T | null, column: string): T {
  if (value === null) throw corrupt(row, `${column} is NULL`);
  return value;
}

/** A row no version of this server writes: fail loudly rather than serve a wrong event. */
function corrupt(row: EventRow, what: string): Error {
  return new Error(`Corrupt event ${row.conversation_id}#${row.seq}: ${what}`);
}
