import type { Runtime, TimerHandle } from '../common/runtime.js';

/**
 * How much a connection may have written that its peer has not read yet. Without a bound, a
 * client that asks for catch-up again and again and never reads makes the server hold every page
 * it asked for.
 */
export interface OutputLimits {
  /** Above this, the connection's next frame waits (so catch-up pages pause) until the peer reads. */
  pauseAboveBytes: number;
  /** Above this, pushes alone (a busy group) have outrun the peer: the connection is cut at once. */
  cutAboveBytes: number;
  /** A peer that stays above pauseAboveBytes this long is cut; its client reconnects and catches up. */
  stuckMs: number;
  /** How often a paused connection looks whether its peer has read. */
  recheckMs: number;
}

export const OUTPUT_LIMITS: OutputLimits = {
  // One catch-up page of the protocol's largest size is well under this.
  pauseAboveBytes: 2 * 1024 * 1024,
  cutAboveBytes: 8 * 1024 * 1024,
  stuckMs: 30_000,
  recheckMs: 100,
};

/** Why a connection was cut for reading too slowly. */
export type SlowReader = 'over_limit' | 'stuck';

/**
 * One connection's output, measured by what its socket still buffers (bytes written that the
 * network has not taken because the peer does not read). The connection asks for room before it
 * handles each frame, tells after every write, and is told to cut the socket when the peer falls
 * hopelessly behind.
 */
export class OutputBudget {
  /** Since when the output has been above the pause mark without being seen below it; null while below. */
  private overSince: number | null = null;
  private watchdog: TimerHandle | undefined;
  private ended = false;

  constructor(
    private readonly buffered: () => number,
    private readonly runtime: Runtime,
    private readonly cut: (why: SlowReader) => void,
    private readonly limits: OutputLimits = OUTPUT_LIMITS,
  ) {}

  /** After a write: a peer far behind is cut at once; one over the pause mark starts the watchdog. */
  wrote(): void {
    if (this.ended) return;
    const bytes = this.buffered();
    if (bytes > this.limits.cutAboveBytes) {
      this.end();
      this.cut('over_limit');
      return;
    }
    this.observe(bytes);
  }

  /**
   * Resolves true once the output is under the pause mark (at once, usually), false when the
   * connection ended meanwhile, so the frame that waited is dropped.
   */
  async room(): Promise<boolean> {
    for (;;) {
      if (this.ended) return false;
      const bytes = this.buffered();
      this.observe(bytes);
      if (bytes <= this.limits.pauseAboveBytes) return true;
      await new Promise<void>((resolve) => this.runtime.timers.setTimeout(resolve, this.limits.recheckMs));
    }
  }

  /** The connection closed: no more waiting, no more watchdog. */
  end(): void {
    this.ended = true;
    if (this.watchdog) this.runtime.timers.clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private observe(bytes: number): void {
    if (bytes <= this.limits.pauseAboveBytes) {
      this.overSince = null;
      return;
    }
    if (this.overSince !== null || this.ended) return;
    this.overSince = this.runtime.clock.now();
    this.arm(this.limits.stuckMs);
  }

  private arm(delayMs: number): void {
    if (this.watchdog) this.runtime.timers.clearTimeout(this.watchdog);
    this.watchdog = this.runtime.timers.setTimeout(() => {
      this.watchdog = undefined;
      this.observe(this.buffered());
      if (this.overSince === null || this.ended) return;
      const overFor = this.runtime.clock.now() - this.overSince;
      if (overFor >= this.limits.stuckMs) {
        this.end();
        this.cut('stuck');
      } else {
        this.arm(this.limits.stuckMs - overFor);
      }
    }, delayMs);
  }
}
