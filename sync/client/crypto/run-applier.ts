/**
 * Applies runs of a conversation's events (a catch-up page, a live event), their envelopes opened
 * first. A run with enough envelopes to open is decrypted in the worker pool outside the crypto
 * lane (opening-in-workers.ts), so that while this thread applies one run the workers open the
 * next ones (the engine catches conversations up side by side); a small one, or one whose records
 * changed while the workers had it, opens on this thread. Either way the ratchet state that opened
 * a run is stored in the transaction that applies it, in the lane.
 */
import { errorFields, type Logger } from '../../common/logger.js';
import type { Content, OpenedContent } from '../../content/content.js';
import { eventOfContent } from '../../content/events.js';
import type { ConversationEvent, User } from '../../protocol/frames.js';
import type { AppliedEvent } from '../../content/opened-events.js';
import type { Mirror, OpenedRun } from '../mirror/mirror.js';
import { queuedContent } from '../queued-content.js';
import { openEnvelopes, sealedHere } from './envelope-opener.js';
import { openInWorkers, type WorkerOpening } from './opening-in-workers.js';
import type { OpeningPool } from './opening-pool.js';
import type { CryptoLane, ThisDevice } from './this-device.js';

/** A run applied: the new cursor, and the events as they took effect (opened envelopes as what they said). */
export interface AppliedRun {
  applied: number;
  shown: readonly AppliedEvent[];
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
    const inWorkers = await this.openInWorkers(conversationId, events, page);
    return this.lane.run(async () => {
      const device = await this.device().catch((error: unknown) => {
        this.log.warn("this device's keys could not be read; envelopes wait", errorFields(error));
        return null;
      });
      if (!device) return { applied: mirror.applyEvents(conversationId, events, selfId, page), shown: events };
      const ratchet = device.ratchet();
      // Only what this run will apply is opened: a key used for an envelope that is then not stored
      // (beyond a gap, or applied meanwhile) could never open it again.
      const applicable = this.applicable(conversationId, events, page);
      const foreign = (await inWorkers?.take(ratchet)) ?? (await openEnvelopes(device, ratchet, applicable, this.log));
      const { opened, held } = withOwnEnvelopes(mirror, device, applicable, foreign);
      const applied = mirror.applyEvents(conversationId, events, selfId, page, { opened, held, ratchet });
      return { applied, shown: shownOf(events, opened) };
    });
  }

  /** The events of the run that apply now: after the cursor (or what the page skips to), up to the first gap. */
  private applicable(
    conversationId: string,
    events: readonly ConversationEvent[],
    page: { skippedTo?: number },
  ): ConversationEvent[] {
    let applied = Math.max(this.mirror.cursor(conversationId)?.appliedSeq ?? 0, page.skippedTo ?? 0);
    const applicable: ConversationEvent[] = [];
    for (const event of events) {
      if (event.seq <= applied) continue;
      if (event.seq !== applied + 1) break;
      applicable.push(event);
      applied = event.seq;
    }
    return applicable;
  }

  /** The run opened in the workers, when it is worth it and this device's keys can be read (the lane tells when not). */
  private async openInWorkers(
    conversationId: string,
    events: readonly ConversationEvent[],
    page: { skippedTo?: number },
  ): Promise<WorkerOpening | null> {
    if (!this.workers) return null;
    const { pool, minimum } = this.workers;
    // Too few to be worth the round trip however many have keys (a live envelope): nothing is read for them.
    if (events.filter((event) => event.kind === 'envelope').length < minimum) return null;
    const device = await this.device().catch(() => null);
    if (!device) return null;
    return openInWorkers(device, this.mirror.signal, pool, this.applicable(conversationId, events, page), minimum, this.log);
  }
}

/**
 * Adds this device's own envelopes in the run, which it cannot open: one whose row is still queued
 * (the server stored it, and the answer has not been recorded) takes effect as the row's content,
 * kept as sent content as the answer would have kept it (applying it ends the row, so that answer
 * records nothing, and a device that cannot open it must still be able to ask for it again); any
 * other took effect when its answer was recorded, and is held already.
 */
function withOwnEnvelopes(
  mirror: Mirror,
  device: ThisDevice,
  events: readonly ConversationEvent[],
  foreign: OpenedContent,
): Pick<OpenedRun, 'opened' | 'held'> {
  let opened: Map<number, Content> | null = null;
  const held = new Set<number>();
  for (const event of events) {
    if (event.kind !== 'envelope' || event.deleted || !sealedHere(device, event)) continue;
    const content = queuedContent(mirror, event.clientId);
    if (!content) {
      held.add(event.seq);
      continue;
    }
    (opened ??= new Map(foreign)).set(event.seq, content);
    mirror.sentContent.keep(event, content);
  }
  return { opened: opened ?? foreign, held };
}

/** Events as they took effect: an opened envelope as what it said, the rest as they came. */
export function shownOf(events: readonly ConversationEvent[], opened: OpenedContent): AppliedEvent[] {
  return events.map((event) => {
    const content = event.kind === 'envelope' ? opened.get(event.seq) : undefined;
    return event.kind === 'envelope' && content ? eventOfContent(event, content) : event;
  });
}
