/**
 * The one contract between the renderer and the client core. Declared once here; the Electron
 * preload and the browser bridge both carry exactly these calls, and the core validates every
 * argument against these schemas before acting (see dispatcher.ts).
 *
 * This module is pure: the renderer imports it, so it must never import node or electron.
 */
import { z } from 'zod';
import { userSchema, type MembershipEvent, type Role, type User } from '../protocol/frames.js';
import { ATTACHMENT_KINDS, ATTACHMENT_LIMITS, fileName, sha256Hex, type AttachmentKind } from '../protocol/attachments.js';
import { MAX_QUERY_CHARS, type SnippetPart } from '../common/search-text.js';
import {
  caption,
  displayName,
  emoji,
  groupName,
  linkPreviewSchema,
  messageText,
  password,
  username,
} from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import { accountKeysApiArgs, type AccountKeysApiResults } from './account-keys-api.js';
import { linkingApiArgs, type LinkingApiResults } from './linking-api.js';
import { safetyNumberApiArgs, type SafetyNumberApiResults } from './safety-number-api.js';
import { keyBackupApiArgs, type KeyBackupApiResults } from './key-backup-api.js';
import { CALL_EVENT_SCHEMAS, callsApiArgs, type CallEntryView, type CallsApiResults } from './calls-api.js';
import { GROUP_CALL_EVENT_SCHEMAS, groupCallsApiArgs, type GroupCallsApiResults } from './group-calls-api.js';
import { preferencesChange, type Preferences } from './preferences.js';
import { pollsApiArgs, type PollsApiResults, type PollView } from './polls-api.js';
import { locationsApiArgs, type LocationsApiResults, type LocationView } from './locations-api.js';
import { disappearingApiArgs, type DisappearingApiResults, type DisappearingView } from './disappearing-api.js';
import { gifsApiArgs, type GifsApiResults } from './gifs-api.js';
import { stickersApiArgs, type StickersApiResults, type StickerView } from './stickers-api.js';
import { personalSettingsApiArgs, type PersonalSettingsApiResults } from './personal-settings-api.js';
import { outboxApiArgs, type OutboxApiResults } from './outbox-api.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);
const serverUrl = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .refine((value) => /^(wss?|https?):\/\/[^\s/]+/.test(value), 'must start with ws://, wss://, http:// or https://');
const none = z.object({}).strict();
/** A username as typed: with or without "@", any case. */
const lookupName = z
  .string()
  .trim()
  .min(1)
  .max(LIMITS.maxUsernameChars + 1);

/**
 * A file the host has already copied into this profile's attachment store (POST to FILES_PATH; see
 * main/common/file-gateway.ts), as the renderer describes it. The core reads its size and type from
 * the stored bytes themselves; the renderer adds what only it can know: the name it was picked
 * under, and for images (decoded in the sandboxed renderer) their size and a tiny preview, for a
 * recording its duration.
 */
export const attachmentInput = z
  .object({
    sha256: sha256Hex,
    name: fileName,
    kind: z.enum(ATTACHMENT_KINDS),
    width: z.number().int().min(1).max(ATTACHMENT_LIMITS.maxImageSide).optional(),
    height: z.number().int().min(1).max(ATTACHMENT_LIMITS.maxImageSide).optional(),
    preview: z.string().max(ATTACHMENT_LIMITS.maxPreviewChars).optional(),
    durationMs: z.number().int().min(0).max(ATTACHMENT_LIMITS.maxDurationMs).optional(),
  })
  .strict();
export type AttachmentInput = z.infer<typeof attachmentInput>;

/** How many conversations one forward may go to at once. */
export const MAX_FORWARD_TARGETS = 100;

export const appApiArgs = {
  getDefaults: none,
  getSession: none,
  createAccount: z.object({ serverUrl, username, displayName, password }).strict(),
  logIn: z
    .object({
      serverUrl,
      username: z.string().trim().min(1).max(LIMITS.maxUsernameChars),
      password: z.string().min(1).max(LIMITS.maxPasswordChars),
    })
    .strict(),
  /** Signs out here at once; the server revokes the session now, or when it can next be reached. */
  logOut: none,
  /** Your sessions (devices signed in), this one marked; needs the server. */
  listSessions: none,
  /** Ends one of your other sessions (its device is signed out at once). */
  endSession: z.object({ sessionId: id }).strict(),
  /** Ends every session of yours but this one. */
  endOtherSessions: none,
  /** A new password, given the current one; every other session ends. */
  changePassword: z.object({ currentPassword: z.string().min(1).max(LIMITS.maxPasswordChars), newPassword: password }).strict(),
  getConnectionState: none,
  /**
   * The conversation list, newest activity first (ties by id): all of it, or (`limit`) one screen,
   * starting after `after` (the last conversation of the screen before).
   */
  listConversations: z
    .object({
      /**
       * Which list: the main one (default: everything not in the archive or the requests), the
       * "Archived" one, "Message requests", or all of them (as the forward dialog offers them).
       */
      folder: z.enum(['main', 'archived', 'requests', 'all']).optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      after: z.object({ lastActivityAt: z.number().int(), id }).strict().optional(),
    })
    .strict()
    .refine((args) => args.after === undefined || args.limit !== undefined, 'paging with `after` needs a `limit`'),
  /**
   * The direct conversation with this person. Works offline for anyone already in this profile's
   * mirror (seen in any conversation); an unknown username needs the server.
   */
  startConversation: z.object({ username: lookupName }).strict(),
  /** Someone by username: from the mirror when known there, else from the server. */
  findUser: z.object({ username: lookupName }).strict(),
  /** A new group with you as owner; works offline, and is created on the server when it can be. */
  createGroup: z.object({ name: groupName, memberIds: z.array(id).max(LIMITS.maxGroupMembers - 1) }).strict(),
  /** Members, roles, name, and your queued or refused changes to them. */
  getConversationInfo: z.object({ conversationId: id }).strict(),
  addMembers: z.object({ conversationId: id, userIds: z.array(id).min(1).max(LIMITS.maxGroupMembers) }).strict(),
  removeMember: z.object({ conversationId: id, userId: id }).strict(),
  leaveGroup: z.object({ conversationId: id }).strict(),
  renameGroup: z.object({ conversationId: id, name: groupName }).strict(),
  setRole: z.object({ conversationId: id, userId: id, role: z.enum(['admin', 'member']) }).strict(),
  /** Who has read, and who has received, one of your messages. */
  getMessageInfo: z.object({ conversationId: id, messageId: id }).strict(),
  listMessages: z
    .object({
      conversationId: id,
      /** How many messages to return (unsent ones are always added to the newest page). */
      limit: z.number().int().min(1).max(1000).optional(),
      /** Return the messages just before this seq (older history). */
      beforeSeq: z.number().int().min(1).optional(),
      /** Return the messages just after this seq (newer history, after a jump back). */
      afterSeq: z.number().int().min(0).optional(),
      /** Return the page around this message (a search result, a quote): about half older, half newer. */
      aroundMessageId: id.optional(),
      /** Return the page around this seq (the first unread message): older half before it, the rest from it on. */
      aroundSeq: z.number().int().min(1).optional(),
    })
    .strict()
    .refine(
      (args) =>
        [args.beforeSeq, args.afterSeq, args.aroundMessageId, args.aroundSeq].filter((value) => value !== undefined).length <= 1,
      'ask for one of beforeSeq, afterSeq, aroundMessageId or aroundSeq (none: the newest page)',
    ),
  /**
   * `replyTo`: the messageId (MessageView.id) of the message being answered. With attachments the
   * text is their caption and may be empty. Works offline: the files are in this profile already.
   */
  sendMessage: z
    .object({
      conversationId: id,
      text: caption,
      replyTo: id.optional(),
      attachments: z.array(attachmentInput).max(ATTACHMENT_LIMITS.maxPerMessage).optional(),
      /** The preview the composer showed (from fetchLinkPreview, its image scaled down by the renderer). */
      linkPreview: linkPreviewSchema.optional(),
    })
    .strict()
    .refine(
      (args) => args.text.trim().length > 0 || (args.attachments?.length ?? 0) > 0,
      'a message needs text or at least one attachment',
    ),
  /**
   * Copies a message (its text and its files, by reference: nothing is uploaded again) into each
   * of `toConversationIds` as your own message, showing whom it was forwarded from. Works offline
   * (queued like any send). Only a message the server holds, not deleted, in a conversation you are
   * still in can be forwarded.
   */
  forwardMessage: z
    .object({
      conversationId: id,
      messageId: id,
      toConversationIds: z.array(id).min(1).max(MAX_FORWARD_TARGETS),
    })
    .strict(),
  /**
   * Every message in this profile with all the words typed (each as a prefix, in any order, case and
   * Latin accents ignored), newest first. Works offline; whatever is typed is a search for its words.
   */
  searchMessages: z
    .object({ query: z.string().max(MAX_QUERY_CHARS), limit: z.number().int().min(1).max(200).optional() })
    .strict(),
  /** The largest file the server takes (what the person is told before anything is queued). */
  getAttachmentLimits: none,
  /**
   * Fetches one attachment of a message into this profile (images come by themselves; other files
   * on request), or tries a failed download again. Resumes where an earlier attempt stopped.
   */
  downloadAttachment: z
    .object({
      conversationId: id,
      messageId: id,
      index: z
        .number()
        .int()
        .min(0)
        .max(ATTACHMENT_LIMITS.maxPerMessage - 1),
    })
    .strict(),
  retryMessage: z.object({ messageId: id }).strict(),
  discardMessage: z.object({ messageId: id }).strict(),
  markRead: z
    .object({
      conversationId: id,
      /** Read up to this message only (the last one shown on screen); none: up to the newest. */
      upToSeq: z.number().int().min(0).optional(),
    })
    .strict(),
  /** Own messages only. Editing a message still in the outbox changes what will be sent. */
  editMessage: z.object({ conversationId: id, messageId: id, text: messageText }).strict(),
  /** Delete for everyone; own messages only. An unsent message is simply withdrawn. */
  deleteMessage: z.object({ conversationId: id, messageId: id }).strict(),
  /** Adds (`on: true`) or removes (`on: false`) one of your reactions. */
  setReaction: z.object({ conversationId: id, messageId: id, emoji, on: z.boolean() }).strict(),
  /** The message's texts, oldest first (the original, then each edit). Empty once deleted. */
  getEditHistory: z.object({ conversationId: id, messageId: id }).strict(),
  /** Puts a refused change (to a message or a group) back in the queue / drops it. */
  retryChange: z.object({ changeId: id }).strict(),
  discardChange: z.object({ changeId: id }).strict(),
  /** Pins (`on: true`) or unpins a message; owner and admins in a group, both people in a direct one. Works offline. */
  pinMessage: z.object({ conversationId: id, messageId: id, on: z.boolean() }).strict(),
  /** The conversation's pinned messages, the most recently pinned first. */
  listPinnedMessages: z.object({ conversationId: id }).strict(),
  /**
   * Answers a message request: "Accept" makes it an ordinary conversation (receipts for what was
   * read go out); "Delete" takes it off every device of yours (and leaves a group); "Block" blocks
   * who it came from and deletes it. Synced; works offline.
   */
  answerRequest: z.object({ conversationId: id, answer: z.enum(['accept', 'delete', 'block']) }).strict(),
  /** This device's preferences (theme, language, notification previews, Work offline); see preferences.ts. */
  getPreferences: none,
  /** Changes some of them; returns them all. Work offline disconnects at once and stays off until switched back. */
  setPreferences: preferencesChange,
  /**
   * The core fetches the page (https only, or http on 127.0.0.1 when the host allows loopback
   * previews) and returns its title, description and image; null when there is none, the address
   * is refused, or the site cannot be reached in time.
   */
  fetchLinkPreview: z.object({ url: z.string().min(1).max(LIMITS.maxLinkPreviewUrlChars) }).strict(),
  /** The person is typing in this conversation (call again every few seconds while they do). */
  setTyping: z.object({ conversationId: id }).strict(),
  /** Who is typing in the conversation, and whether the other person is online. */
  getActivity: z.object({ conversationId: id }).strict(),
  /** Whether the core is working normally (and whether the disk is full), or waits for a recovery. */
  getCoreState: none,
  /**
   * In recovery: a new, empty mirror; what could be salvaged of the damaged one's outbox is queued
   * in it again (with its client ids, so nothing is sent twice). Sign in next; history comes back.
   */
  startFresh: none,
  /** The versions the About dialog lists: app, Electron, Chromium, Node, SQLite, the mirror's schema. */
  getAbout: none,
  ...accountKeysApiArgs,
  ...linkingApiArgs,
  ...safetyNumberApiArgs,
  ...keyBackupApiArgs,
  ...callsApiArgs,
  ...groupCallsApiArgs,
  ...pollsApiArgs,
  ...locationsApiArgs,
  ...disappearingApiArgs,
  ...personalSettingsApiArgs,
  ...outboxApiArgs,
  ...gifsApiArgs,
  ...stickersApiArgs,
} as const;

export type AppApiMethod = keyof typeof appApiArgs;
export const APP_API_METHODS = Object.keys(appApiArgs) as AppApiMethod[];
export type AppApiArgs<M extends AppApiMethod> = z.input<(typeof appApiArgs)[M]>;

// ---------------------------------------------------------------------------------------------
// What the renderer gets back

/**
 * Offline, connecting, online; or offline because the app and the server speak different protocol
 * versions (protocol/version.ts): 'app_outdated' (update the app) or 'server_outdated' (the server
 * is older than the app). Both keep trying, so an update on either side is picked up.
 */
const connectionStateSchema = z.enum(['offline', 'connecting', 'online', 'app_outdated', 'server_outdated']);
export type ConnectionState = z.infer<typeof connectionStateSchema>;

export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface SessionInfo {
  serverUrl: string;
  user: User;
}

export interface Defaults {
  serverUrl: string;
  /**
   * The account last signed in on this device, when there is one: the sign-in screen offers to log
   * in to it (after "Start fresh", after signing out) rather than to create an account.
   */
  lastAccount?: LastAccount;
}

export interface LastAccount {
  serverUrl: string;
  username: string;
}

export type ConversationKind = 'direct' | 'group';

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  /** What the list shows: the group's name, or the other person's display name. */
  title: string;
  /** The other person of a direct conversation; null for a group. */
  peer: User | null;
  /** Current members, you included (while you are one). */
  memberCount: number;
  /** False once you left or were removed from a group: its history stays, sending does not. */
  isMember: boolean;
  /** The newest message; `deleted` means show "This message was deleted" (text is then empty). */
  lastMessage: {
    text: string;
    own: boolean;
    at: number;
    deleted: boolean;
    senderName: string;
    /** Its first attachment, if any: what the list shows when there is no text ("Photo", the file name). */
    attachment?: { kind: AttachmentKind; name: string } | null;
    /** It is a poll (its text is the question); present only then. */
    poll?: boolean;
    /** It is a location (its text is the place name); present only then. */
    location?: boolean;
    /** It is a sticker (no text; its files are the sticker and its pack); present only then. */
    sticker?: boolean;
  } | null;
  /** The newest call's entry, when it came after the newest message: the list shows it instead ("Missed voice call"). */
  lastCall?: CallEntryView & { at: number };
  unreadCount: number;
  /** An unread message mentions you (@username). */
  mentionsYou: boolean;
  /** For ordering the list: the newest message's time, or the conversation's creation. */
  lastActivityAt: number;
  /** In the "Archived" list now (archived, and muted or with nothing new from others since). */
  archived: boolean;
  /** No notifications; the list shows "Muted" and a muted unread count. */
  muted: boolean;
  /** The composer's draft (the list shows "Draft: …" instead of the last message); null when none. */
  draft: string | null;
  /** A direct conversation with someone you blocked. */
  blocked: boolean;
  /**
   * In "Message requests" (protocol/request-rules.ts): started by someone who is not your contact,
   * or a group they added you to, that you have not answered or written in. Not unread in the badge.
   */
  request: boolean;
  /**
   * Who the request came from (who started it, or added you), by display name; null when it is no
   * request, or when this device does not know them yet.
   */
  requestFromName: string | null;
  /** The disappearing-message timer new messages get; null when off (the header shows it). */
  disappearingTimerMs: number | null;
}

export interface MemberView {
  user: User;
  role: Role;
  online: boolean;
  you: boolean;
  /** Added, removed or re-roled by a change of yours that the server has not confirmed yet. */
  pending: boolean;
}

/** A change of yours to a group (or its creation) that the server refused. */
export interface FailedGroupChangeView {
  changeId: string;
  kind: 'create' | 'add_members' | 'remove_member' | 'leave' | 'rename' | 'set_role';
  error: string;
  /** Who a creation or an addition puts in the group, by display name (a refusal may be about them). */
  people: string[];
}

export interface ConversationInfo {
  id: string;
  kind: ConversationKind;
  /** The group's name (with your queued rename applied); null for a direct conversation. */
  name: string | null;
  isMember: boolean;
  /** Your role; null when you are not a member. */
  role: Role | null;
  /** In the order they joined (creator first), your queued changes applied. */
  members: MemberView[];
  failedChanges: FailedGroupChangeView[];
  /** Disappearing messages: the timer and who may change it. */
  disappearing: DisappearingView;
}

export interface MessageView {
  /** The client message id: stable from the moment of composing, before any sequence number. */
  id: string;
  conversationId: string;
  /** Null while the server has not acknowledged it. */
  seq: number | null;
  senderId: string;
  senderName: string;
  own: boolean;
  /** The current text (with your own unsent edits applied); empty when deleted. */
  text: string;
  /** Server time once stored, local compose time before that. */
  at: number;
  /** Own messages only; null for messages from others. */
  status: MessageStatus | null;
  /**
   * Why the server refused it, when status is 'failed': a refusal reason code (REFUSAL_REASONS),
   * which the renderer puts in words, or for an unforeseen refusal the server's own words.
   */
  error: string | null;
  /** The text was changed after sending (the history is available through getEditHistory). */
  edited: boolean;
  /** Deleted for everyone: show "This message was deleted" instead of the text. */
  deleted: boolean;
  /** Present when this message replies to another. */
  replyTo: QuoteView | null;
  /** One entry per emoji, in the order they were first added. */
  reactions: ReactionView[];
  /** Your edits, deletes or reactions on this message that the server refused. */
  failedChanges: FailedChangeView[];
  /** In the order they were attached; empty once deleted. */
  attachments: AttachmentView[];
  /** A forward: the original author's name (show "Forwarded from …"); null otherwise, and once deleted. */
  forwardedFrom: string | null;
  /** The sender's preview of a link in it; null when none, and once deleted. */
  linkPreview: LinkPreviewView | null;
  /** Pinned in the conversation now (your queued pin or unpin applied). */
  pinned: boolean;
  /** A poll (its question is `text`); null for any other message, and once deleted. */
  poll: PollView | null;
  /** A location (its place name is `text`); null for any other message, and once deleted. */
  location: LocationView | null;
  /** A sticker (shown large, without a bubble; its files are the sticker and its pack); null otherwise, and once deleted. */
  sticker: StickerView | null;
  /** The disappearing-message timer it was written with; null when it does not disappear. */
  expiresInMs: number | null;
  /** When it disappears from this device: null until its timer starts (sent, or read here or on another of your devices). */
  expiresAt: number | null;
}

/** A link's preview: plain text, never markup; `image` is a data: URL or null. */
export type LinkPreviewView = z.infer<typeof linkPreviewSchema>;

/** A pinned message, as the conversation's pinned bar shows it. */
export interface PinnedMessageView {
  messageId: string;
  /** Its sequence number (to jump to it); null while it is your own unsent message. */
  seq: number | null;
  senderName: string;
  /** Its current text; for a message with only files, empty (show the first file's name). */
  text: string;
  attachment: { kind: AttachmentKind; name: string } | null;
  /** Who pinned it and when (server time; local time while your pin is queued). */
  pinnedBy: string;
  pinnedAt: number;
  /** Your pin, not yet confirmed by the server. */
  pending: boolean;
}

/** An upload or download that has not finished: queued, moving, or failed (with Retry). */
export interface TransferView {
  direction: 'upload' | 'download';
  state: 'queued' | 'active' | 'failed';
  transferredBytes: number;
  totalBytes: number;
  /** A refusal reason code (REFUSAL_REASONS) or a transfer error code (TRANSFER_ERRORS) when failed. */
  error: string | null;
}

export interface AttachmentView {
  /** Its place in the message (what downloadAttachment names). */
  index: number;
  name: string;
  /** The SHA-256 of its bytes (the address of the local copy, see fileUrl). */
  sha256: string;
  size: number;
  /** What the sender's core found in the content. */
  mime: string;
  kind: AttachmentKind;
  width: number | null;
  height: number | null;
  /** A tiny image shown, stretched to width × height, until the bytes are here. */
  preview: string | null;
  durationMs: number | null;
  /**
   * Where the page loads the verified bytes from (a path relative to the page, see fileUrl), once
   * they are in this profile; null before.
   */
  localUrl: string | null;
  /** The upload (own messages) or download still under way or failed; null when there is none. */
  transfer: TransferView | null;
}

/** The hosts serve this profile's attachment store under this path (relative to the page). */
export const FILES_PATH = 'files';

/**
 * The page-relative address of a stored file: shown inline, played, or (with `saveAs`) downloaded
 * by the browser under that name (Electron asks where to save it).
 */
export function fileUrl(sha256: string, saveAs?: string): string {
  return saveAs === undefined ? `${FILES_PATH}/${sha256}` : `${FILES_PATH}/${sha256}?save=${encodeURIComponent(saveAs)}`;
}

/** What the host answers to a file it has copied into the store. */
export interface StoredFile {
  sha256: string;
  size: number;
  /** Found in the content (not the name); application/octet-stream when unknown. */
  mime: string;
}

export interface AttachmentLimits {
  maxFileBytes: number;
}

export interface QuoteView {
  messageId: string;
  /** False while the original is not in this mirror yet: show a placeholder. */
  available: boolean;
  senderId: string | null;
  senderName: string | null;
  /** The original's current text (following its edits); empty when deleted or unavailable. */
  text: string;
  deleted: boolean;
  /** Its timer ran out: show "This message has disappeared". */
  disappeared: boolean;
}

export interface ReactionView {
  emoji: string;
  count: number;
  /** You are one of those who reacted with it. */
  mine: boolean;
}

export interface FailedChangeView {
  changeId: string;
  kind: 'edit' | 'delete' | 'reaction' | 'pin';
  /** A refusal reason code (see REFUSAL_REASONS) or, for an unforeseen one, the server's words. */
  error: string;
}

export interface EditHistoryEntry {
  text: string;
  at: number;
}

export interface PresenceView {
  online: boolean;
  /** When they were last connected; null when unknown. */
  lastSeenAt: number | null;
}

export interface ActivityView {
  /** Other people typing in this conversation right now. */
  typing: User[];
  /** The other person's presence in a direct conversation; null when unknown (and in groups). */
  peerPresence: PresenceView | null;
  /** In a group: how many members there are (you included) and how many are online. */
  members: { total: number; online: number } | null;
}

/**
 * A change of membership or name, shown between messages: `actor` did it; `subjects` are those
 * it was done to (added, removed, given a role, or who became owner when the owner left).
 */
export interface NoticeView {
  seq: number;
  at: number;
  /**
   * safety_number_changed: `actor`'s identity key changed (this device noticed; no server event).
   * undecryptable: what `actor` sent at `at` could not be decrypted here (its key and a resend never came).
   * call_ended: a call's entry, written by its caller (`actor`); `call` says how it ended.
   */
  kind:
    | MembershipEvent['kind']
    | 'group_renamed'
    | 'safety_number_changed'
    | 'undecryptable'
    | 'call_ended'
    | 'disappearing_timer_set'
    | 'disappearing_policy_set';
  actor: User;
  subjects: User[];
  /** group_created and group_renamed: the name. */
  name: string | null;
  /** role_changed: the new role. */
  role: 'admin' | 'member' | null;
  /** call_ended: the call's entry. */
  call?: CallEntryView;
  /** disappearing_timer_set: the new timer; null when it was turned off. */
  timerMs?: number | null;
  /** disappearing_policy_set: every member may now change the timer (else the owner and admins). */
  everyone?: boolean;
}

export interface MessagePage {
  messages: MessageView[];
  /** Membership notices within the same stretch of history as `messages`. */
  notices: NoticeView[];
  /** More history exists before the first message returned. */
  hasOlder: boolean;
  /**
   * More history exists after the last message returned (a page before the newest): load it with
   * afterSeq. The newest page (hasNewer false) also holds the unsent messages.
   */
  hasNewer: boolean;
  /** Your read watermark in this conversation: messages after it (not your own) are unread. */
  readSeq: number;
  /** The first unread message: the first from someone else after `readSeq` (null when none is unread). */
  firstUnreadSeq: number | null;
}

/** One message a search found. */
export interface SearchResult {
  conversationId: string;
  /** The group's name, or the other person's name. */
  conversationTitle: string;
  messageId: string;
  senderName: string;
  own: boolean;
  at: number;
  /** A short piece of its text (or file names) with the matched words marked; plain text, never markup. */
  snippet: SnippetPart[];
}

export interface MessageInfo {
  /** Every other member who has read it. */
  readBy: User[];
  /** Every other member who has received it but not read it yet. */
  deliveredTo: User[];
}

export interface AppApiResults
  extends
    AccountKeysApiResults,
    LinkingApiResults,
    SafetyNumberApiResults,
    KeyBackupApiResults,
    CallsApiResults,
    GroupCallsApiResults,
    PollsApiResults,
    LocationsApiResults,
    DisappearingApiResults,
    PersonalSettingsApiResults,
    OutboxApiResults,
    GifsApiResults,
    StickersApiResults {
  getDefaults: Defaults;
  getSession: SessionInfo | null;
  createAccount: SessionInfo;
  logIn: SessionInfo;
  logOut: null;
  listSessions: SessionView[];
  endSession: null;
  endOtherSessions: EndedSessions;
  changePassword: EndedSessions;
  getConnectionState: ConnectionState;
  listConversations: ConversationSummary[];
  startConversation: ConversationSummary;
  findUser: User;
  createGroup: ConversationSummary;
  getConversationInfo: ConversationInfo;
  addMembers: null;
  removeMember: null;
  leaveGroup: null;
  renameGroup: null;
  setRole: null;
  getMessageInfo: MessageInfo;
  listMessages: MessagePage;
  sendMessage: MessageView;
  sendPoll: MessageView;
  sendLocation: MessageView;
  sendSticker: MessageView;
  /** The new messages, one per conversation, in the order asked (each conversation once). */
  forwardMessage: MessageView[];
  searchMessages: SearchResult[];
  getAttachmentLimits: AttachmentLimits;
  downloadAttachment: null;
  retryMessage: null;
  discardMessage: null;
  markRead: null;
  editMessage: null;
  deleteMessage: null;
  setReaction: null;
  getEditHistory: EditHistoryEntry[];
  retryChange: null;
  discardChange: null;
  setTyping: null;
  getActivity: ActivityView;
  pinMessage: null;
  listPinnedMessages: PinnedMessageView[];
  answerRequest: null;
  getPreferences: Preferences;
  setPreferences: Preferences;
  fetchLinkPreview: LinkPreviewView | null;
  getCoreState: CoreState;
  startFresh: null;
  getAbout: AboutView;
}

/**
 * What the About dialog lists. `electron` and `chromium` are null where the host has none of its
 * own (the browser host: the renderer names the browser's Chromium itself); `sqlite` and
 * `schemaVersion` are null while the mirror is not open (recovery).
 */
export interface AboutView {
  app: string;
  electron: string | null;
  chromium: string | null;
  node: string;
  sqlite: string | null;
  /** The mirror's PRAGMA user_version. */
  schemaVersion: number | null;
}

/** One device signed in to your account. */
export interface SessionView {
  id: string;
  /** null when the device did not say what it is. */
  deviceName: string | null;
  lastUsedAt: number;
  /** This device. */
  current: boolean;
}

export interface EndedSessions {
  /** How many sessions ended. */
  ended: number;
}

/** Why this device's messages could not be opened: a damaged file, or one that cannot be decrypted. */
export type MirrorProblem = 'damaged' | 'undecryptable';

/** What the recovery screen shows. The unreadable files are kept, renamed, never deleted. */
export interface RecoveryView {
  problem: MirrorProblem;
  /** Where the files were moved to (the main file first, then its -wal and -shm when there were any). */
  movedTo: string[];
  /** Unsent messages read back from the damaged file, queued again by startFresh. */
  recoveredMessages: number;
  /** Unsent messages and changes seen but not readable; null when nothing could be read to count them. */
  unrecoverable: number | null;
}

/**
 * The core's state as a whole, declared once; the renderer picks its screen by `kind`. Ready says
 * what keeps things from being stored: `diskFull`, nothing can be written here; `settingsFull`, the
 * server has no room for more of the person's private settings (drafts, archive, mute: refused
 * `settings_full`), which apply on this device and wait to be sent (a banner says each).
 */
export type CoreState =
  { kind: 'ready'; diskFull: boolean; settingsFull: boolean } | { kind: 'recovery'; recovery: RecoveryView };

/** The whole API as the renderer calls it. */
export type AppApi = {
  [M in AppApiMethod]: Record<string, never> extends AppApiArgs<M>
    ? (args?: AppApiArgs<M>) => Promise<AppApiResults[M]>
    : (args: AppApiArgs<M>) => Promise<AppApiResults[M]>;
};

const conversationEvent = <T extends string>(type: T) => z.object({ type: z.literal(type), conversationId: z.string() });

/**
 * Pushed from the core to the renderer; the renderer re-reads what changed. Declared once, as a
 * schema: the browser bridge validates every pushed event with it (a kind missing here would be
 * dropped there, silently, as 'outbox' and 'transfer' once were).
 */
export const appEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('connection'), state: connectionStateSchema }),
  z.object({ type: z.literal('session'), session: z.object({ serverUrl: z.string(), user: userSchema }).nullable() }),
  z.object({ type: z.literal('conversations') }),
  /** The core's state changed (recovery finished, the disk filled up or has room again): re-read getCoreState. */
  z.object({ type: z.literal('core_state') }),
  /** This device's account keys changed (linked, restored, made): re-read getLinkState and getUnsavedRecoveryKey. */
  z.object({ type: z.literal('account_keys') }),
  /** This device's preferences changed (here, from the tray, or by --offline): re-read getPreferences. */
  z.object({ type: z.literal('preferences') }),
  /** Something in the outbox changed (queued, sent, failed, retried, discarded, put on the wire): re-read listOutbox. */
  z.object({ type: z.literal('outbox') }),
  conversationEvent('messages'),
  /**
   * A message from someone else arrived live (while this device was connected and in step; never
   * history or a backlog fetched by the sync that follows connecting), the newest of its batch:
   * the host may show a notification. It comes after the 'messages' and 'conversations' events
   * that show it; the renderer needs nothing more from it.
   */
  conversationEvent('incoming').extend({ messageId: z.string() }),
  /** From the host, never the core: the person clicked a notification of this conversation: open it. */
  conversationEvent('open_conversation'),
  /** Typing or presence changed for this conversation: re-read getActivity. */
  conversationEvent('activity'),
  /**
   * Your settings changed (here or on another device): archive, mute, drafts, blocks or privacy. The
   * conversation list is re-read anyway ('conversations' comes too); this tells an open composer to
   * re-read its draft when the change came from another device.
   */
  z.object({ type: z.literal('settings'), conversationIds: z.array(z.string()) }),
  /** Members, roles, name or your queued changes to them changed: re-read getConversationInfo. */
  conversationEvent('conversation_info'),
  /**
   * Bytes moved for one attachment (a few times a second at most per transfer). Starting,
   * finishing and failing come as 'messages' events: the view's `transfer` and `localUrl` change.
   */
  conversationEvent('transfer').extend({
    messageId: z.string(),
    index: z.number().int().nonnegative(),
    direction: z.enum(['upload', 'download']),
    transferredBytes: z.number().nonnegative(),
    totalBytes: z.number().nonnegative(),
  }),
  ...CALL_EVENT_SCHEMAS,
  ...GROUP_CALL_EVENT_SCHEMAS,
]);
export type AppEvent = z.infer<typeof appEventSchema>;

// ---------------------------------------------------------------------------------------------
// Errors that cross the contract

export const APP_ERROR_CODES = [
  'invalid_argument', // the call itself is malformed (also: unknown method)
  'not_signed_in',
  'offline', // needs the server and there is no connection
  'not_found',
  'conflict',
  'unauthorized', // wrong username or password, or the session was revoked
  'refused', // the server said no for another reason
  'rate_limited', // the server is busy, or this was tried too often: try again later
  'too_many_devices', // signing in: the account is signed in on as many devices as it may be
  'disk_full', // nothing could be written: no space left on the disk (what was typed is not stored)
  'internal',
] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export class AppApiError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppApiError';
  }
}

/** The serialised form of an AppApiError (what crosses IPC or the bridge). */
export interface AppErrorPayload {
  code: AppErrorCode;
  message: string;
}

export function isAppErrorPayload(value: unknown): value is AppErrorPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AppErrorPayload).message === 'string' &&
    (APP_ERROR_CODES as readonly string[]).includes((value as AppErrorPayload).code)
  );
}
