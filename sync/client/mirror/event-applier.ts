import { z } from 'zod';
import {
  appliedClientIdOf,
  changeEventSchema,
  type AppliedEvent,
  type ChangeEvent,
  type MessageEvent,
} from '../../content/opened-events.js';
import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
import type { ConversationKind } from '../../protocol/frames.js';
import type { Content, OpenedContent } from '../../content/content.js';
import { changeOfEvent, eventOfContent, eventOfDeletedEnvelope } from '../../content/events.js';
import { refuseContent } from '../../content/rules.js';
import { contentSender, contentTarget } from './content-facts.js';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';
import { AttachmentStore } from './attachments.js';
import { noteNewMessages, refreshLastMessage } from './conversation-stats.js';
import { applyMembershipEvent, refreshMembership } from './membership.js';
import { storeCallEntry } from './call-entries.js';
import { forgetResendRequest } from './resend-requests.js';
import { forgetSentContent } from './sent-content.js';
import { outboxRowArrived, voidQueuedChanges } from './outbox-store.js';
import { applyMessageState, purgeMessageState, storePoll } from './message-state.js';
import { storeLocation } from './location-state.js';
import { storeSticker } from './sticker-state.js';
import { applyDisappearingSetting, expireNow, hasDisappeared } from './disappearing.js';
import type { SearchNotes } from './search.js';

/**
 * How one event (the server's, or what an opened envelope said) changes the mirror. Every rule here is order-independent, so devices that
 * see the same events end in the same state whatever order they applied them in:
 * - a message is inserted once (by its id); a later copy only fills in its seq and state;
 * - edits are last-writer-wins by seq; a delete is absorbing (text, versions and reactions go);
 * - reactions are last-writer-wins by seq per (message, person, emoji);
 * - pins are last-writer-wins by seq per message; a deleted message is not pinned;
 * - a change whose message is not here yet is held, and applied when the message arrives.
 * - an envelope is kept by its seq until it is opened; deleted for everyone first, it is a deleted
 *   message, and no copy from before brings it back.
 * Callers run this inside the transaction that also moves the conversation's cursor.
 */
/** State shared by the events of one batch, so per-event work stays minimal during a catch-up. */
export interface ApplyBatch {
  selfId: string;
  conversationId: string;
  /** Whether held changes may exist for this conversation (one query per batch, not per message). */
  mayHaveHeld: boolean;
  /**
   * Whether our outbox may hold rows of this conversation (one query per batch): in a catch-up
   * half the events may be our own, from other devices, and none has a row here to drop.
   */
  mayHaveQueued: boolean;
  /**
   * Whether envelopes of this conversation may be waiting here for a key, or asked for again (one
   * query per batch): in a catch-up none is, and forgetting each envelope opened would cost two
   * deletes.
   */
  mayHaveWaiting: boolean;
  /** The conversation's kind, read once per batch (undefined: not here yet). */
  conversationKind: ConversationKind | undefined;
  /** Newest message time seen in the batch; written to the conversation once, at the end. */
  lastActivityAt: number;
  /** Seq range of the messages (and calls' entries) stored in this batch; 0 when none. */
  firstMessageSeq: number;
  lastMessageSeq: number;
  /** Seqs of the messages from someone else (and calls missed) stored in this batch: the unread count is counted from them, not read back. */
  incomingSeqs: number[];
  /**
   * Local ids of messages from someone else whose text, as stored or edited in this batch, has an
   * "@": the only ones whose mentions of us the batch asks SQLite about.
   */
  mentionCandidates: number[];
  /** The newest message from someone else in the batch (0: none): it may bring the conversation back from the archive. */
  lastIncomingSeq: number;
  /** A message of ours (from any device) was applied: a message request here is answered (request-rules.ts). */
  wroteHere: boolean;
  /** An edit or delete was applied: the newest message's preview may have changed. */
  changedMessages: boolean;
  /** A message from someone else with a disappearing timer was stored: read already, its timer starts. */
  storedTimed: boolean;
  /** A membership event was applied: the member count and our own standing may have changed. */
  changedMembers: boolean;
  /** Our own group's creation arrived: settings that waited for the server to know the group may go. */
  createdByUs: boolean;
  /**
   * Events applied in seq order from the cursor on. Then a change's message, which always has a
   * lower seq, is here unless it was never ours to see (sent before we joined the group): such a
   * change is dropped rather than held for a message that will never come. Out of order (our own
   * change acknowledged ahead of a catch-up), a change whose message is missing is held.
   */
  inOrder: boolean;
  /** Told of every message whose text, deletion or files an event may change. */
  search: SearchNotes;
  /** What opened of the batch's envelopes, by seq (crypto/envelope-opener.ts); the rest wait. */
  opened: OpenedContent;
  /** Envelopes this device sealed that took effect here already (crypto/run-applier.ts): nothing is kept of them. */
  held: ReadonlySet<number>;
}

export function beginBatch(
  db: Db,
  conversationId: string,
  selfId: string,
  inOrder: boolean,
  search: SearchNotes,
  sealed: { opened: OpenedContent; held?: ReadonlySet<number> } = { opened: NOTHING_OPENED },
): ApplyBatch {
  const held = cachedStatement(db, 'SELECT 1 FROM held_events WHERE conversation_id = ? LIMIT 1').get(conversationId);
  const queued = cachedStatement(db, 'SELECT 1 FROM outbox WHERE conversation_id = ? LIMIT 1').get(conversationId);
  const waiting = cachedStatement(
    db,
    `SELECT 1 FROM envelopes_waiting WHERE conversation_id = ?
     UNION ALL SELECT 1 FROM resend_requests WHERE conversation_id = ? LIMIT 1`,
  ).get(conversationId, conversationId);
  const kind = cachedValueStatement(db, 'SELECT kind FROM conversations WHERE id = ?').get(conversationId) as
    ConversationKind | undefined;
  return {
    selfId,
    conversationId,
    conversationKind: kind,
    mayHaveHeld: held !== undefined,
    mayHaveQueued: queued !== undefined,
    mayHaveWaiting: waiting !== undefined,
    lastActivityAt: 0,
    firstMessageSeq: 0,
    lastMessageSeq: 0,
    incomingSeqs: [],
    mentionCandidates: [],
    lastIncomingSeq: 0,
    wroteHere: false,
    changedMessages: false,
    storedTimed: false,
    changedMembers: false,
    createdByUs: false,
    inOrder,
    search,
    opened: sealed.opened,
    held: sealed.held ?? NOTHING_HELD,
  };
}

const NOTHING_OPENED: OpenedContent = new Map();
const NOTHING_HELD: ReadonlySet<number> = new Set();

/**
 * Writes what the batch changed about the conversation as a whole. Returns the seq of the message
 * that brought an archived, unmuted conversation back to the main list (the caller records that
 * as a settings write), or null.
 */
export function finishBatch(db: Db, batch: ApplyBatch): number | null {
  if (batch.changedMembers) refreshMembership(db, batch.conversationId, batch.selfId);
  // Writing in a request accepts it, as the server sees it too (it names who a request came from
  // only until the person writes there), whichever device wrote.
  if (batch.wroteHere) {
    cachedStatement(db, 'UPDATE conversations SET request_from = NULL WHERE id = ? AND request_from IS NOT NULL').run(
      batch.conversationId,
    );
  }
  if (batch.lastMessageSeq === 0) {
    if (batch.changedMessages) refreshLastMessage(db, batch.conversationId);
    return null;
  }
  // One write of the row per batch, whatever its size: the newest message and the archive check ride on it.
  const row = noteNewMessages(db, {
    conversationId: batch.conversationId,
    selfId: batch.selfId,
    fromSeq: batch.firstMessageSeq,
    toSeq: batch.lastMessageSeq,
    at: batch.lastActivityAt,
    incomingSeq: batch.lastIncomingSeq,
    incomingSeqs: batch.incomingSeqs,
    mentionCandidates: batch.mentionCandidates,
  });
  const back = row !== undefined && batch.lastIncomingSeq > 0 && row.archived === 1 && row.muted === 0;
  return back && row.last_incoming_seq > row.archived_seq ? row.last_incoming_seq : null;
}

export function applyEvent(db: Db, event: AppliedEvent, batch: ApplyBatch): void {
  switch (event.kind) {
    case 'message':
      storeMessage(db, event, batch);
      batch.lastActivityAt = Math.max(batch.lastActivityAt, event.sentAt);
      batch.firstMessageSeq = batch.firstMessageSeq === 0 ? event.seq : Math.min(batch.firstMessageSeq, event.seq);
      batch.lastMessageSeq = Math.max(batch.lastMessageSeq, event.seq);
      if (event.senderId !== batch.selfId) {
        batch.lastIncomingSeq = Math.max(batch.lastIncomingSeq, event.seq);
        batch.incomingSeqs.push(event.seq);
      } else {
        batch.wroteHere = true;
      }
      if (batch.mayHaveHeld) releaseHeld(db, event.conversationId, event.clientMessageId, batch);
      break;
    case 'edit':
    case 'delete':
      if (!applyChange(db, event, !batch.inOrder, batch)) batch.mayHaveHeld ||= !batch.inOrder;
      else batch.changedMessages = true;
      break;
    case 'reaction':
    case 'pin':
    case 'message_state':
      // Reactions, pins and votes change neither the text nor the search index.
      if (!applyChange(db, event, !batch.inOrder, batch)) batch.mayHaveHeld ||= !batch.inOrder;
      break;
    case 'group_created':
    case 'members_added':
    case 'member_removed':
    case 'member_left':
    case 'group_renamed':
    case 'role_changed':
      applyMembershipEvent(db, event);
      batch.changedMembers = true;
      if (event.kind === 'group_created' && event.senderId === batch.selfId) batch.createdByUs = true;
      break;
    case 'disappearing_timer_set':
    case 'disappearing_policy_set':
      applyDisappearingSetting(db, event);
      break;
    case 'call_ended': {
      const stored = storeCallEntry(db, event, batch.selfId);
      if (!stored) break;
      // The conversation moves up as for a message; a missed call is unread, and counted with them.
      batch.lastActivityAt = Math.max(batch.lastActivityAt, stored.at);
      batch.firstMessageSeq = batch.firstMessageSeq === 0 ? stored.seq : Math.min(batch.firstMessageSeq, stored.seq);
      batch.lastMessageSeq = Math.max(batch.lastMessageSeq, stored.seq);
      if (stored.missed) {
        batch.lastIncomingSeq = Math.max(batch.lastIncomingSeq, stored.seq);
        batch.incomingSeqs.push(stored.seq);
      }
      break;
    }
    case 'envelope': {
      // The server counts any envelope as writing (it cannot tell a reaction from a message), so
      // one of ours, whatever it holds, answers a request here as it does there.
      if (event.senderId === batch.selfId) batch.wroteHere = true;
      const content = batch.opened.get(event.seq);
      if (content) {
        applyOpened(db, event, content, batch);
        break;
      }
      // This device sealed it, and it took effect here when the server acknowledged it.
      if (batch.held.has(event.seq)) break;
      if (event.deleted && event.expiresInMs) {
        // Purged by the server once its timer ran for everyone: gone here too, never shown.
        forgetEnvelope(db, event.conversationId, event.seq, batch);
        expireNow(db, batch.search, event.conversationId, event.clientId);
        batch.changedMessages = true;
        break;
      }
      if (event.deleted) {
        // Deleted for everyone before it was opened here (or, this device's own, before its answer
        // was recorded): a deleted message, as on the devices that opened it first.
        forgetEnvelope(db, event.conversationId, event.seq, batch);
        applyEvent(db, eventOfDeletedEnvelope(event), batch);
        break;
      }
      // A copy from before its delete, met after it (past a gap copies come in any order).
      if (isDeleted(db, event.conversationId, event.clientId)) break;
      storeEnvelope(db, event);
      break;
    }
    default: {
      const unknown: never = event;
      throw new Error(`Cannot apply an event of kind ${(unknown as { kind: string }).kind}`);
    }
  }
  if (event.senderId === batch.selfId && batch.mayHaveQueued) {
    // Ours, from this device or another: whatever was queued under this id has arrived. (A
    // group's creation is queued under the conversation's id.)
    outboxRowArrived(db, appliedClientIdOf(event));
  }
}

/**
 * Opened content takes effect as the event it says, unless the rules refuse it (then every device
 * drops it alike), judged by the mirror as it stands at this seq.
 */
function applyOpened(db: Db, envelope: EnvelopeEvent, content: Content, batch: ApplyBatch): void {
  forgetEnvelope(db, envelope.conversationId, envelope.seq, batch);
  const sender = contentSender(db, envelope, content, batch.conversationKind);
  const target = contentTarget(db, envelope.conversationId, envelope.senderId, content);
  const refusal = refuseContent(content, sender, target);
  if (refusal === 'no_such_message' && hasWaitingEnvelopes(db, envelope.conversationId)) {
    // Its message may be in an envelope still waiting for its key: held until that opens, and
    // judged then (releaseHeld).
    holdChange(db, eventOfContent(envelope, content) as ChangeEvent);
    return;
  }
  if (refusal !== null) {
    // Refused alike on every device, this one included: what it queued is done with.
    if (envelope.senderId === batch.selfId) cachedStatement(db, 'DELETE FROM outbox WHERE client_id = ?').run(envelope.clientId);
    return;
  }
  applyEvent(db, eventOfContent(envelope, content), batch);
}

/** Keeps an envelope until it is opened (envelopes_waiting); a copy kept already stays as it is. */
function storeEnvelope(db: Db, event: EnvelopeEvent): void {
  cachedStatement(
    db,
    `INSERT INTO envelopes_waiting (conversation_id, seq, sender_id, sender_device, client_id, ciphertext, attachments, sent_at,
       sender_role)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (conversation_id, seq) DO NOTHING`,
  ).run(
    event.conversationId,
    event.seq,
    event.senderId,
    event.senderDevice,
    event.clientId,
    event.ciphertext,
    JSON.stringify(event.attachments),
    event.sentAt,
    event.senderRole ?? null,
  );
}

/** The envelope at `seq` opened, or was deleted for everyone: it waits no more, nor is it asked for. */
function forgetEnvelope(db: Db, conversationId: string, seq: number, batch: ApplyBatch): void {
  if (!batch.mayHaveWaiting) return;
  cachedStatement(db, 'DELETE FROM envelopes_waiting WHERE conversation_id = ? AND seq = ?').run(conversationId, seq);
  forgetResendRequest(db, conversationId, seq);
}

/** Stores a message (or fills in our own copy's seq) and notes it for the search index. */
function storeMessage(db: Db, event: MessageEvent, batch: ApplyBatch): void {
  // Gone here already (its timer ran out): a late copy does not bring it back.
  if (event.expiresInMs && hasDisappeared(db, event.conversationId, event.clientMessageId)) return;
  // Our own while rows of the conversation are queued: most likely written here, so acknowledged.
  const ownQueued = event.senderId === batch.selfId && batch.mayHaveQueued;
  const existing = ownQueued ? storedCopy(db, event) : undefined;
  if (existing) {
    fillInCopy(db, event, existing, batch.search, batch.selfId);
  } else {
    // A plain insert (the common case: new to this mirror) hands over the local id, so the index
    // needs no lookup for it; positional parameters, as binding by name costs a lookup each.
    const inserted = cachedStatement(
      db,
      `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, sent_at, reply_to,
         deleted, forwarded_from, link_preview, expires_in_ms, expires_at)
       VALUES (?, ?, ?, ?, ?, 'sent', ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id, client_message_id) DO NOTHING`,
    ).run(
      event.conversationId,
      event.clientMessageId,
      event.senderId,
      event.deleted ? '' : event.text,
      event.seq,
      event.sentAt,
      event.sentAt,
      event.replyTo,
      event.deleted ? 1 : 0,
      event.deleted ? null : (event.forwardedFrom?.name ?? null),
      event.deleted || !event.linkPreview ? null : JSON.stringify(event.linkPreview),
      event.expiresInMs ?? null,
      // Its author's devices start the timer when the server stored it; others when it is read.
      event.expiresInMs && event.senderId === batch.selfId ? event.sentAt + event.expiresInMs : null,
    );
    if (event.expiresInMs && event.senderId !== batch.selfId) batch.storedTimed = true;
    if (inserted.changes > 0) {
      const localId = Number(inserted.lastInsertRowid);
      batch.search.touchedRow(localId);
      if (event.senderId !== batch.selfId && !event.deleted && event.text.includes('@')) batch.mentionCandidates.push(localId);
    } else {
      const copy = storedCopy(db, event)!;
      fillInCopy(db, event, copy, batch.search, batch.selfId);
      if (event.senderId !== batch.selfId) batch.mentionCandidates.push(copy.local_id);
    }
  }
  if (event.deleted) {
    purge(db, event.conversationId, event.clientMessageId);
  } else if (
    (event.attachments.length > 0 || event.poll || event.location || event.sticker) &&
    !isDeleted(db, event.conversationId, event.clientMessageId)
  ) {
    if (event.attachments.length > 0) {
      new AttachmentStore(db).storeReceived(event.conversationId, event.clientMessageId, event.attachments);
    }
    if (event.poll) {
      const message = { conversationId: event.conversationId, messageId: event.clientMessageId, authorId: event.senderId };
      storePoll(db, { ...message, seq: event.seq }, event.poll);
    }
    if (event.location) {
      const message = { conversationId: event.conversationId, messageId: event.clientMessageId, authorId: event.senderId };
      storeLocation(db, { ...message, seq: event.seq }, event.location);
    }
    if (event.sticker) {
      const message = { conversationId: event.conversationId, messageId: event.clientMessageId, authorId: event.senderId };
      storeSticker(db, { ...message, seq: event.seq }, event.sticker);
    }
  }
}

interface StoredCopy {
  local_id: number;
  sender_id: string;
  text: string;
  deleted: number;
  edit_seq: number | null;
}

/**
 * The row this message already has here, by its identity in the conversation (the server keeps a
 * messageId unique within its conversation). A row under the same id from someone else is not a
 * copy: storing over it would give one person's message another's words, so it is refused, as the
 * mirror's key refuses a second row.
 */
function storedCopy(db: Db, event: MessageEvent): StoredCopy | undefined {
  const row = cachedStatement(
    db,
    'SELECT local_id, sender_id, text, deleted, edit_seq FROM messages WHERE conversation_id = ? AND client_message_id = ?',
  ).get(event.conversationId, event.clientMessageId) as StoredCopy | undefined;
  if (row && row.sender_id !== event.senderId) {
    throw new Error(`Message ${event.clientMessageId} in ${event.conversationId} is already stored from another sender`);
  }
  return row;
}

/**
 * The server's copy of a message already here (ours, acknowledged; or seen before): it brings the
 * seq, and its word on the forward's author and the preview. Noted for the index only when its
 * text or deletion changes: the index holds every row as it was written.
 */
function fillInCopy(db: Db, event: MessageEvent, copy: StoredCopy, search: SearchNotes, selfId: string): void {
  const live = copy.deleted === 0;
  cachedStatement(
    db,
    `UPDATE messages SET seq = ?, state = 'sent', error = NULL, sent_at = ?,
       forwarded_from = ?, link_preview = ?, text = ?, deleted = ?,
       -- Our own, acknowledged: its timer starts at the time the server stored it.
       expires_at = COALESCE(expires_at, CASE WHEN sender_id = ? THEN ? + expires_in_ms END) WHERE local_id = ?`,
  ).run(
    event.seq,
    event.sentAt,
    live && !event.deleted ? (event.forwardedFrom?.name ?? null) : null,
    live && !event.deleted && event.linkPreview ? JSON.stringify(event.linkPreview) : null,
    // An edit or delete applied earlier (held, or acknowledged out of order) must survive.
    copy.edit_seq === null && live ? (event.deleted ? '' : event.text) : copy.text,
    live && !event.deleted ? 0 : 1,
    selfId,
    event.sentAt,
    copy.local_id,
  );
  const text = copy.edit_seq === null && live ? (event.deleted ? '' : event.text) : copy.text;
  if (text !== copy.text || (live && event.deleted)) search.touchedRow(copy.local_id);
}

/** A copy of a message arriving after its delete was applied must not bring its files back. */
function isDeleted(db: Db, conversationId: string, messageId: string): boolean {
  const row = cachedStatement(db, 'SELECT deleted FROM messages WHERE conversation_id = ? AND client_message_id = ?').get(
    conversationId,
    messageId,
  ) as { deleted: number } | undefined;
  return row?.deleted === 1;
}

interface Target {
  local_id: number;
  sender_id: string;
  text: string;
  seq: number | null;
  deleted: number;
  edit_seq: number | null;
  sent_at: number | null;
  created_at: number;
}

/**
 * Applies a change to its message; false when the message is not here (then held, if `hold`). Out
 * of order, our own message not acknowledged yet counts as not here: a change acknowledged ahead
 * of it (pipelined sends whose earlier answer was lost) waits for its seq, so an edit's history
 * starts from the text the server stored.
 */
function applyChange(db: Db, event: ChangeEvent, hold: boolean, batch: ApplyBatch): boolean {
  const { search } = batch;
  const target = cachedStatement(
    db,
    'SELECT local_id, sender_id, text, seq, deleted, edit_seq, sent_at, created_at FROM messages WHERE conversation_id = ? AND client_message_id = ?',
  ).get(event.conversationId, event.messageId) as Target | undefined;
  if (!target || (hold && target.seq === null)) {
    if (hold) holdChange(db, event);
    return false;
  }
  switch (event.kind) {
    case 'edit':
      applyEdit(db, event, target);
      search.touchedRow(target.local_id);
      if (target.sender_id !== batch.selfId && event.text.includes('@')) batch.mentionCandidates.push(target.local_id);
      return true;
    case 'delete':
      search.touchedRow(target.local_id);
      // By the row the lookup found: a second probe of the (conversation, message id) index is not needed.
      cachedStatement(
        db,
        `UPDATE messages SET deleted = 1, text = '', edit_seq = NULL, edited_at = NULL, forwarded_from = NULL, link_preview = NULL, reply_to = NULL
         WHERE local_id = ?`,
      ).run(target.local_id);
      purge(db, event.conversationId, event.messageId);
      forgetSentContent(db, event.conversationId, event.messageId);
      voidQueuedChanges(db, event.conversationId, event.messageId);
      return true;
    case 'reaction':
      if (target.deleted) return true;
      cachedStatement(
        db,
        `INSERT INTO reactions (conversation_id, message_id, user_id, emoji, seq, on_) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (conversation_id, message_id, user_id, emoji) DO UPDATE SET seq = excluded.seq, on_ = excluded.on_
         WHERE excluded.seq > reactions.seq`,
      ).run(event.conversationId, event.messageId, event.senderId, event.emoji, event.seq, event.on ? 1 : 0);
      return true;
    case 'pin':
      if (target.deleted) return true;
      cachedStatement(
        db,
        `INSERT INTO pins (conversation_id, message_id, seq, on_, pinned_by, pinned_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (conversation_id, message_id) DO UPDATE SET
           seq = excluded.seq, on_ = excluded.on_, pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at
         WHERE excluded.seq > pins.seq`,
      ).run(event.conversationId, event.messageId, event.seq, event.on ? 1 : 0, event.senderId, event.sentAt);
      return true;
    case 'message_state':
      if (!target.deleted) applyMessageState(db, event, target.sender_id);
      return true;
  }
}

function applyEdit(db: Db, event: Extract<ChangeEvent, { kind: 'edit' }>, target: Target): void {
  if (target.deleted) return;
  if (target.edit_seq === null && target.seq !== null) {
    // First edit: keep the original as the first version of the history, in the same statement
    // as the edit's own version (one call instead of two for most edits).
    cachedStatement(
      db,
      'INSERT OR IGNORE INTO message_versions (conversation_id, message_id, seq, text, at) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)',
    ).run(
      event.conversationId,
      event.messageId,
      target.seq,
      target.text,
      target.sent_at ?? target.created_at,
      event.conversationId,
      event.messageId,
      event.seq,
      event.text,
      event.sentAt,
    );
  } else {
    cachedStatement(
      db,
      'INSERT OR IGNORE INTO message_versions (conversation_id, message_id, seq, text, at) VALUES (?, ?, ?, ?, ?)',
    ).run(event.conversationId, event.messageId, event.seq, event.text, event.sentAt);
  }
  if (event.seq > (target.edit_seq ?? 0)) {
    cachedStatement(db, 'UPDATE messages SET text = ?, edit_seq = ?, edited_at = ? WHERE local_id = ?').run(
      event.text,
      event.seq,
      event.sentAt,
      target.local_id,
    );
  }
}

/** What "delete for everyone" removes from this mirror besides the text (the bytes go with the next garbage collection). */
function purge(db: Db, conversationId: string, messageId: string): void {
  new AttachmentStore(db).remove(conversationId, messageId);
  cachedStatement(db, 'DELETE FROM message_versions WHERE conversation_id = ? AND message_id = ?').run(conversationId, messageId);
  cachedStatement(db, 'DELETE FROM reactions WHERE conversation_id = ? AND message_id = ?').run(conversationId, messageId);
  cachedStatement(db, 'DELETE FROM pins WHERE conversation_id = ? AND message_id = ?').run(conversationId, messageId);
  purgeMessageState(db, conversationId, messageId);
}

function holdChange(db: Db, event: ChangeEvent): void {
  cachedStatement(db, 'INSERT OR IGNORE INTO held_events (conversation_id, message_id, seq, event) VALUES (?, ?, ?, ?)').run(
    event.conversationId,
    event.messageId,
    event.seq,
    JSON.stringify(event),
  );
}

function hasWaitingEnvelopes(db: Db, conversationId: string): boolean {
  return (
    cachedStatement(db, 'SELECT 1 FROM envelopes_waiting WHERE conversation_id = ? LIMIT 1').get(conversationId) !== undefined
  );
}

/**
 * Applies the changes held for a message that has now arrived, each judged by the rules first: one
 * held for want of its message was never judged (the author of an edit is known only now).
 */
function releaseHeld(db: Db, conversationId: string, messageId: string, batch: ApplyBatch): void {
  const held = cachedStatement(
    db,
    'SELECT seq, event FROM held_events WHERE conversation_id = ? AND message_id = ? ORDER BY seq',
  ).all(conversationId, messageId) as { seq: number; event: string }[];
  if (held.length === 0) return;
  cachedStatement(db, 'DELETE FROM held_events WHERE conversation_id = ? AND message_id = ?').run(conversationId, messageId);
  for (const row of held) {
    const event = heldEvent(row.event);
    const change = changeOfEvent(event);
    const refusal = refuseContent(
      change,
      contentSender(db, { conversationId, senderId: event.senderId, seq: event.seq }, change),
      contentTarget(db, conversationId, event.senderId, change),
    );
    if (refusal === null) applyChange(db, event, true, batch);
  }
}

/** A held change as stored: checked against its schema, never taken on trust. */
function heldEvent(json: string): ChangeEvent {
  const parsed = changeEventSchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`A held event in the mirror is malformed: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
