import type { AppEvent, MessageView } from '../../app-api/contract.js';
import type { Clock } from '../../common/runtime.js';
import type { AttachmentKey } from '../mirror/attachments.js';

/** At most this often per transfer, a 'transfer' event (about five a second). */
const PROGRESS_EVENT_MS = 200;

interface Live {
  direction: 'upload' | 'download';
  transferredBytes: number;
  totalBytes: number;
  lastEventAt: number;
}

/**
 * Transfers moving right now, with their bytes so far. Kept in memory only (the mirror holds what
 * must survive a restart: the confirmed upload offset, the partial download on disk), laid over
 * the views so a moving transfer shows as active with its progress, and reported as throttled
 * 'transfer' events in between.
 */
export class TransferTracker {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly clock: Clock,
    private readonly emit: (event: AppEvent) => void,
  ) {}

  start(key: AttachmentKey, direction: Live['direction'], transferredBytes: number, totalBytes: number): void {
    this.live.set(keyOf(key), { direction, transferredBytes, totalBytes, lastEventAt: -Infinity });
  }

  progress(key: AttachmentKey, transferredBytes: number): void {
    const live = this.live.get(keyOf(key));
    if (!live) return;
    live.transferredBytes = transferredBytes;
    const now = this.clock.now();
    if (now - live.lastEventAt < PROGRESS_EVENT_MS) return;
    live.lastEventAt = now;
    this.emit({
      type: 'transfer',
      conversationId: key.conversationId,
      messageId: key.messageId,
      index: key.index,
      direction: live.direction,
      transferredBytes,
      totalBytes: live.totalBytes,
    });
  }

  end(key: AttachmentKey): void {
    this.live.delete(keyOf(key));
  }

  /** The views with every moving transfer shown as active, with its bytes so far. */
  apply<T extends MessageView>(views: T[]): T[] {
    if (this.live.size === 0) return views;
    for (const view of views) {
      for (const attachment of view.attachments) {
        const live = this.live.get(keyOf({ conversationId: view.conversationId, messageId: view.id, index: attachment.index }));
        if (!live || attachment.transfer?.direction !== live.direction || attachment.transfer.state === 'failed') continue;
        attachment.transfer = {
          direction: live.direction,
          state: 'active',
          transferredBytes: live.transferredBytes,
          totalBytes: live.totalBytes,
          error: null,
        };
      }
    }
    return views;
  }
}

export function keyOf(key: AttachmentKey): string {
  return `${key.conversationId}\n${key.messageId}\n${key.index}`;
}
