import type { Runtime } from '../common/runtime.js';

/**
 * Catch-up pages are the costliest work a node does: a page of a thousand events is read, built and
 * serialised in one go (about 10 ms of CPU), and many clients can want pages at once (a crowd
 * reconnecting after an outage; clients that ask again and again and never read). Left alone they
 * take the whole event loop, and every send, push and receipt on the node waits behind them.
 *
 * So pages are built one at a time per node, in the order they were asked for; while others wait,
 * the next starts only after a pause as long as the last build took (`share` of the time, half by
 * default). A lone catch-up is never paced; a crowd shares half the node, and the other half keeps
 * delivery as quick as when idle.
 */
export class CatchUpPacer {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly runtime: Runtime,
    /** The most of the node's time page building may take while others wait, in (0, 1]. */
    private readonly share = 0.5,
  ) {
    if (!(share > 0 && share <= 1)) throw new RangeError('share must be in (0, 1]');
  }

  /** Pages waiting for their turn (not counting the one being built). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves when it is this page's turn, with the function to call once it is built and written. */
  async turn(): Promise<() => void> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    const started = this.runtime.clock.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (!next) {
        this.busy = false;
        return;
      }
      // Stays busy through the pause, so pages asked for meanwhile queue behind `next`.
      const took = this.runtime.clock.now() - started;
      this.runtime.timers.setTimeout(next, (took * (1 - this.share)) / this.share);
    };
  }
}
