import type { Runtime, TimerHandle } from '../common/runtime.js';
import { backoffDelay, OUTBOX_BACKOFF, type BackoffPolicy } from './backoff.js';

/**
 * Runs a piece of background work one run at a time: a run asked for while one is under way
 * happens once after it, and a run that fails in a way worth retrying is tried again after a
 * backoff, for as long as the work is active (its connection up, its owner not stopped). The
 * key publisher and the device sender both keep a directory or an inbox in step this way.
 */
export class RetryLoop {
  private running: Promise<void> | null = null;
  private again = false;
  private attempt = 0;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly runtime: Runtime,
    private readonly hooks: {
      work(): Promise<void>;
      /** Whether runs may happen now. */
      active(): boolean;
      /** Whether a failure is worth another run later (the hook logs what it wants to). */
      retry(error: unknown): boolean;
    },
    private readonly policy: BackoffPolicy = OUTBOX_BACKOFF,
  ) {}

  /** Whether a failed run waits to be tried again. */
  get waitingToRetry(): boolean {
    return this.timer !== null;
  }

  run(): void {
    if (!this.hooks.active()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.cycle().finally(() => {
      this.running = null;
      if (this.again && this.hooks.active() && !this.timer) {
        this.again = false;
        this.run();
      }
    });
  }

  /** A fresh start (a new connection): the next failure waits the shortest backoff, and no retry is pending. */
  reset(): void {
    this.attempt = 0;
    this.cancel();
  }

  /** No retry is pending any more. */
  cancel(): void {
    if (this.timer) this.runtime.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async cycle(): Promise<void> {
    try {
      await this.hooks.work();
      this.attempt = 0;
    } catch (error) {
      if (!this.hooks.active() || !this.hooks.retry(error)) return;
      const delay = backoffDelay(this.policy, this.attempt++, this.runtime.random);
      this.timer = this.runtime.timers.setTimeout(() => {
        this.timer = null;
        this.run();
      }, delay);
    }
  }
}
