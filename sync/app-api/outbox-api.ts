/**
 * The app API's calls about the outbox inspector: what is queued to go, per conversation, with its
 * state, attempts and last error, and "Retry now" / "Discard" for one item
 * (client/outbox-inspector.ts). Declared here and spread into contract.ts, as polls-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import type { AttachmentKind } from '../protocol/attachments.js';
import { LIMITS } from '../protocol/limits.js';
import type { RefusalReason } from '../protocol/refusal-reasons.js';
import type { TransferError } from './transfer-errors.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);
const none = z.object({}).strict();

export const outboxApiArgs = {
  /**
   * Everything in the outbox (see OutboxListing): per conversation, in the order it will be sent,
   * with its state, attempts, last error and next retry. Works offline.
   */
  listOutbox: none,
  /**
   * "Retry now": a queued item goes at once (its backoff, and that of the items ahead of it in its
   * conversation, is cleared; a connection waiting to reconnect tries now unless working offline);
   * a refused one is queued again as retryMessage / retryChange do.
   */
  retryOutboxItem: z.object({ id }).strict(),
  /**
   * "Discard": takes the item out of the outbox and out of the conversation, as discardMessage /
   * discardChange do, refused (conflict) while it is on the wire. An item that went out before
   * without an answer may have been stored by the server: then it comes back with the next
   * catch-up as sent, since this device follows the server.
   */
  discardOutboxItem: z.object({ id }).strict(),
} as const;

export interface OutboxApiResults {
  listOutbox: OutboxListing;
  retryOutboxItem: null;
  discardOutboxItem: null;
}

/** What an outbox item does, declared once (outbox-inspector.ts maps every queued row to one). */
export const OUTBOX_ITEM_KINDS = [
  'message',
  'forward',
  'edit',
  'delete',
  'add_reaction',
  'remove_reaction',
  'pin',
  'unpin',
  'create_conversation',
  'add_members',
  'remove_member',
  'leave_group',
  'rename_group',
  'set_role',
  /** A call's entry in the conversation (issue 32), written by the caller's device when the call ended. */
  'call',
  /** A vote on a poll (its text is the poll's question), and a poll's end (issue 33). */
  'vote',
  'end_poll',
  /** A live location's move, and its end (issue 33). */
  'move_location',
  'stop_location',
  /** The conversation's disappearing-message timer, and a group's choice of who may set it. */
  'set_disappearing_timer',
  'set_disappearing_policy',
] as const;
export type OutboxItemKind = (typeof OUTBOX_ITEM_KINDS)[number];

/**
 * Where an outbox item stands: not yet tried or behind an earlier item of its conversation
 * ('queued'), on the wire ('sending'), waiting for the connection, for its files to finish
 * uploading, or for its next retry after a failure that may pass; or refused by the server
 * ('failed': it stays until retried or discarded).
 */
export const OUTBOX_ITEM_STATES = [
  'queued',
  'sending',
  'waiting_for_connection',
  'waiting_for_upload',
  'waiting_to_retry',
  'failed',
] as const;
export type OutboxItemState = (typeof OUTBOX_ITEM_STATES)[number];

/**
 * Why the last attempt did not get through, when it was not a refusal with a reason: the
 * connection dropped, no answer came in time, the server asked to wait, or it failed for a moment.
 * 'refused': refused for a reason this version has no code for; 'unknown': a failure recorded
 * by an older version, in words. A refusal has its reason code (REFUSAL_REASONS), a file that
 * could not be read for upload its transfer error (TRANSFER_ERRORS).
 */
export const OUTBOX_ERRORS = ['disconnected', 'timeout', 'rate_limited', 'server_error', 'refused', 'unknown'] as const;
export type OutboxError = (typeof OUTBOX_ERRORS)[number] | RefusalReason | TransferError;

/** One queued item. Text is plain text, never markup. */
export interface OutboxItemView {
  /** The item's client id: a message's id for a message, the change's id otherwise. */
  id: string;
  conversationId: string;
  /** The conversation's name as the list shows it (the other person in a direct one). */
  conversationName: string;
  kind: OutboxItemKind;
  /**
   * A short preview (at most OUTBOX_PREVIEW_CHARS): the message's text, an edit's new text, the
   * text of the message a delete, reaction or pin is about, a group's (new) name; '' when there is
   * none here.
   */
  text: string;
  /** A message's files, in order (a forward's too). */
  files: { name: string; kind: AttachmentKind }[];
  /** The people a group change (or a new conversation) is about, by display name. */
  people: string[];
  /** The emoji of a reaction; null otherwise. */
  emoji: string | null;
  state: OutboxItemState;
  /** How many times it went on the wire. */
  attempts: number;
  lastError: OutboxError | null;
  /** With 'waiting_to_retry': when it goes next (ms since the epoch); null otherwise. */
  nextRetryAt: number | null;
}

/** At most this many characters of text in an outbox item's preview. */
export const OUTBOX_PREVIEW_CHARS = 160;
/** At most this many items in one listing: enough to see what is stuck, little enough to show at once. */
export const OUTBOX_LIST_LIMIT = 500;

/** The outbox: the first OUTBOX_LIST_LIMIT items, per conversation (oldest first) in send order. */
export interface OutboxListing {
  items: OutboxItemView[];
  /** How many items the outbox holds in all (more than `items` when it is longer than the limit). */
  total: number;
}
