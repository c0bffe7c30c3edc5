import type { Runtime, TimerHandle } from '../../common/runtime.js';
import { backoffDelay, type BackoffPolicy } from '../backoff.js';

export interface TransferQueueOptions<Job> {
  runtime: Runtime;
  backoff: BackoffPolicy;
  maxParallel: number;
  /** What waits to be transferred now, in the order to start it. */
  jobs(): Job[];
  keyOf(job: Job): string;
  /**
   * One attempt at one job, settled in the mirror before it resolves. `signal` aborts when the
   * queue stops: the attempt then ends without touching the mirror (it may be closed by then).
   */
  attempt(job: Job, key: string, signal: AbortSignal): Promise<void>;
}

/**
 * When uploads or downloads run: while online, a few at a time, each job once at a time, a failed
 * one again after a backoff (all of them at once when the connection comes back), none after stop.
 * What a transfer does is the uploader's or downloader's business; this is only when.
 */
export class TransferQueue<Job> {
  private readonly running = new Map<string, AbortController>();
  private readonly waiting = new Map<string, TimerHandle>();
  private readonly attempts = new Map<string, number>();
  private online = false;
  private stopped = false;

  constructor(private readonly options: TransferQueueOptions<Job>) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (!online) return;
    // Back online: what was waiting out a backoff goes now.
    for (const handle of this.waiting.values()) this.options.runtime.timers.clearTimeout(handle);
    this.waiting.clear();
    this.attempts.clear();
    this.kick();
  }

  /**
   * Work offline: what is running is cut off now, as a lost network would cut it (what arrived so
   * far is kept, as after any failed attempt), and nothing starts until setOnline(true).
   */
  interrupt(): void {
    this.online = false;
    for (const controller of this.running.values()) controller.abort();
  }

  /** Starts what is waiting, up to the limit running at once. */
  kick(): void {
    if (!this.online || this.stopped) return;
    for (const job of this.options.jobs()) {
      if (this.running.size >= this.options.maxParallel) return;
      const key = this.options.keyOf(job);
      if (this.running.has(key) || this.waiting.has(key)) continue;
      const controller = new AbortController();
      this.running.set(key, controller);
      void this.options.attempt(job, key, controller.signal).finally(() => {
        this.running.delete(key);
        this.kick();
      });
    }
  }

  /** The job is done, or failed for good: a later failure starts its backoff from the beginning. */
  settled(key: string): void {
    this.attempts.delete(key);
  }

  /** Tries the job again after a backoff that grows with each failure in a row. */
  retryLater(key: string): void {
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    const handle = this.options.runtime.timers.setTimeout(
      () => {
        this.waiting.delete(key);
        this.kick();
      },
      backoffDelay(this.options.backoff, attempt, this.options.runtime.random),
    );
    this.waiting.set(key, handle);
  }

  /** Cancels every transfer; what they did so far stays for the next start. */
  stop(): void {
    this.stopped = true;
    for (const handle of this.waiting.values()) this.options.runtime.timers.clearTimeout(handle);
    this.waiting.clear();
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
  }
}
