import { AppApiError } from '../app-api/contract.js';
import {
  OUTBOX_LIST_LIMIT,
  OUTBOX_PREVIEW_CHARS,
  type OutboxError,
  type OutboxItemKind,
  type OutboxItemState,
  type OutboxItemView,
  type OutboxListing,
} from '../app-api/outbox-api.js';
import { TRANSFER_ERRORS, type TransferError } from '../app-api/transfer-errors.js';
import { REFUSAL_REASONS, type RefusalReason } from '../protocol/refusal-reasons.js';
import type { InspectedOutboxRow } from './mirror/outbox-inspection.js';
import type { Mirror, OutboxEntry } from './mirror/mirror.js';
import type { MessageStateContentKind } from '../content/kinds/message-state.js';

/** How the Outbox dialog names each kind of message state content. */
const CONTENT_ITEM_KINDS: { [K in MessageStateContentKind]: OutboxItemKind } = {
  poll_vote: 'vote',
  poll_end: 'end_poll',
  location_move: 'move_location',
  location_stop: 'stop_location',
};

/** What the inspector needs of the core around it. */
export interface OutboxInspectorHost {
  mirror: Mirror;
  selfId: string;
  now(): number;
  /** Whether the connection is up (synchronised): only then does anything go. */
  online(): boolean;
  /** Whether the row is on the wire now. */
  isInFlight(clientId: string): boolean;
  /** The core's own paths for a refused row: retryMessage / retryChange, discardMessage / discardChange. */
  retryRefused(entry: OutboxEntry): Promise<null>;
  discardRefused(entry: OutboxEntry): Promise<null>;
  /** Sends what may go now (reconnecting at once when the connection waits to); the outbox changed. */
  sendNow(conversationId: string): void;
  /** The outbox changed (an item was taken out): the views and the sender hear of it. */
  outboxChanged(conversationId: string): void;
}

/**
 * The outbox inspector (Settings → "Outbox"): lists every queued row with where it stands, and
 * lets the person send one now or discard it. Attempts, the next retry and the last error are
 * the outbox's own columns (kept on disk); whether a row is on the wire and whether the
 * connection is up are the sender's, in memory.
 */
export class OutboxInspector {
  constructor(private readonly host: OutboxInspectorHost) {}

  list(): OutboxListing {
    const { mirror } = this.host;
    const now = this.host.now();
    const online = this.host.online();
    const names = new Map<string, string>();
    const conversationName = (conversationId: string) => {
      let name = names.get(conversationId);
      if (name === undefined) {
        name = mirror.views.conversationSummaries(this.host.selfId, conversationId)[0]?.title ?? '';
        names.set(conversationId, name);
      }
      return name;
    };
    const items = mirror.outboxInspection.list(OUTBOX_LIST_LIMIT, OUTBOX_PREVIEW_CHARS).map((row): OutboxItemView => {
      const state = this.stateOf(row, online, now);
      return {
        id: row.entry.clientId,
        conversationId: row.entry.conversationId,
        conversationName: conversationName(row.entry.conversationId),
        ...this.describe(row),
        state,
        attempts: row.entry.attempts,
        lastError: outboxErrorOf(row.status, row.lastError),
        nextRetryAt: state === 'waiting_to_retry' ? row.entry.nextAttemptAt : null,
      };
    });
    return { items, total: mirror.outboxInspection.count() };
  }

  /**
   * "Retry now". A refused row is queued again (behind what is queued now, as retryMessage and
   * retryChange do); a queued one, and those ahead of it in its conversation, may go at once.
   */
  async retry(id: string): Promise<null> {
    const { entry, status } = this.find(id);
    if (status === 'failed') return this.host.retryRefused(entry);
    this.host.mirror.outbox.releaseThrough(entry.conversationId, entry.id);
    this.host.sendNow(entry.conversationId);
    return null;
  }

  /**
   * "Discard": out of the outbox and out of the conversation. A refused row goes as
   * discardMessage / discardChange do; a queued message is withdrawn with the changes queued
   * against it (as deleting an unsent message does), a queued change just dropped. Never while
   * on the wire: the server is handling it.
   */
  async discard(id: string): Promise<null> {
    const { entry, status } = this.find(id);
    if (status === 'failed') return this.host.discardRefused(entry);
    if (this.host.isInFlight(entry.clientId)) {
      throw new AppApiError('conflict', 'It is being sent right now; discard it once the server has answered.');
    }
    if (entry.kind === 'send') this.host.mirror.withdrawUnsent(entry.conversationId, entry.messageId);
    else this.host.mirror.outbox.remove(entry.clientId);
    this.host.outboxChanged(entry.conversationId);
    return null;
  }

  private find(id: string): { entry: OutboxEntry; status: 'pending' | 'failed' } {
    const found = this.host.mirror.outboxInspection.find(id);
    if (!found) throw new AppApiError('not_found', 'Nothing with that id is waiting to be sent.');
    return found;
  }

  private stateOf(row: InspectedOutboxRow, online: boolean, now: number): OutboxItemState {
    if (row.status === 'failed') return 'failed';
    if (this.host.isInFlight(row.entry.clientId)) return 'sending';
    if (!online) return 'waiting_for_connection';
    if (row.uploading) return 'waiting_for_upload';
    if (row.entry.nextAttemptAt > now) return 'waiting_to_retry';
    return 'queued';
  }

  /** The item's kind and what it shows of itself. */
  private describe(row: InspectedOutboxRow): Pick<OutboxItemView, 'kind' | 'text' | 'files' | 'emoji' | 'people'> {
    const { entry } = row;
    const about = { text: row.messageText ?? '', files: [], emoji: null, people: [] };
    const item = (kind: OutboxItemKind, details: Partial<Omit<OutboxItemView, 'kind'>> = {}) => ({ ...about, ...details, kind });
    switch (entry.kind) {
      case 'send':
        return item(entry.forwardOf ? 'forward' : 'message', { files: row.files });
      case 'edit':
        return item('edit', { text: preview(entry.text) });
      case 'delete':
        return item('delete');
      case 'reaction':
        return item(entry.on ? 'add_reaction' : 'remove_reaction', { emoji: entry.emoji });
      case 'pin':
        return item(entry.on ? 'pin' : 'unpin');
      case 'call':
        return item('call', { text: '' });
      case 'content':
        return item(CONTENT_ITEM_KINDS[entry.content.kind]);
      case 'conversation_setting':
        return item(entry.content.kind === 'disappearing_timer' ? 'set_disappearing_timer' : 'set_disappearing_policy', {
          text: '',
        });
      case 'create': {
        const { conversation } = entry;
        return conversation.kind === 'direct'
          ? item('create_conversation', { text: '', people: this.people([conversation.userId]) })
          : item('create_conversation', { text: preview(conversation.name ?? ''), people: this.people(conversation.memberIds) });
      }
      case 'group': {
        const { change } = entry;
        switch (change.kind) {
          case 'add_members':
            return item('add_members', { text: '', people: this.people(change.userIds) });
          case 'remove_member':
            return item('remove_member', { text: '', people: this.people([change.userId]) });
          case 'leave':
            return item('leave_group', { text: '' });
          case 'rename':
            return item('rename_group', { text: preview(change.name) });
          case 'set_role':
            return item('set_role', { text: '', people: this.people([change.userId]) });
        }
      }
    }
  }

  private people(userIds: readonly string[]): string[] {
    return userIds.map((userId) => {
      const user = this.host.mirror.user(userId);
      return user ? user.displayName || user.username : '';
    });
  }
}

const isRefusal = (value: string): value is RefusalReason => (REFUSAL_REASONS as readonly string[]).includes(value);
const isTransferError = (value: string): value is TransferError => (TRANSFER_ERRORS as readonly string[]).includes(value);

/**
 * The last error as a code. The outbox keeps a refusal's reason code, a transfer error's code, or
 * the code of a failure that may pass (RequestError: the sender stores codes, never the server's
 * words); anything else (the server's words for a refusal it gave no reason for, or what an older
 * version stored) is summed up without repeating it.
 */
export function outboxErrorOf(status: 'pending' | 'failed', stored: string | null): OutboxError | null {
  if (stored === null) return null;
  if (isRefusal(stored) || isTransferError(stored)) return stored;
  switch (stored) {
    case 'disconnected':
    case 'timeout':
    case 'rate_limited':
      return stored;
    case 'internal':
    case 'out_of_order':
      return 'server_error';
  }
  return status === 'failed' ? 'refused' : 'unknown';
}

/** At most OUTBOX_PREVIEW_CHARS characters (whole code points) of a text. */
function preview(text: string): string {
  const points = Array.from(text);
  return points.length <= OUTBOX_PREVIEW_CHARS ? text : points.slice(0, OUTBOX_PREVIEW_CHARS).join('');
}
