import type { Timers, TimerHandle } from '../common/runtime.js';

/** Messages indexed per transaction: a few milliseconds of FTS5 writes, so the event loop stays responsive. */
const CHUNK_MESSAGES = 2_000;
/** How long to wait before looking again while a catch-up runs: its pages go first. */
const BUSY_RETRY_MS = 50;
/**
 * How long newly written messages wait before they are indexed: messages written close together
 * (a conversation going back and forth) go into one FTS5 transaction, and the index write never
 * competes for the CPU with the delivery of the message that caused it.
 */
export const INDEX_GATHER_MS = 100;

/** What the indexer drives (MessageSearch). */
export interface PendingIndex {
  /** Indexes up to `limit` messages above the watermark; whether any are left. */
  indexPending(limit: number): boolean;
}

/**
 * Brings the search index up to the newest messages a moment after the transactions that wrote
 * them, in chunks with a turn of the event loop between them, and not while a catch-up runs: its
 * thousands of messages would otherwise wait for their FTS5 writes. Nothing depends on it being done (a
 * search indexes whatever is left before it looks); it only keeps that tail short.
 */
export class SearchIndexer {
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly index: PendingIndex,
    private readonly timers: Timers,
    /** Whether a catch-up is under way (then indexing waits). */
    private readonly busy: () => boolean,
    /** A chunk failed (e.g. the disk is full): it is tried again after the next write. */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Messages above the watermark were written: index them once INDEX_GATHER_MS have passed. */
  kick(): void {
    this.schedule(INDEX_GATHER_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.step();
    }, delayMs);
  }

  private step(): void {
    if (this.busy()) {
      this.schedule(BUSY_RETRY_MS);
      return;
    }
    let more: boolean;
    try {
      more = this.index.indexPending(CHUNK_MESSAGES);
    } catch (error) {
      this.onError(error);
      return;
    }
    if (more) this.schedule(0);
  }
}
