import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import type { ConversationDevices } from '../../protocol/conversation-devices.js';
import type {
  Conversation,
  ConversationEvent,
  GroupChange,
  GroupChangeEvent,
  GroupCreatedEvent,
  NewConversation,
  SettingRegister,
  StoredSetting,
  User,
} from '../../protocol/frames.js';
import type { RefusalReason } from '../../protocol/refusal-reasons.js';
import type { DeviceInboxStore } from './device-inbox.js';
import type { KeyDirectoryStore } from './key-directory.js';
import type { KeyBackupStore } from './key-backup.js';

/**
 * Everything the sync server keeps. Methods are async even though the SQLite implementation is
 * synchronous underneath, so a networked database (PostgreSQL) can implement the same interface.
 *
 * Rules every implementation must keep (the SQLite one documents how it does):
 * - sequence numbers are assigned in the transaction that stores the event: no reuse, and no gaps
 *   but those purge-plaintext leaves where it deleted what was kept in the clear (a page of the log
 *   ends before a gap, event-visibility.ts: cutPage);
 * - client ids (an envelope's clientId, a group change's clientChangeId) share one namespace per
 *   sender: (senderId, id) is unique, and a resend returns the original event as it is now and
 *   stores nothing;
 * - a group change is judged by `refuseGroupChange` (protocol/rules.ts) against the state in the
 *   same transaction that stores it;
 * - an envelope (envelope-frames.ts) is never read; its membership, its client id, blocks and the
 *   sender's first word there are checked and recorded in the transaction that stores it, and one
 *   that deletes another empties that one's ciphertext and drops its upload ids and references
 *   (so its files can no longer be downloaded) in the same transaction;
 * - watermarks only move forward, never past the conversation's lastSeq, and read implies delivered;
 * - nothing may rest on there being one writer at a time: two creations of one conversation (or of
 *   one pair's direct conversation) are told apart by unique keys (insert-or-nothing, then read),
 *   never by a look-up before the insert; members are ordered by an explicit join order;
 * - a member reads the log only within their visibility periods: from the event that added them
 *   to the one that removed them; everyone else is answered as if the conversation did not exist;
 * - blocks (the 'blocked' settings, settings.ts: blockedBetween): while a block stands between the
 *   two people of a direct conversation, every event either stores there is hidden from the other
 *   for good (never pushed, never served in catch-up, never a target of their deletes or a way to
 *   their downloads), decided in the transaction that stores it. A direct conversation made while
 *   a block stands is not listed for the other person until it is lifted (or they start it
 *   themselves), and while it stands each is shown the other's watermarks there as they were when
 *   it began. In a group, every envelope stored by someone a member has blocked is hidden from that
 *   member for good (hidden_events), decided in the same transaction. Membership and role changes
 *   are never hidden. While the block stands the blocked person is shown the blocker's watermarks
 *   in the groups they share as they were when it began (group_block_watermarks; 0 where they came
 *   to share one since) and told of no move. Contacts (presence) leave out everyone with a block
 *   between them and the user;
 * - presence privacy (presence-rules.ts): a member's first envelope since they joined is recorded
 *   (members.first_message_seq) in the transaction that stores it, and "Show when I'm online" in the
 *   transaction that writes its register: listContacts is decided on both;
 * - message requests (request-rules.ts): a membership made by someone who is not the member's
 *   contact then (the other person of a direct conversation they did not start; whoever added them
 *   to a group) records who (members.request_from), shown to the member as requestFrom until they
 *   write there. An add by anyone else of someone who lets only contacts add them ('group_adds') is
 *   refused (cannot_add_to_groups). Both are decided in the transaction that makes the membership,
 *   on tables kept with the registers (accepted_requests, group_adds_restricted);
 * - the server never holds a group's name (it is sealed content): a group's name is null.
 *
 * Isolation: each method is one transaction that must see a consistent snapshot and serialise
 * with every other writer of the same conversation (SQLite: BEGIN IMMEDIATE; a networked store:
 * a row lock on the conversation, or SERIALIZABLE). The upload methods add their own needs below.
 */
/** What one person may create in any hour (cap-rules.ts applies them). */
export interface CreationCaps {
  conversationsPerHour: number;
  membersAddedPerHour: number;
}

/**
 * What one person's sealed settings registers may hold at once (settings-rules.ts applies it):
 * how many registers, and the characters of their keys and values together (all ASCII: bytes).
 */
export interface SettingsBudget {
  sealedSettings: number;
  sealedSettingsBytes: number;
}

export interface NewSession {
  id: string;
  tokenHash: string;
  userId: string;
  deviceName: string | null;
  createdAt: number;
}

export interface StoredSession {
  id: string;
  userId: string;
  /** The device's number among its user's (from 1, never given twice): Signal's device id. */
  deviceNumber: number;
  deviceName: string | null;
  createdAt: number;
  lastUsedAt: number;
}

/** The token hashes of sessions to use, and the times useSession takes. */
export interface SessionsUse {
  tokenHashes: readonly string[];
  now: number;
  expiredBefore: number;
  touchBefore: number;
}

/** What a token opens: whose it is and which of their sessions. */
export interface SessionUse {
  user: User;
  sessionId: string;
  /** The session's device number (StoredSession.deviceNumber). */
  deviceNumber: number;
}

export interface ServerStore {
  /** Returns `username_taken` rather than throwing: two sign-ups may race for the same name. */
  createUser(input: NewUser): Promise<{ status: 'created'; user: User } | { status: 'username_taken' }>;
  findUserByUsername(username: string): Promise<StoredUser | null>;

  /** The key directory (key-directory.ts): on the same database, so a session's end deletes its device's keys with it. */
  readonly keyDirectory: KeyDirectoryStore;
  /** The device inbox (device-inbox.ts): on the same database, so a session's end deletes its envelopes with it. */
  readonly deviceInbox: DeviceInboxStore;
  /** The key backup (key-backup.ts): one sealed backup per account, gone with it. */
  readonly keyBackup: KeyBackupStore;

  /**
   * Opens a session (only a hash of its token is ever handed to the store), unless the user has
   * `maxDevices` sessions last used at or after `expiredBefore` already; their expired ones are
   * deleted first. Counting and inserting serialise per user: two sign-ins racing for the last
   * place cannot both get it. The session takes the lowest device number none of the user's sessions
   * holds (freeDeviceNumberSql), in the same transaction, so two sessions never hold one number.
   */
  createSession(input: NewSession & { maxDevices: number; expiredBefore: number }): Promise<'created' | 'too_many_devices'>;
  /**
   * The user and session a token hash opens, or null: also when its last use was before
   * `expiredBefore` (the expired session is deleted). A last use before `touchBefore` becomes `now`.
   */
  useSession(input: { tokenHash: string; now: number; expiredBefore: number; touchBefore: number }): Promise<SessionUse | null>;
  /**
   * useSession for many token hashes in one go (the periodic recheck of a node's sockets): the
   * hashes whose sessions are still open, each used as useSession would (an expired one deleted, a
   * last use before `touchBefore` becoming `now`).
   */
  useSessions(input: SessionsUse): Promise<Set<string>>;
  /** The user's sessions last used at or after `expiredBefore`, most recently used first. */
  listSessions(userId: string, expiredBefore: number): Promise<StoredSession[]>;
  /** Ends sessions of `userId` (never anyone else's): those `ids` name, or every one but `except`. Returns the ids ended. */
  endSessions(input: { userId: string } & ({ ids: readonly string[] } | { except: string })): Promise<string[]>;
  /** Sets the user's password hash and ends every session but `keepSessionId`, in one transaction; returns the ids ended. */
  changePassword(input: { userId: string; passwordHash: string; keepSessionId: string }): Promise<string[]>;

  /**
   * A new conversation under the id the client chose. Asking again for one that exists (the pair's
   * direct conversation, or a group by its creator) answers `existing`, so creation is idempotent.
   */
  createConversation(input: NewConversationInput): Promise<CreateResult>;
  /** null both when the conversation does not exist and when `userId` is not a member now. */
  getConversationForMember(conversationId: string, userId: string): Promise<Conversation | null>;
  /**
   * The conversation as `userId` sees it now: as a member, or as a former member of a group they
   * left (what listConversationsOf shows of it); null when they never were in it.
   */
  getConversationSeenBy(conversationId: string, userId: string): Promise<Conversation | null>;
  /**
   * One page, in id order, of the conversations `userId` is in and those they were in (as former
   * members see them); not a direct conversation kept from them while a block stands (see blocks
   * above). A page reads only its own conversations' members.
   */
  listConversationsOf(userId: string, page: ConversationPageRequest): Promise<ConversationPage>;
  /** Adds, removes, leaves or changes a role in a group. */
  appendGroupChange(input: NewGroupChange): Promise<GroupChangeResult>;

  /** A sealed envelope (envelope-frames.ts); one that deletes another drops that one's ciphertext and references in the same transaction. */
  appendEnvelope(input: NewEnvelope): Promise<EnvelopeResult>;
  /**
   * One pass over the live envelopes with a timer (NewEnvelope.expiresInMs), in one transaction,
   * stamping and purging at most `limit` each: first each that every current member but its sender
   * has read (read_seq at or past it) is stamped read at `now`; then each whose timer has run since
   * that stamp, or since it was stored plus DISAPPEARING_LIMITS.unreadGraceMs (a member may never
   * read it), is purged as a delete for everyone purges one: ciphertext '', deleted, references to
   * its uploads gone. The stamp comes no earlier than the reads, so no envelope goes before a
   * member's device would drop it. Idempotent, and safe while other nodes run it (PostgreSQL: rows
   * another pass holds are skipped, and each row is purged once).
   */
  purgeExpiredEnvelopes(now: number, limit: number): Promise<ExpiryPass>;
  /** The conversation's devices version and its members' devices with keys; null when `userId` is not a member. */
  conversationDevices(conversationId: string, userId: string): Promise<ConversationDevices | null>;
  /** null when `userId` was never a member (or the conversation does not exist). */
  readEvents(input: { conversationId: string; userId: string; afterSeq: number; limit: number }): Promise<EventPage | null>;
  /**
   * For each request, in order: the event at `seq` as readEvents would serve it to `userId` (within
   * one of their periods, not hidden from them), or null when it would not (or there is no such
   * event). A node reads back the events other nodes stored with it: one row each, not a page, and
   * those it is told of together in one read.
   */
  readEventsAt(requests: readonly EventAt[]): Promise<Array<ConversationEvent | null>>;

  /** null when the conversation does not exist or `userId` is not a member. */
  raiseWatermark(input: {
    conversationId: string;
    userId: string;
    kind: 'delivered' | 'read';
    seq: number;
  }): Promise<WatermarkResult | null>;

  /** Who stored the events of a conversation after `afterSeq` up to `uptoSeq` (each once): whose messages a watermark passing them changes. */
  authorsBetween(conversationId: string, afterSeq: number, uptoSeq: number): Promise<string[]>;

  /**
   * Records a new upload (before its bytes arrive). Refused with `quota_exceeded` when the owner's
   * kept uploads (complete or not) would then pass `quotaBytes`. Isolation: the sum and the insert
   * must serialise with the owner's other creations (SQLite: BEGIN IMMEDIATE; a networked store: a
   * lock on the owner's row), or two racing uploads could both fit a quota only one of them fits.
   */
  createUpload(input: NewUpload): Promise<CreateUploadResult>;
  getUpload(id: string): Promise<StoredUpload | null>;
  /** Marks the upload's bytes as all there and verified; only then can an envelope refer to it. */
  completeUpload(id: string, at: number): Promise<void>;
  /**
   * Forgets an upload that no event refers to; false (nothing changed) when one does, or when
   * there is no such upload. Isolation: the reference check and the delete in one transaction, so a
   * send that refers to it either lands first (and the upload stays) or finds it gone.
   */
  deleteUpload(id: string): Promise<boolean>;
  /**
   * The upload, when `userId` may download it: they are a member of a conversation now, and an
   * event there that refers to it lies within one of their visibility periods (as for reading
   * the log). A former member keeps the files they downloaded while a member, and gets no more.
   * The account's own upload that no event refers to is theirs too: a linking device's history
   * export, downloaded by the account's new device. null otherwise, also when it does not exist: a stranger must not learn which ids are real.
   */
  findDownloadable(userId: string, attachmentId: string): Promise<DownloadableUpload | null>;
  /** Uploads created before `before` that no event refers to (now): what garbage collection removes. */
  listExpiredUploads(before: number): Promise<string[]>;

  /**
   * Merges personal settings, last writer wins per register (settings.ts: supersedes). Each
   * register that wins takes the next number of the user's version counter, moved in the same
   * transaction (an UPDATE ... RETURNING, never read-then-write). Refused, storing nothing, when a
   * conversation setting names a conversation the user was never in (`conversation_not_found`) or
   * a block names nobody (`no_such_user`) or the user (`cannot_block_yourself`), or when the
   * user's sealed registers would then pass `budget` (`settings_full`, settings-rules.ts). The
   * user's sealed registers are counted as they are written: a running count and size on the user's
   * row, moved by the difference each write makes in the same transaction (never summed anew). A
   * block that begins or is lifted changes what the pair are served from then on (see blocks above).
   * Isolation: serialise with the user's other settings writes (SQLite: BEGIN IMMEDIATE; a
   * networked store: a lock on the user's row before the registers and the totals are read).
   */
  setSettings(userId: string, registers: readonly SettingRegister[], budget: SettingsBudget): Promise<SetSettingsResult>;
  /** The user's registers changed after `afterVersion`, oldest first. */
  listSettings(userId: string, afterVersion: number, limit: number): Promise<SettingsPage>;
  /** Everyone with a block between them and `userId`, whoever made it: presence and typing skip them. */
  listBlockedWith(userId: string): Promise<string[]>;

  /**
   * The people `userId` shares presence with (presence-rules.ts: sharesPresence: a conversation in
   * which both have written, no block, both show when they are online), each with when they were
   * last connected. The relation is symmetric.
   */
  listContacts(userId: string): Promise<Contact[]>;
  /** The current members of the conversation who have written there since they joined (typing is relayed among them). */
  listWriters(conversationId: string): Promise<string[]>;
  /** When the user's last connection closed; null when never (or unknown user). */
  getLastSeen(userId: string): Promise<number | null>;
  recordLastSeen(input: { userId: string; at: number }): Promise<void>;

  /**
   * Whether the store can serve right now: it answers a trivial query and its schema is at the
   * latest migration. Never throws; a closed or unreachable store answers `ok: false`. Backs
   * GET /v1/ready.
   */
  ready(): Promise<StoreReadiness>;

  /**
   * What the store holds in the clear from before end-to-end encryption, served to no one
   * (plaintext.ts): the server does not start while any is held.
   */
  plaintextHeld(): Promise<PlaintextHeld>;
  /**
   * Deletes all of it (`purge-plaintext`, asked for by the operator), in one transaction: the
   * events of the kinds clients no longer send, with their references to uploads and the rows that
   * hide them from blocked members, and every group name (conversations and their creation events
   * then name none). Their sequence numbers are not reused: the log has gaps there. What it deleted.
   */
  purgePlaintext(): Promise<PlaintextHeld>;

  close(): Promise<void>;
}

/** Counts of what is held in the clear, by what it is. */
export interface PlaintextHeld {
  /** Archive, mute and draft registers, which clients now send only sealed (set aside by SQLite 16, PostgreSQL 13). */
  settings: number;
  /**
   * Events of the kinds clients sent before they sealed what they say (PLAINTEXT_EVENT_KINDS in
   * store-rows.ts: messages, edits, deletes, reactions, pins, renames).
   */
  events: number;
  /** Groups whose name is held (in the conversation's row or its creation event): names are sealed content now. */
  groupNames: number;
}

export type StoreReadiness = { ok: true } | { ok: false; reason: string };

export interface StoredUser extends User {
  passwordHash: string;
  createdAt: number;
}

export interface NewUser {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  createdAt: number;
}

export interface ConversationPageRequest {
  /** The page starts after this conversation id; the first page has none. */
  after?: string;
  /** At most this many conversations. */
  limit: number;
  /** At most this many members in all, unless the page's first conversation alone has more. */
  maxMembers: number;
}

export interface ConversationPage {
  /** In id order. */
  conversations: Conversation[];
  /** More conversations follow the last one. */
  more: boolean;
}

export interface NewConversationInput {
  conversationId: string;
  /** Listed first among the members; a group's owner. */
  creatorId: string;
  conversation: NewConversation;
  createdAt: number;
  /** The most members this server allows in one group. */
  maxMembers: number;
  /** How many conversations, and added members, the creator may have in an hour (cap-rules.ts). */
  caps: CreationCaps;
}

export type CreateResult =
  /**
   * `event` is the group's creation (null for a direct conversation, which has none); `memberIds`
   * who must hear of it (not the other person of a direct conversation made while a block stands);
   * `requestedIds` the members to whom it is a message request from the creator (request-rules.ts).
   */
  | { status: 'created'; memberIds: string[]; event: GroupCreatedEvent | null; requestedIds: string[] }
  | { status: 'existing' }
  | { status: 'refused'; reason: RefusalReason };

export interface NewGroupChange {
  conversationId: string;
  senderId: string;
  clientChangeId: string;
  change: GroupChange;
  sentAt: number;
  maxMembers: number;
  /** How many people the sender may add to groups in an hour (cap-rules.ts). */
  caps: CreationCaps;
}

export type GroupChangeResult =
  /**
   * `memberIds`: who must hear of it (the members after it, and whoever it removed);
   * `addedIds`: who just joined and needs the conversation itself; `requestedIds`: those of them
   * to whom it is a message request from the sender (request-rules.ts).
   */
  | { status: 'stored'; event: GroupChangeEvent; memberIds: string[]; addedIds: string[]; requestedIds: string[] }
  | { status: 'duplicate'; event: GroupChangeEvent }
  | Refused;

/**
 * Nothing was stored, and why. Every append answers its refusals this one way: a stranger
 * (`conversation_not_found`), a client id used for something else (`client_id_reused`), or a rule.
 */
export interface Refused {
  status: 'refused';
  reason: RefusalReason;
}

/**
 * A sealed envelope for a conversation's log: what members say there, stored with its membership,
 * exactly-once by the sender's client id, blocks and the sender's first word there, and never read.
 */
export interface NewEnvelope {
  conversationId: string;
  senderId: string;
  /** The sending device's number (its session's). */
  senderDevice: number;
  clientId: string;
  ciphertext: string;
  /**
   * Upload ids it refers to: each a completed upload of the sender's or one they may download now
   * (`findDownloadable`), else `attachment_missing`; the envelope then refers to each, which keeps it
   * from garbage collection and lets the conversation's members download it.
   */
  attachments: string[];
  /**
   * The client id of an earlier envelope of the same sender in the conversation that this one
   * deletes for everyone (null: none): `no_such_message` when the sender has no such envelope there,
   * `not_author` when it is another member's, `already_deleted`. Its ciphertext becomes '' and its
   * references go, in the transaction that stores this one.
   */
  deletes: string | null;
  /**
   * The conversation's devices version it was sealed for (null: none named). Not the current one:
   * nothing is stored, and the answer is `devices_changed` with the devices now.
   */
  devicesVersion: number | null;
  /** Its disappearing-message timer (null: none), kept beside it and attested back: purgeExpiredEnvelopes purges it. */
  expiresInMs: number | null;
  sentAt: number;
}

/** What one pass of purgeExpiredEnvelopes did. */
export interface ExpiryPass {
  /** Envelopes found read by every member but their sender, stamped `now` (all_read_at). */
  stamped: number;
  /** Envelopes whose timer ran out, purged as a delete for everyone purges them. */
  purged: number;
}

export type EnvelopeResult =
  /**
   * `memberIds` is who must hear about it (never anyone it is hidden from by a block).
   * `firstMessage`: the sender's first envelope since they joined (recorded in the same
   * transaction), so presence may begin between them and the members who wrote before (presence-rules.ts).
   */
  | { status: 'stored'; event: EnvelopeEvent; memberIds: string[]; firstMessage: boolean }
  /** The client id was seen before from this sender: the original envelope (as it is now), nothing stored. */
  | { status: 'duplicate'; event: EnvelopeEvent }
  /** Sealed for other devices than the members' now (the last check): these are theirs, read in the same transaction. */
  | { status: 'devices_changed'; devices: ConversationDevices }
  /** Besides the common ones: `no_such_message`, `not_author`, `already_deleted`, `attachment_missing`. */
  | Refused;

/** One event of a conversation, as one reader is to be served it (ServerStore.readEventsAt). */
export interface EventAt {
  conversationId: string;
  userId: string;
  seq: number;
}

export type SetSettingsResult =
  | {
      status: 'stored';
      /** Each key the frame named, as stored now (the winner of the merge), in the frame's order. */
      settings: StoredSetting[];
      /** The registers this write changed (the user's other devices need them). */
      changed: StoredSetting[];
      /** Pairs between whom a block began or was lifted by this write. */
      blockChanges: BlockChange[];
      /** The people the user stopped blocking, each with the groups they share: shown the user's watermarks there again. */
      thawed: ThawedWatermarks[];
      /** "Show when I'm online" changed by this write; null when it did not. */
      visibilityChange: VisibilityChange | null;
    }
  | Refused;

export interface VisibilityChange {
  /** True: the user hides when they are online now; false: they show it again. */
  hidden: boolean;
  /** The people who share presence with the user when they show it (listContacts as if they did): who saw them until now, or sees them from now on. */
  contacts: Contact[];
}

export interface BlockChange {
  /** The other person of the pair. */
  userId: string;
  /** True: a block stands between them now (it began); false: none stands any more. */
  standing: boolean;
  /** The pair's direct conversation, if they have one. */
  conversationId: string | null;
  /** When a block was lifted: the person the conversation had been kept from, to be told of it now. */
  revealedTo: string | null;
}

export interface ThawedWatermarks {
  /** Who was shown the user's watermarks as they were when the block began. */
  viewerId: string;
  /** The user's watermarks now in each group the user and the viewer are both in. */
  watermarks: GroupWatermark[];
}

export interface GroupWatermark {
  conversationId: string;
  deliveredSeq: number;
  readSeq: number;
}

export interface SettingsPage {
  settings: StoredSetting[];
  hasMore: boolean;
}

export interface NewUpload {
  /** Chosen by the server (32 random hex): the key of its file, too. */
  id: string;
  ownerId: string;
  /** What the client declared; the bytes are checked against it once they are all there. */
  sha256: string;
  size: number;
  createdAt: number;
  /** The most the owner's kept uploads may add up to, this one included. */
  quotaBytes: number;
}

export type CreateUploadResult = { status: 'created' } | { status: 'refused'; reason: 'quota_exceeded' };

export interface StoredUpload {
  id: string;
  ownerId: string;
  sha256: string;
  size: number;
  createdAt: number;
  /** When its bytes were all there and verified; null while it is still being uploaded. */
  completedAt: number | null;
}

export interface DownloadableUpload {
  id: string;
  sha256: string;
  size: number;
}

/** Someone who shares a conversation with a user. */
export interface Contact {
  userId: string;
  lastSeenAt: number | null;
}

export interface EventPage {
  events: ConversationEvent[];
  hasMore: boolean;
  /**
   * Set when the reader is served nothing right after afterSeq (outside their periods, hidden from
   * them by a block, or a gap purge-plaintext left): nothing up to here is theirs. A page ends
   * before a run of hidden events or a gap; the next one starts past it.
   */
  skippedTo?: number;
  /** Everyone the events name. */
  users: User[];
}

export interface WatermarkResult {
  deliveredSeq: number;
  readSeq: number;
  /** The member's watermarks before this receipt (the same as now when it moved nothing). */
  before: { deliveredSeq: number; readSeq: number };
  /** False when the receipt changed nothing (old or repeated), so nobody needs to be told. */
  moved: boolean;
  /**
   * Who must hear about it when it moved: not the other person of a direct conversation while a
   * block stands, nor in a group anyone the user has blocked.
   */
  memberIds: string[];
}

/** The key that makes a direct conversation unique per pair, whoever started it. */
export function directPairKey(userA: string, userB: string): string {
  return [userA, userB].sort().join(' ');
}
