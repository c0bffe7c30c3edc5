import { z } from 'zod';
import { envelopeEventSchema, type EnvelopeEvent } from '../../protocol/envelope-frames.js';
import {
  groupCreatedEventSchema,
  memberLeftEventSchema,
  memberRemovedEventSchema,
  membersAddedEventSchema,
  roleChangedEventSchema,
  type Conversation,
  type ConversationEvent,
  type ConversationKind,
  type Member,
  type MembershipEvent,
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
/** A conversation's columns as the stores read them (conversations.name is not read: see toConversation). */
export interface ConversationRow {
  id: string;
  kind: ConversationKind;
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
 * One row of `events` as the store read it: every kind in one table, unused columns NULL, booleans
 * as booleans and `payload` as parsed JSON. The columns only the kinds of PLAINTEXT_EVENT_KINDS
 * used (text, reply_to, emoji, reaction_on) are not read; an event stored now has text ''.
 */
export interface EventRecord {
  conversation_id: string;
  seq: number;
  kind: string;
  sender_id: string;
  /** The envelope's clientId or the group change's clientChangeId (a group's creation: the conversation's id). */
  client_id: string;
  /** An envelope's client id again (a delete finds its target by it); NULL for every other kind. */
  message_id: string | null;
  sent_at: number;
  /** An envelope deleted for everyone. */
  deleted: boolean;
  /**
   * Membership events: their kind-specific fields (see MEMBERSHIP_PAYLOADS). Envelopes:
   * {"attachments"?: [upload ids], "senderRole"?: role}, null when neither (or deleted).
   */
  payload: unknown;
  /** An envelope's: the sending device's number; NULL for every other kind. */
  sender_device: number | null;
  /** An envelope's sealed content as it came, never read here ('' once deleted); NULL for every other kind. */
  ciphertext: string | null;
  /** An envelope's disappearing-message timer, kept after it is purged (it tells it expired); NULL: none, or another kind. */
  expires_in_ms: number | null;
  /**
   * The member of a direct conversation this event is never served to (a block stood between the
   * pair when it was stored); null: served to everyone who may read the log. Set once, at insert;
   * lifting the block does not reveal it.
   */
  hidden_from: string | null;
}

/**
 * The kinds of event clients sent in the clear before end-to-end encryption (what they say is
 * sealed in envelopes now). A server upgraded from before may hold them until purge-plaintext
 * deletes them, and does not start meanwhile (plaintext.ts); no store serves one.
 */
export const PLAINTEXT_EVENT_KINDS = ['message', 'edit', 'delete', 'reaction', 'pin', 'group_renamed'] as const;

export function toUser(row: Pick<UserRow, 'id' | 'username' | 'display_name'>): User {
  return { id: row.id, username: row.username, displayName: row.display_name };
}

/** A session with its user's columns, as both stores read it to use a token (shared-sql.ts: sessionUseSql). */
export interface SessionUseRow extends Pick<UserRow, 'id' | 'username' | 'display_name'> {
  session_id: string;
  device_number: number;
  last_used_at: number;
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
 * The conversation as a current member sees it. Never with a name: a group's name is sealed
 * content, which members' devices keep (a name held from before is purge-plaintext's to delete).
 */
export function toConversation(row: MemberConversationRow, members: Member[]): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    name: null,
    members,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    isMember: true,
    ...(row.request_from !== null ? { requestFrom: row.request_from } : {}),
  };
}

/**
 * The conversation as a former member sees it: nothing of what happened after they left (not
 * even who is in it now), and the log only up to their removal.
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
    case 'role_changed':
      return { userId: event.userId, role: event.role };
  }
}

/**
 * An envelope's upload ids and its sender's attested role, kept as JSON and checked like the
 * membership payloads (either may be absent: no files, or stored before roles were attested).
 */
const ENVELOPE_PAYLOAD = envelopeEventSchema.pick({ attachments: true, senderRole: true }).partial();

function envelopePayload(event: EnvelopeEvent): object | null {
  const payload = {
    ...(event.attachments.length > 0 ? { attachments: event.attachments } : {}),
    ...(event.senderRole ? { senderRole: event.senderRole } : {}),
  };
  return Object.keys(payload).length === 0 ? null : payload;
}

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
    case 'group_created':
      return { kind: 'group_created', ...base, ...parsePayload(row, 'group_created') };
    case 'members_added':
      return { kind: 'members_added', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'members_added') };
    case 'member_removed':
      return { kind: 'member_removed', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'member_removed') };
    case 'member_left':
      return { kind: 'member_left', ...base, clientChangeId: row.client_id, ...parsePayload(row, 'member_left') };
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
        ...(row.expires_in_ms !== null ? { expiresInMs: row.expires_in_ms } : {}),
      };
    }
    default:
      if ((PLAINTEXT_EVENT_KINDS as readonly string[]).includes(row.kind)) throw plaintextEvent(row);
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
    sent_at: event.sentAt,
    deleted: false,
    payload: null,
    hidden_from: null,
    sender_device: null,
    ciphertext: null,
    expires_in_ms: null,
  };
  switch (event.kind) {
    // The creation is idempotent by the conversation's id, which stands in as its client id.
    case 'group_created':
      return { ...row, client_id: event.conversationId, payload: membershipPayload(event) };
    case 'members_added':
    case 'member_removed':
    case 'member_left':
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
        expires_in_ms: event.expiresInMs ?? null,
      };
  }
}

function required<T>(row: EventRecord, value: T | null, column: string): T {
  if (value === null) throw corruptEvent(row, `${column} is NULL`);
  return value;
}

/**
 * An event kept in the clear from before end-to-end encryption: the server refuses to start while
 * it holds any (plaintext.ts), so meeting one means it is read by something that did not check.
 */
function plaintextEvent(row: Pick<EventRecord, 'conversation_id' | 'seq' | 'kind'>): Error {
  return new Error(
    `Event ${row.conversation_id}#${row.seq} is a ${row.kind} kept in the clear from before end-to-end encryption, ` +
      'which this server does not serve: run "npm run server -- purge-plaintext" to delete what is held so',
  );
}

/** A row no version of this server writes: fail loudly rather than serve a wrong event. */
export function corruptEvent(row: Pick<EventRecord, 'conversation_id' | 'seq'>, what: string): Error {
  return new Error(`Corrupt event ${row.conversation_id}#${row.seq}: ${what}`);
}
