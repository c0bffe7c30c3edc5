import type {
  ConversationInfo,
  ConversationSummary,
  MessageInfo,
  MessagePage,
  EditHistoryEntry,
  MessageStatus,
  MessageView,
  QuoteView,
  ReactionView,
} from '../../app-api/contract.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';
import type { AttachmentStore } from './attachments.js';
import type { OutboxStore, QueuedChange } from './outbox-store.js';
import { ConversationList } from './conversation-list.js';
import { conversationInfo, messageInfo, noticesBetween, othersWatermarks } from './group-views.js';

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

  conversationSummaries(selfId: string, onlyId?: string): ConversationSummary[] {
    return this.list.summaries(selfId, onlyId);
  }

  /** One screen of the conversation list (see ConversationList.page). */
  conversationPage(selfId: string, limit: number, after?: { lastActivityAt: number; id: string }): ConversationSummary[] {
    return this.list.page(selfId, limit, after);
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
    const notices = noticesBetween(this.db, conversationId, fromSeq, toSeq);
    const readSeq = (
      cachedStatement(this.db, 'SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?').get(
        conversationId,
        selfId,
      ) as { read_seq: number } | undefined
    )?.read_seq;
    return {
      messages: this.toViews(conversationId, [...stored, ...pending], selfId),
      notices,
      hasOlder,
      hasNewer,
      readSeq: readSeq ?? 0,
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
      };
    });
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
      });
    }
    return quotes;
  }
}

const MESSAGE_SELECT = `SELECT m.conversation_id, m.client_message_id, m.sender_id, m.text, m.seq, m.state, m.error,
    m.created_at, m.sent_at, m.reply_to, m.deleted, m.edit_seq, m.forwarded_from, u.display_name AS sender_name
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
  sender_name: string | null;
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
  return { messageId, available: false, senderId: null, senderName: null, text: '', deleted: false };
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
