import { z } from 'zod';
import { envelopeEventSchema, type EnvelopeEvent } from '../../protocol/envelope-frames.js';
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
import type { StoredUpload, StoredUser } from './server-store.js';

/**
 * Row shapes of the server database and their conversion to protocol types, for every store: the
 * tables and their columns are the same in SQLite and PostgreSQL. Where the two databases hand a
 * column back differently (booleans, JSON), the store turns its row into an `EventRecord` first.
 */

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
/** A conversation as one member sees it (shared-sql.ts): who it is a message request from, while it is one. */
export interface MemberConversationRow extends ConversationRow {
  request_from: string | null;
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

export interface UploadRow {
  id: string;
  owner_id: string;
  sha256: string;
  size: number;
  created_at: number;
  completed_at: number | null;
}

/**
 * One row of `events` as the store read it: every kind in one table, unused columns NULL (text ''
 * where it has none), booleans as booleans and `payload` as parsed JSON.
 */
export interface EventRecord {
  conversation_id: string;
  seq: number;
  kind: string;
  sender_id: string;
  /** The clientMessageId or clientChangeId. */
  client_id: string;
  /** The message itself for kind 'message' (an envelope's client id for kind 'envelope'), the target otherwise. */
  message_id: string | null;
  text: string;
  sent_at: number;
  reply_to: string | null;
  deleted: boolean;
  emoji: string | null;
  reaction_on: boolean | null;
  /**
   * Membership events: their kind-specific fields (see MEMBERSHIP_PAYLOADS). Messages:
   * {"attachments":[...], "forwardedFrom"?: {"name"}, "linkPreview"?: {...}}, null when they carry
   * none of them (or were deleted). Pins: {"on": boolean}. Envelopes: {"attachments": [upload ids]},
   * null when none (or deleted).
   */
  payload: unknown;
  /** An envelope's: the sending device's number; NULL for every other kind. */
  sender_device: number | null;
  /** An envelope's sealed content as it came, never read here ('' once deleted); NULL for every other kind. */
  ciphertext: string | null;
  /**
   * The member of a direct conversation this event is never served to (a block stood between the
   * pair when it was stored, or it changes a message hidden from them); null: served to everyone
   * who may read the log. Set once, at insert; lifting the block does not reveal it.
   */
  hidden_from: string | null;
}

export function toUser(row: Pick<UserRow, 'id' | 'username' | 'display_name'>): User {
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

export function toStoredUpload(row: UploadRow): StoredUpload {
  return {
    id: row.id,
    ownerId: row.owner_id,
    sha256: row.sha256,
    size: row.size,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

/**
 * What the server stores as the name of a group whose name it was never told (it goes sealed, as
 * content): the schema wants a name for every group (a CHECK since migration 3), and no name a
 * person gives is empty (groupName trims to at least one character). Served as null.
 */
export const UNKNOWN_GROUP_NAME = '';

/** The conversation as a current member sees it. */
export function toConversation(row: MemberConversationRow, members: Member[]): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name === UNKNOWN_GROUP_NAME ? null : row.name,
    members,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    isMember: true,
    ...(row.request_from !== null ? { requestFrom: row.request_from } : {}),
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

function membershipPayload(event: MembershipEvent): object {
  switch (event.kind) {
    case 'group_created':
      return { name: event.name, members: event.members };
    case 'members_added':
      return { members: event.members };
    case 'member_removed':
      return { userId: event.userId };
    case 'member_left':
      return { newOwnerId: event.newOwnerId };
    case 'group_renamed':
      return { name: event.name };
    case 'role_changed':
      return { userId: event.userId, role: event.role };
  }
}

/**
 * A message's own fields kept as JSON: its attachments, for a forward whom it was forwarded from,
 * and the sender's link preview; checked like the membership payloads. NULL when it has none of
 * them (and once deleted: the purge clears the column, so a preview goes with the text).
 */
const MESSAGE_PAYLOAD = messageEventSchema.pick({ attachments: true, forwardedFrom: true, linkPreview: true });

function messagePayload(event: MessageEvent): object | null {
  if (event.attachments.length === 0 && event.forwardedFrom === undefined && event.linkPreview === undefined) return null;
  return {
    attachments: event.attachments,
    ...(event.forwardedFrom !== undefined ? { forwardedFrom: event.forwardedFrom } : {}),
    ...(event.linkPreview !== undefined ? { linkPreview: event.linkPreview } : {}),
  };
}

/**
 * An envelope's upload ids and its sender's attested role, kept as JSON like a message's
 * attachments (either may be absent: no files, or stored before roles were attested).
 */
const ENVELOPE_PAYLOAD = envelopeEventSchema.pick({ attachments: true, senderRole: true }).partial();

function envelopePayload(event: EnvelopeEvent): object | null {
  const payload = {
    ...(event.attachments.length > 0 ? { attachments: event.attachments } : {}),
    ...(event.senderRole ? { senderRole: event.senderRole } : {}),
  };
  return Object.keys(payload).length === 0 ? null : payload;
}

/** A pin's own field: whether it pins or unpins. */
const PIN_PAYLOAD = pinEventSchema.pick({ on: true });

function parsePayload<K extends MembershipEvent['kind']>(row: EventRecord, kind: K): z.infer<(typeof MEMBERSHIP_PAYLOADS)[K]> {
  return checkPayload(row, required(row, row.payload, 'payload'), MEMBERSHIP_PAYLOADS[kind], kind) as z.infer<
    (typeof MEMBERSHIP_PAYLOADS)[K]
  >;
}

function checkPayload<S extends z.ZodType>(row: EventRecord, json: unknown, schema: S, kind: string): z.infer<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw corruptEvent(row, `payload does not match ${kind}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function toEvent(row: EventRecord): ConversationEvent {
  const base = { conversationId: row.conversation_id, seq: row.seq, senderId: row.sender_id, sentAt: row.sent_at };
  switch (row.kind) {
    case 'message': {
      const payload = row.payload === null ? null : checkPayload(row, row.payload, MESSAGE_PAYLOAD, 'message');
      return {
        kind: 'message',
        ...base,
        clientMessageId: row.client_id,
        text: row.text,
        replyTo: row.reply_to,
        deleted: row.deleted,
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
        on: required(row, row.reaction_on, 'reaction_on'),
      };
    case 'pin': {
      const { on } = checkPayload(row, required(row, row.payload, 'payload'), PIN_PAYLOAD, 'pin');
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
    case 'envelope': {
      const payload = row.payload === null ? null : checkPayload(row, row.payload, ENVELOPE_PAYLOAD, 'envelope');
      return {
        kind: 'envelope',
        ...base,
        senderDevice: required(row, row.sender_device, 'sender_device'),
        clientId: row.client_id,
        ciphertext: required(row, row.ciphertext, 'ciphertext'),
        attachments: payload?.attachments ?? [],
        deleted: row.deleted,
        ...(payload?.senderRole ? { senderRole: payload.senderRole } : {}),
      };
    }
    default:
      throw corruptEvent(row, `unknown kind "${row.kind}"`);
  }
}

/** The columns to insert for a freshly made event (hidden_from is the store's to decide). */
export function toEventRecord(event: ConversationEvent): EventRecord {
  const row: EventRecord = {
    conversation_id: event.conversationId,
    seq: event.seq,
    kind: event.kind,
    sender_id: event.senderId,
    client_id: '',
    message_id: null,
    text: '',
    sent_at: event.sentAt,
    reply_to: null,
    deleted: false,
    emoji: null,
    reaction_on: null,
    payload: null,
    hidden_from: null,
    sender_device: null,
    ciphertext: null,
  };
  switch (event.kind) {
    case 'message':
      return {
        ...row,
        client_id: event.clientMessageId,
        message_id: event.clientMessageId,
        text: event.text,
        reply_to: event.replyTo,
        deleted: event.deleted,
        payload: messagePayload(event),
      };
    case 'edit':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId, text: event.text };
    case 'delete':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId };
    case 'reaction':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId, emoji: event.emoji, reaction_on: event.on };
    case 'pin':
      return { ...row, client_id: event.clientChangeId, message_id: event.messageId, payload: { on: event.on } };
    // The creation is idempotent by the conversation's id, which stands in as its client id.
    case 'group_created':
      return { ...row, client_id: event.conversationId, payload: membershipPayload(event) };
    case 'members_added':
    case 'member_removed':
    case 'member_left':
    case 'group_renamed':
    case 'role_changed':
      return { ...row, client_id: event.clientChangeId, payload: membershipPayload(event) };
    // message_id: the client id again, so a delete finds its target in the conversation by the message index.
    case 'envelope':
      return {
        ...row,
        client_id: event.clientId,
        message_id: event.clientId,
        deleted: event.deleted,
        payload: envelopePayload(event),
        sender_device: event.senderDevice,
        ciphertext: event.ciphertext,
      };
  }
}

function target(row: EventRecord): string {
  return required(row, row.message_id, 'message_id');
}

function required<T>(row: EventRecord, value: T | null, column: string): T {
  if (value === null) throw corruptEvent(row, `${column} is NULL`);
  return value;
}

/** A row no version of this server writes: fail loudly rather than serve a wrong event. */
export function corruptEvent(row: Pick<EventRecord, 'conversation_id' | 'seq'>, what: string): Error {
  return new Error(`Corrupt event ${row.conversation_id}#${row.seq}: ${what}`);
}
