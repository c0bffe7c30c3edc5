import type { Runtime, TimerHandle } from '../common/runtime.js';
import type { AppEvent } from '../app-api/contract.js';
import type { Attachment } from '../protocol/attachments.js';
import { backoffDelay, OUTBOX_BACKOFF } from './backoff.js';
import { RequestError, type SyncConnection } from './connection.js';
import type { Request } from './connection.js';
import type { Mirror, OutboxEntry } from './mirror/mirror.js';

/**
 * A send refused for missing files is answered by uploading them again, up to this many attempts
 * of the row: a guard against a server that would refuse even fresh uploads, round after round.
 */
const MAX_ATTEMPTS_WITH_REUPLOAD = 10;

/**
 * Drains the durable outbox. Within a conversation, strictly one change at a time in composition
 * order, so the server assigns sequence numbers in the order the person wrote; conversations drain
 * side by side. Every retry reuses the same client message id, which the server deduplicates.
 * A message with files waits until all of them are uploaded (the uploader kicks the sender then),
 * and the rest of its conversation waits behind it.
 */
export class OutboxSender {
  /** conversationId → client id of the row on the wire. */
  private readonly inFlight = new Map<string, string>();
  private wakeTimer: { at: number; handle: TimerHandle } | null = null;
  private online = false;
  /** Stopped for good (the core is closing or the session ended); the mirror may be closed already. */
  private stopped = false;

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly selfId: string,
    private readonly emit: (event: AppEvent) => void,
    /** Called after each acknowledgement is recorded (it may reveal events not applied yet). */
    private readonly onAcknowledged: (conversationId: string, kind: OutboxEntry['kind']) => void,
  ) {}

  setOnline(online: boolean): void {
    this.online = online;
    if (online) {
      this.mirror.outbox.releaseDeferred();
      this.kick();
    }
  }

  /** Whether this row has been handed to the server and not yet answered. */
  isInFlight(clientId: string): boolean {
    for (const id of this.inFlight.values()) if (id === clientId) return true;
    return false;
  }

  stop(): void {
    this.stopped = true;
    this.online = false;
    if (this.wakeTimer) this.runtime.timers.clearTimeout(this.wakeTimer.handle);
    this.wakeTimer = null;
  }

  /** Sends whatever is due now and arranges to wake up for what is due later. */
  kick(): void {
    if (!this.online) return;
    for (const entry of this.mirror.outbox.nextEntries()) this.sendIfDue(entry);
  }

  private sendIfDue(entry: OutboxEntry): void {
    if (this.inFlight.has(entry.conversationId)) return;
    if (entry.nextAttemptAt > this.runtime.clock.now()) {
      this.wakeAt(entry.nextAttemptAt);
      return;
    }
    const attachments = entry.kind === 'send' ? this.mirror.attachments.forSend(entry.conversationId, entry.messageId) : [];
    if (attachments === null) return;
    void this.send(entry, attachments);
  }

  private async send(entry: OutboxEntry, attachments: Attachment[]): Promise<void> {
    this.inFlight.set(entry.conversationId, entry.clientId);
    try {
      // Recorded before it leaves: the server may store it even if we never hear back.
      this.mirror.outbox.markAttempt(entry.id);
      const reply = await this.connection.request(toRequest(entry, attachments));
      if (entry.kind === 'create') {
        if (reply.type !== 'conversation') throw new RequestError('internal', `Unexpected reply ${reply.type} to create`);
        this.mirror.acknowledgeCreation(reply.conversation, entry.clientId, this.selfId);
      } else {
        if (reply.type !== 'sent') throw new RequestError('internal', `Unexpected reply ${reply.type} to ${entry.kind}`);
        this.mirror.acknowledge(reply.event, this.selfId);
      }
      this.onAcknowledged(entry.conversationId, entry.kind);
    } catch (error) {
      // A request cut short by stop() leaves its row queued as it is: recording the failure would
      // write to a mirror that close() has just shut (an unhandled rejection that ends the process).
      if (!this.stopped) this.handleFailure(entry, error);
    } finally {
      this.inFlight.delete(entry.conversationId);
      this.emit({ type: 'messages', conversationId: entry.conversationId });
      this.emit({ type: 'conversations' });
    }
    if (!this.online) return;
    // Only this conversation moved; its next row is one index lookup away. A deferred row is
    // picked up by the wake-up timer that sendIfDue sets.
    const next = this.mirror.outbox.nextEntryIn(entry.conversationId);
    if (next) this.sendIfDue(next);
  }

  private handleFailure(entry: OutboxEntry, error: unknown): void {
    const requestError =
      error instanceof RequestError
        ? error
        : new RequestError('internal', error instanceof Error ? error.message : String(error));
    if (requestError.permanent) {
      // The reason code when the server gave one (the renderer has words for it), else its words.
      const reason = requestError.reason ?? requestError.message;
      // The server no longer has the files (it removes uploads no message took within a day,
      // e.g. while this message waited offline behind others): upload them again, then send. The
      // 'messages' event that follows every attempt starts the uploads. Only our own uploads can be
      // made again: files a forward refers to (someone else's, maybe never downloaded here) cannot,
      // so such a refusal fails the message at once instead of sending it again and again.
      if (
        entry.kind === 'send' &&
        reason === 'attachment_missing' &&
        entry.attempts < MAX_ATTEMPTS_WITH_REUPLOAD &&
        this.mirror.attachments.resetUploads(entry.conversationId, entry.messageId, true) > 0
      ) {
        return;
      }
      if (entry.kind === 'send') this.mirror.failSend(entry.conversationId, entry.messageId, reason);
      else this.mirror.outbox.fail(entry.clientId, reason);
      return;
    }
    const delay = backoffDelay(OUTBOX_BACKOFF, entry.attempts, this.runtime.random);
    this.mirror.outbox.defer(entry.id, this.runtime.clock.now() + delay, requestError.message);
  }

  private wakeAt(at: number): void {
    if (this.wakeTimer && this.wakeTimer.at <= at) return;
    if (this.wakeTimer) this.runtime.timers.clearTimeout(this.wakeTimer.handle);
    const handle = this.runtime.timers.setTimeout(
      () => {
        this.wakeTimer = null;
        this.kick();
      },
      Math.max(0, at - this.runtime.clock.now()),
    );
    this.wakeTimer = { at, handle };
  }
}

function toRequest(entry: OutboxEntry, attachments: Attachment[]): Request {
  const { conversationId } = entry;
  switch (entry.kind) {
    case 'send':
      return {
        type: 'send',
        conversationId,
        clientMessageId: entry.messageId,
        text: entry.text,
        ...(entry.replyTo ? { replyTo: entry.replyTo } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(entry.forwardOf ? { forwardOf: entry.forwardOf } : {}),
        ...(entry.linkPreview ? { linkPreview: entry.linkPreview } : {}),
      };
    case 'edit':
      return {
        type: 'change',
        conversationId,
        clientChangeId: entry.clientId,
        change: { kind: 'edit', messageId: entry.messageId, text: entry.text },
      };
    case 'delete':
      return {
        type: 'change',
        conversationId,
        clientChangeId: entry.clientId,
        change: { kind: 'delete', messageId: entry.messageId },
      };
    case 'reaction':
      return {
        type: 'change',
        conversationId,
        clientChangeId: entry.clientId,
        change: { kind: 'reaction', messageId: entry.messageId, emoji: entry.emoji, on: entry.on },
      };
    case 'pin':
      return {
        type: 'change',
        conversationId,
        clientChangeId: entry.clientId,
        change: { kind: 'pin', messageId: entry.messageId, on: entry.on },
      };
    case 'create':
      return { type: 'create_conversation', conversationId, conversation: entry.conversation };
    case 'group':
      return { type: 'group_change', conversationId, clientChangeId: entry.clientId, change: entry.change };
  }
}
