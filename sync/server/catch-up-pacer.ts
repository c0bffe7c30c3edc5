import type { Runtime } from '../common/runtime.js';

/**
 * Catch-up pages are the costliest work a node does: a page of a thousand events is read, built and
 * serialised in one go (about 10 ms of CPU), and many clients can want pages at once (a crowd
 * reconnecting after an outage; clients that ask again and again and never read). Left alone they
 * take the whole event loop, and every send, push and receipt on the node waits behind them.
 *
 * So pages are built one at a time per node, in the order they were asked for, and never two in one
 * go: each next page starts from a timer, so the event loop reads every socket in between. Without
 * that, pages asked for back to back (one connection's pipelined requests, resolved as microtasks)
 * were built one after another for seconds without the node reading a single send.
 *
 * While pages of other connections wait too, the next starts only after a pause twice as long as the
 * last build took (`share` of the time, a third by default): a crowd shares a third of the node, and
 * the rest keeps delivery about as quick as when idle (at half, a send landed on a page build often
 * enough to double the median). One client catching up on its own (several conversations at once)
 * only yields between its pages.
 *
 * In a crowd a page is also smaller (`crowdedPageEvents`), so a send that lands on a build waits for
 * a short one: the client simply asks for the rest (`hasMore`), as it does after any page.
 */
/**
 * The most events a page holds while pages of other connections wait: a quarter of a full page's
 * build, so the delivery a build holds up waits a few milliseconds, not fifteen.
 */
export const CROWDED_PAGE_EVENTS = 250;

export class CatchUpPacer {
  private busy = false;
  private readonly waiting: Array<{ requester: unknown; start: () => void }> = [];

  constructor(
    private readonly runtime: Runtime,
    /** The most of the node's time page building may take while others wait, in (0, 1]. */
    private readonly share = 1 / 3,
  ) {
    if (!(share > 0 && share <= 1)) throw new RangeError('share must be in (0, 1]');
  }

  /**
   * Whether pages of connections other than `requester` are waiting: asked at the start of its turn,
   * this says to build a smaller page.
   */
  crowdedFor(requester: unknown): boolean {
    return this.waiting.some((page) => page.requester !== requester);
  }

  /** Pages waiting for their turn (not counting the one being built). */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves when it is this page's turn, with the function to call once it is built and written.
   * `requester` tells pages of one connection from those of others.
   */
  async turn(requester: unknown): Promise<() => void> {
    if (this.busy) await new Promise<void>((start) => this.waiting.push({ requester, start }));
    this.busy = true;
    const started = this.runtime.clock.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const took = this.runtime.clock.now() - started;
      // Stays busy through the pause (or the yield), so pages asked for meanwhile queue up.
      const pause = this.crowdedFor(requester) ? (took * (1 - this.share)) / this.share : 0;
      this.runtime.timers.setTimeout(() => this.startNext(), pause);
    };
  }

  private startNext(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.busy = false;
  }
}
