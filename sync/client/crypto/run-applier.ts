/**
 * Applies runs of a conversation's events (a catch-up page, a live event), their envelopes opened
 * first. A run with enough envelopes to open is decrypted in the worker pool outside the crypto
 * lane (opening-in-workers.ts), so that while this thread applies one run the workers open the
 * next ones (the engine catches conversations up side by side); a small one, or one whose records
 * changed while the workers had it, opens on this thread. Either way the ratchet state that opened
 * a run is stored in the transaction that applies it, in the lane.
 */
import { errorFields, type Logger } from '../../common/logger.js';
import type { OpenedContent } from '../../content/content.js';
import { eventOfContent } from '../../content/events.js';
import type { ConversationEvent, User } from '../../protocol/frames.js';
import type { Mirror } from '../mirror/mirror.js';
import { openEnvelopes } from './envelope-opener.js';
import { openInWorkers, type WorkerOpening } from './opening-in-workers.js';
import type { OpeningPool } from './opening-pool.js';
import type { CryptoLane, ThisDevice } from './this-device.js';

/** A run applied: the new cursor, and the events as they took effect (opened envelopes as what they said). */
export interface AppliedRun {
  applied: number;
  shown: readonly ConversationEvent[];
}

export interface WorkerOpeningOptions {
  pool: Pick<OpeningPool, 'open'>;
  /** Runs with fewer envelopes to open than this open on this thread (the round trip would cost more). */
  minimum: number;
}

export class RunApplier {
  constructor(
    private readonly mirror: Mirror,
    private readonly lane: CryptoLane,
    private readonly device: () => Promise<ThisDevice | null>,
    private readonly selfId: string,
    private readonly log: Logger,
    private readonly workers: WorkerOpeningOptions | null,
  ) {}

  /**
   * Applies a run of a conversation's events from its cursor; when this device's keys cannot be
   * read, the run still applies, and its envelopes wait to open on a later connection.
   */
  async apply(
    conversationId: string,
    events: readonly ConversationEvent[],
    page: { skippedTo?: number; users?: readonly User[] },
  ): Promise<AppliedRun> {
    const { mirror, selfId } = this;
    if (!events.some((event) => event.kind === 'envelope')) {
      return { applied: mirror.applyEvents(conversationId, events, selfId, page), shown: events };
    }
    const inWorkers = await this.openInWorkers(events);
    return this.lane.run(async () => {
      const device = await this.device().catch((error: unknown) => {
        this.log.warn("this device's keys could not be read; envelopes wait", errorFields(error));
        return null;
      });
      if (!device) return { applied: mirror.applyEvents(conversationId, events, selfId, page), shown: events };
      const ratchet = device.ratchet();
      const opened = (await inWorkers?.take(ratchet)) ?? (await openEnvelopes(device, ratchet, events, this.log));
      const applied = mirror.applyEvents(conversationId, events, selfId, page, { opened, ratchet });
      return { applied, shown: shownOf(events, opened) };
    });
  }

  /** The run opened in the workers, when it is worth it and this device's keys can be read (the lane tells when not). */
  private async openInWorkers(events: readonly ConversationEvent[]): Promise<WorkerOpening | null> {
    if (!this.workers) return null;
    const device = await this.device().catch(() => null);
    if (!device) return null;
    return openInWorkers(device, this.mirror.signal, this.workers.pool, events, this.workers.minimum, this.log);
  }
}

/** Events as they took effect: an opened envelope as what it said, the rest as they came. */
export function shownOf(events: readonly ConversationEvent[], opened: OpenedContent): ConversationEvent[] {
  return events.map((event) => {
    const content = event.kind === 'envelope' ? opened.get(event.seq) : undefined;
    return event.kind === 'envelope' && content ? eventOfContent(event, content) : event;
  });
}
