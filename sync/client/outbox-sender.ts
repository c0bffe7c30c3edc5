import type { Runtime, TimerHandle } from '../common/runtime.js';
import type { AppEvent } from '../app-api/contract.js';
import { backoffDelay, OUTBOX_BACKOFF } from './backoff.js';
import { RequestError, type SyncConnection } from './connection.js';
import type { Mirror, OutboxEntry } from './mirror/mirror.js';

/**
 * Drains the durable outbox. Within a conversation, strictly one change at a time in composition
 * order, so the server assigns sequence numbers in the order the person wrote; conversations drain
 * side by side. Every retry reuses the same client message id, which the server deduplicates.
 */
export class OutboxSender {
  private readonly inFlight = new Set<string>();
  private wakeTimer: { at: number; handle: TimerHandle } | null = null;
  private online = false;

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly selfId: string,
    private readonly emit: (event: AppEvent) => void,
    /** Called when an acknowledgement reveals events we have not applied yet. */
    private readonly onGap: (conversationId: string) => void,
  ) {}

  setOnline(online: boolean): void {
    this.online = online;
    if (online) {
      this.mirror.releaseDeferredOutbox();
      this.kick();
    }
  }

  stop(): void {
    this.online = false;
    if (this.wakeTimer) this.runtime.timers.clearTimeout(this.wakeTimer.handle);
    this.wakeTimer = null;
  }

  /** Sends whatever is due now and arranges to wake up for what is due later. */
  kick(): void {
    if (!this.online) return;
    const now = this.runtime.clock.now();
    let earliestLater = Infinity;
    for (const entry of this.mirror.nextOutboxEntries()) {
      if (this.inFlight.has(entry.conversationId)) continue;
      if (entry.nextAttemptAt > now) {
        earliestLater = Math.min(earliestLater, entry.nextAttemptAt);
        continue;
      }
      void this.send(entry);
    }
    if (earliestLater !== Infinity) this.wakeAt(earliestLater);
  }

  private async send(entry: OutboxEntry): Promise<void> {
    this.inFlight.add(entry.conversationId);
    try {
      const reply = await this.connection.request({
        type: 'send',
        conversationId: entry.conversationId,
        clientMessageId: entry.clientMessageId,
        text: entry.text,
      });
      if (reply.type !== 'sent') throw new RequestError('internal', `Unexpected reply ${reply.type} to send`);
      this.mirror.acknowledge(reply.event, this.selfId);
      const cursor = this.mirror.cursor(entry.conversationId);
      if (cursor && cursor.knownSeq > cursor.appliedSeq) this.onGap(entry.conversationId);
    } catch (error) {
      this.handleFailure(entry, error);
    } finally {
      this.inFlight.delete(entry.conversationId);
      this.emit({ type: 'messages', conversationId: entry.conversationId });
      this.emit({ type: 'conversations' });
    }
    this.kick();
  }

  private handleFailure(entry: OutboxEntry, error: unknown): void {
    const requestError =
      error instanceof RequestError ? error : new RequestError('internal', error instanceof Error ? error.message : String(error));
    if (requestError.permanent) {
      this.mirror.failOutboxEntry(entry.clientMessageId, requestError.message);
      return;
    }
    const delay = backoffDelay(OUTBOX_BACKOFF, entry.attempts, this.runtime.random);
    this.mirror.deferOutboxEntry(entry.id, this.runtime.clock.now() + delay, requestError.message);
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
