import type {
  ConversationInfo,
  ConversationSummary,
  MessageInfo,
  MessagePage,
  EditHistoryEntry,
  MessageStatus,
  MessageView,
  PinnedMessageView,
  QuoteView,
  ReactionView,
} from '../../app-api/contract.js';
import { linkPreviewSchema, type LinkPreview } from '../../protocol/frames.js';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';
import type { AttachmentStore } from './attachments.js';
import type { OutboxStore, QueuedChange } from './outbox-store.js';
import { ConversationList, type Folder } from './conversation-list.js';
import { conversationInfo, messageInfo, noticesBetween, othersWatermarks } from './group-views.js';
import { pollViews } from './message-state.js';
import { locationViews } from './location-state.js';
import { stickerViews } from './sticker-state.js';

/**
 * What the renderer reads: the mirror's acknowledged state with this device's queued changes laid
 * over it. Queued changes are never written into the acknowledged state, so a refused one simply
 * stops showing, and the authoritative text is never lost.
 */
export class MirrorViews {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxStore,
    private readonly attachments: AttachmentStore,
  ) {
    this.list = new ConversationList(db);
  }

  private readonly list: ConversationList;

  conversationSummaries(selfId: string, onlyId?: string, folder: Folder = 'all'): ConversationSummary[] {
    return this.list.summaries(selfId, onlyId, folder);
  }

  /** One screen of the conversation list (see ConversationList.page). */
  conversationPage(
    selfId: string,
    limit: number,
    after?: { lastActivityAt: number; id: string },
    folder: Folder = 'all',
  ): ConversationSummary[] {
    return this.list.page(selfId, limit, after, folder);
  }

  /**
   * The conversation's pinned messages, the most recently pinned first: our queued pins (newest
   * first, `pending`) ahead of the acknowledged ones (by the seq of their pin); our queued unpins
   * and deletes applied. `now` dates a queued pin whose id carries no time.
   */
  pinnedMessages(conversationId: string, selfId: string, now: number): PinnedMessageView[] {
    const acknowledged = cachedStatement(
      this.db,
      `SELECT p.message_id, p.pinned_by, p.pinned_at, u.display_name AS pinned_by_name FROM pins p
         LEFT JOIN users u ON u.id = p.pinned_by
       WHERE p.conversation_id = ? AND p.on_ = 1 ORDER BY p.seq DESC`,
    ).all(conversationId) as { message_id: string; pinned_by: string; pinned_at: number; pinned_by_name: string | null }[];
    const queued = this.outbox.queuedChanges(conversationId);
    const selfName =
      (
        cachedStatement(this.db, 'SELECT display_name FROM users WHERE id = ?').get(selfId) as
          { display_name: string } | undefined
      )?.display_name ?? '';
    // Our queued pins and unpins in order: the last one of each message is what shows.
    const ours = new Map<string, { on: boolean; at: number }>();
    for (const change of queued) {
      if (change.kind !== 'pin' || change.status !== 'pending') continue;
      ours.delete(change.messageId);
      ours.set(change.messageId, { on: change.on === true, at: timeOfId(change.clientId) ?? now });
    }
    const order: { messageId: string; by: string; at: number; pending: boolean }[] = [];
    for (const [messageId, pin] of [...ours.entries()].reverse()) {
      if (pin.on) order.push({ messageId, by: selfName, at: pin.at, pending: true });
    }
    for (const row of acknowledged) {
      if (ours.has(row.message_id)) continue;
      order.push({ messageId: row.message_id, by: row.pinned_by_name ?? '', at: row.pinned_at, pending: false });
    }
    if (order.length === 0) return [];
    const ids = order.map((entry) => entry.messageId);
    const rows = cachedStatement(
      this.db,
      `${MESSAGE_SELECT} WHERE m.conversation_id = @conversation AND m.client_message_id IN (SELECT value FROM json_each(@ids))`,
    ).all({ conversation: conversationId, ids: JSON.stringify(ids) }) as MessageRow[];
    const byId = new Map(rows.map((row) => [row.client_message_id, row]));
    const attachments = this.attachments.views(conversationId, ids);
    const pinned: PinnedMessageView[] = [];
    for (const entry of order) {
      const row = byId.get(entry.messageId);
      if (!row) continue;
      const overlay = overlayFor(row, queued);
      if (overlay.deleted) continue;
      const first = attachments.get(entry.messageId)?.[0];
      pinned.push({
        messageId: entry.messageId,
        seq: row.seq,
        senderName: row.sender_name ?? '',
        text: overlay.text,
        attachment: first ? { kind: first.kind, name: first.name } : null,
        pinnedBy: entry.by,
        pinnedAt: entry.at,
        pending: entry.pending,
      });
    }
    return pinned;
  }

  /**
   * `limit` acknowledged messages before `beforeSeq` (or the newest ones), in display order; the
   * newest page also carries every unsent message after them.
   */
  /**
   * A page of a conversation's messages, oldest first: the newest `limit` (with the unsent ones
   * after them), or those just before `beforeSeq`, just after `afterSeq`, or around a message.
   */
  messagePage(
    conversationId: string,
    selfId: string,
    limit: number,
    from: {
      beforeSeq?: number | undefined;
      afterSeq?: number | undefined;
      aroundMessageId?: string | undefined;
      aroundSeq?: number | undefined;
    } = {},
  ): MessagePage {
    const params = { self: selfId, conversation: conversationId };
    const older = (beforeSeq: number, count: number) =>
      cachedStatement(
        this.db,
        `${MESSAGE_SELECT} WHERE m.conversation_id = @conversation AND m.seq IS NOT NULL AND m.seq < @before
         ORDER BY m.seq DESC LIMIT @limit`,
      ).all({ ...params, before: beforeSeq, limit: count + 1 }) as MessageRow[];
    const newer = (afterSeq: number, count: number) =>
      cachedStatement(
        this.db,
        `${MESSAGE_SELECT} WHERE m.conversation_id = @conversation AND m.seq IS NOT NULL AND m.seq > @after
         ORDER BY m.seq LIMIT @limit`,
      ).all({ ...params, after: afterSeq, limit: count + 1 }) as MessageRow[];

    const anchorSeq =
      from.aroundMessageId !== undefined ? this.seqOf(conversationId, from.aroundMessageId) : (from.aroundSeq ?? null);
    let before: MessageRow[] = [];
    let after: MessageRow[] = [];
    let hasOlder: boolean;
    let hasNewer: boolean;
    if (anchorSeq !== null) {
      // The anchor and what follows it take the newer half; the older half comes before it.
      const olderCount = Math.floor(limit / 2);
      const rows = older(anchorSeq, olderCount);
      hasOlder = rows.length > olderCount;
      before = rows.slice(0, olderCount).reverse();
      const rest = newer(anchorSeq - 1, limit - olderCount);
      hasNewer = rest.length > limit - olderCount;
      after = rest.slice(0, limit - olderCount);
    } else if (from.afterSeq !== undefined) {
      const rows = newer(from.afterSeq, limit);
      hasNewer = rows.length > limit;
      after = rows.slice(0, limit);
      hasOlder = this.anySeq(conversationId, 'm.seq <= ?', from.afterSeq);
    } else {
      // The newest page, or (beforeSeq) older history; an unsent anchor is on the newest page.
      const rows = older(from.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit);
      hasOlder = rows.length > limit;
      before = rows.slice(0, limit).reverse();
      hasNewer = from.beforeSeq !== undefined && this.anySeq(conversationId, 'm.seq >= ?', from.beforeSeq);
    }
    const pending = hasNewer
      ? []
      : (cachedStatement(
          this.db,
          `${MESSAGE_SELECT} WHERE m.conversation_id = @conversation AND m.seq IS NULL ORDER BY m.local_id`,
        ).all(params) as MessageRow[]);
    const stored = [...before, ...after];
    // Notices in the same stretch: from the oldest message shown (or the start, when that is all
    // there is) up to the newest shown (or on, when that is the newest there is).
    const fromSeq = hasOlder ? (stored[0]?.seq ?? 0) : 0;
    const lastShown = stored.at(-1)?.seq ?? 0;
    const toSeq = hasNewer
      ? lastShown + 1
      : from.beforeSeq !== undefined && anchorSeq === null
        ? from.beforeSeq
        : Number.MAX_SAFE_INTEGER;
    const notices = noticesBetween(this.db, conversationId, fromSeq, toSeq, selfId);
    const readSeq = (
      cachedStatement(this.db, 'SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?').get(
        conversationId,
        selfId,
      ) as { read_seq: number } | undefined
    )?.read_seq;
    // Your own messages are never unread: the first unread is the first from someone else past the watermark.
    const firstUnread = cachedStatement(
      this.db,
      `SELECT MIN(seq) AS seq FROM messages
         WHERE conversation_id = ? AND seq > ? AND sender_id <> ?`,
    ).get(conversationId, readSeq ?? 0, selfId) as { seq: number | null } | undefined;
    return {
      messages: this.toViews(conversationId, [...stored, ...pending], selfId),
      notices,
      hasOlder,
      hasNewer,
      readSeq: readSeq ?? 0,
      firstUnreadSeq: firstUnread?.seq ?? null,
    };
  }

  /** The seq of a stored message; null when it is not here or not acknowledged yet. */
  private seqOf(conversationId: string, messageId: string): number | null {
    const row = cachedStatement(this.db, 'SELECT seq FROM messages WHERE conversation_id = ? AND client_message_id = ?').get(
      conversationId,
      messageId,
    ) as { seq: number | null } | undefined;
    return row?.seq ?? null;
  }

  private anySeq(conversationId: string, condition: string, seq: number): boolean {
    return (
      (
        cachedStatement(
          this.db,
          `SELECT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = ? AND m.seq IS NOT NULL AND ${condition}) AS any`,
        ).get(conversationId, seq) as { any: number }
      ).any === 1
    );
  }

  messageView(conversationId: string, messageId: string, selfId: string): MessageView | null {
    const row = cachedStatement(
      this.db,
      `${MESSAGE_SELECT} WHERE m.conversation_id = @conversation AND m.client_message_id = @id`,
    ).get({ self: selfId, conversation: conversationId, id: messageId }) as MessageRow | undefined;
    return row ? (this.toViews(conversationId, [row], selfId)[0] ?? null) : null;
  }

  conversationInfo(conversationId: string, selfId: string, isOnline: (userId: string) => boolean): ConversationInfo | null {
    return conversationInfo(this.db, this.outbox, conversationId, selfId, isOnline);
  }

  /** null when the message is not in this conversation. */
  messageInfo(conversationId: string, messageId: string, selfId: string): MessageInfo | null {
    const row = cachedStatement(this.db, 'SELECT seq FROM messages WHERE conversation_id = ? AND client_message_id = ?').get(
      conversationId,
      messageId,
    ) as { seq: number | null } | undefined;
    return row ? messageInfo(this.db, conversationId, row.seq, selfId) : null;
  }

  editHistory(conversationId: string, messageId: string): EditHistoryEntry[] {
    const message = cachedStatement(
      this.db,
      'SELECT text, deleted, sent_at, created_at FROM messages WHERE conversation_id = ? AND client_message_id = ?',
    ).get(conversationId, messageId) as { text: string; deleted: number; sent_at: number | null; created_at: number } | undefined;
    if (!message || message.deleted) return [];
    const versions = cachedStatement(
      this.db,
      'SELECT text, at FROM message_versions WHERE conversation_id = ? AND message_id = ? ORDER BY seq',
    ).all(conversationId, messageId) as EditHistoryEntry[];
    return versions.length > 0 ? versions : [{ text: message.text, at: message.sent_at ?? message.created_at }];
  }

  private toViews(conversationId: string, rows: MessageRow[], selfId: string): MessageView[] {
    if (rows.length === 0) return [];
    const queued = this.outbox.queuedChanges(conversationId);
    const reactions = this.reactionsOf(
      conversationId,
      rows.map((row) => row.client_message_id),
    );
    const quotes = this.quotesFor(conversationId, rows, selfId, queued);
    const attachments = this.attachments.views(
      conversationId,
      rows.map((row) => row.client_message_id),
    );
    const others = othersWatermarks(this.db, conversationId, selfId);
    const pinned = this.pinnedAmong(
      conversationId,
      rows.map((row) => row.client_message_id),
      queued,
    );
    const messageIds = rows.map((row) => row.client_message_id);
    // This device's queued votes, ends, moves and stops, read once for the page.
    const queuedStates = this.outbox.queuedStates(conversationId);
    const polls = pollViews(this.db, conversationId, messageIds, selfId, queuedStates);
    const locations = locationViews(this.db, conversationId, messageIds, queuedStates);
    const stickers = stickerViews(this.db, conversationId, messageIds);
    const isMember =
      (
        cachedStatement(this.db, 'SELECT is_member FROM conversations WHERE id = ?').get(conversationId) as
          { is_member: number } | undefined
      )?.is_member === 1;
    return rows.map((row) => {
      const overlay = overlayFor(row, queued);
      return {
        id: row.client_message_id,
        conversationId: row.conversation_id,
        seq: row.seq,
        senderId: row.sender_id,
        senderName: row.sender_name ?? '',
        own: row.sender_id === selfId,
        text: overlay.deleted ? '' : overlay.text,
        at: row.sent_at ?? row.created_at,
        status: row.sender_id === selfId ? ownStatus(row, others) : null,
        // Refused because we are out of the group by now: say that, not "no such conversation".
        error: row.error === 'conversation_not_found' && !isMember ? 'no_longer_member' : row.error,
        edited: overlay.edited && !overlay.deleted,
        deleted: overlay.deleted,
        replyTo: row.reply_to ? (quotes.get(row.reply_to) ?? missingQuote(row.reply_to)) : null,
        reactions: overlay.deleted ? [] : withOwnReactions(reactions.get(row.client_message_id) ?? [], row, queued, selfId),
        failedChanges: queued
          .filter((change) => change.messageId === row.client_message_id && change.status === 'failed')
          .map((change) => ({ changeId: change.clientId, kind: change.kind, error: change.error ?? '' })),
        attachments: overlay.deleted ? [] : (attachments.get(row.client_message_id) ?? []),
        forwardedFrom: overlay.deleted ? null : row.forwarded_from,
        linkPreview: overlay.deleted ? null : linkPreviewOf(row.link_preview),
        pinned: !overlay.deleted && pinned.has(row.client_message_id),
        poll: overlay.deleted ? null : (polls.get(row.client_message_id) ?? null),
        location: overlay.deleted ? null : (locations.get(row.client_message_id) ?? null),
        sticker: overlay.deleted ? null : (stickers.get(row.client_message_id) ?? null),
        expiresInMs: row.expires_in_ms,
        expiresAt: row.expires_at,
      };
    });
  }

  /** Which of these messages are pinned: acknowledged pins with our queued pins and unpins applied. */
  private pinnedAmong(conversationId: string, messageIds: string[], queued: QueuedChange[]): Set<string> {
    const pinned = new Set(
      (
        cachedStatement(
          this.db,
          'SELECT message_id FROM pins WHERE conversation_id = ? AND on_ = 1 AND message_id IN (SELECT value FROM json_each(?))',
        ).all(conversationId, JSON.stringify(messageIds)) as { message_id: string }[]
      ).map((row) => row.message_id),
    );
    for (const change of queued) {
      if (change.kind !== 'pin' || change.status !== 'pending') continue;
      if (change.on) pinned.add(change.messageId);
      else pinned.delete(change.messageId);
    }
    return pinned;
  }

  /** Acknowledged reactions per message: one entry per emoji, in order of first use. */
  private reactionsOf(conversationId: string, messageIds: string[]): Map<string, RawReaction[]> {
    const rows = cachedStatement(
      this.db,
      `SELECT message_id, emoji, user_id, seq FROM reactions
         WHERE conversation_id = ? AND on_ = 1 AND message_id IN (SELECT value FROM json_each(?))
         ORDER BY seq`,
    ).all(conversationId, JSON.stringify(messageIds)) as { message_id: string; emoji: string; user_id: string }[];
    const byMessage = new Map<string, RawReaction[]>();
    for (const row of rows) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push({ emoji: row.emoji, userId: row.user_id });
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }

  private quotesFor(conversationId: string, rows: MessageRow[], selfId: string, queued: QueuedChange[]): Map<string, QuoteView> {
    const ids = [...new Set(rows.map((row) => row.reply_to).filter((id): id is string => id !== null))];
    const quotes = new Map<string, QuoteView>();
    if (ids.length === 0) return quotes;
    const originals = cachedStatement(
      this.db,
      `${MESSAGE_SELECT} WHERE m.conversation_id = @conversation AND m.client_message_id IN (SELECT value FROM json_each(@ids))`,
    ).all({ self: selfId, conversation: conversationId, ids: JSON.stringify(ids) }) as MessageRow[];
    for (const original of originals) {
      const overlay = overlayFor(original, queued);
      quotes.set(original.client_message_id, {
        messageId: original.client_message_id,
        available: true,
        senderId: original.sender_id,
        senderName: original.sender_name,
        text: overlay.deleted ? '' : overlay.text,
        deleted: overlay.deleted,
        disappeared: false,
      });
    }
    // Those not here may have gone with their timers: the quote says so instead of "not found".
    const missing = ids.filter((id) => !quotes.has(id));
    if (missing.length > 0) {
      const gone = cachedValueStatement(
        this.db,
        'SELECT message_id FROM disappeared WHERE conversation_id = ? AND message_id IN (SELECT value FROM json_each(?))',
      ).all(conversationId, JSON.stringify(missing)) as string[];
      for (const messageId of gone) quotes.set(messageId, { ...missingQuote(messageId), disappeared: true });
    }
    return quotes;
  }
}

const MESSAGE_SELECT = `SELECT m.conversation_id, m.client_message_id, m.sender_id, m.text, m.seq, m.state, m.error,
    m.created_at, m.sent_at, m.reply_to, m.deleted, m.edit_seq, m.forwarded_from, m.link_preview, m.expires_in_ms, m.expires_at,
    u.display_name AS sender_name
  FROM messages m
  LEFT JOIN users u ON u.id = m.sender_id`;

interface MessageRow {
  conversation_id: string;
  client_message_id: string;
  sender_id: string;
  text: string;
  seq: number | null;
  state: 'sending' | 'sent' | 'failed';
  error: string | null;
  created_at: number;
  sent_at: number | null;
  reply_to: string | null;
  deleted: number;
  edit_seq: number | null;
  forwarded_from: string | null;
  link_preview: string | null;
  expires_in_ms: number | null;
  expires_at: number | null;
  sender_name: string | null;
}

/** A message's link preview as stored, checked when read back: one that is not valid is not shown. */
function linkPreviewOf(json: string | null): LinkPreview | null {
  if (json === null) return null;
  try {
    const parsed = linkPreviewSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The time in a time-ordered id (UUID version 7, see common/ids.ts); null for any other id. */
function timeOfId(id: string): number | null {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-7/i.exec(id);
  return match ? parseInt(`${match[1]}${match[2]}`, 16) : null;
}

interface RawReaction {
  emoji: string;
  userId: string;
}

function overlayFor(row: MessageRow, queued: QueuedChange[]): { text: string; edited: boolean; deleted: boolean } {
  let text = row.text;
  let edited = row.edit_seq !== null;
  let deleted = row.deleted === 1;
  for (const change of queued) {
    if (change.messageId !== row.client_message_id || change.status !== 'pending') continue;
    if (change.kind === 'edit' && change.text !== undefined) {
      text = change.text;
      edited = true;
    }
    if (change.kind === 'delete') deleted = true;
  }
  return { text, edited, deleted };
}

/** Acknowledged reactions with this device's queued toggles applied, grouped by emoji. */
function withOwnReactions(raw: RawReaction[], row: MessageRow, queued: QueuedChange[], selfId: string): ReactionView[] {
  const users = new Map<string, Set<string>>();
  for (const reaction of raw) {
    const set = users.get(reaction.emoji) ?? new Set<string>();
    set.add(reaction.userId);
    users.set(reaction.emoji, set);
  }
  for (const change of queued) {
    if (change.kind !== 'reaction' || change.status !== 'pending' || change.messageId !== row.client_message_id) continue;
    if (!change.emoji) continue;
    const set = users.get(change.emoji) ?? new Set<string>();
    if (change.on) set.add(selfId);
    else set.delete(selfId);
    users.set(change.emoji, set);
  }
  return [...users.entries()]
    .filter(([, set]) => set.size > 0)
    .map(([emoji, set]) => ({ emoji, count: set.size, mine: set.has(selfId) }));
}

function missingQuote(messageId: string): QuoteView {
  return { messageId, available: false, senderId: null, senderName: null, text: '', deleted: false, disappeared: false };
}

/**
 * Ticks, WhatsApp's rule for groups (and the same for two): Delivered once every other current
 * member has received it, Read once every one of them has read it. With nobody else left, Sent.
 */
function ownStatus(row: MessageRow, others: { delivered: number; read: number } | null): MessageStatus {
  if (row.state === 'failed') return 'failed';
  if (row.seq === null || row.state === 'sending') return 'sending';
  if (!others) return 'sent';
  if (others.read >= row.seq) return 'read';
  if (others.delivered >= row.seq) return 'delivered';
  return 'sent';
}
