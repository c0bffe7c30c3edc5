import type { Runtime, TimerHandle } from '../common/runtime.js';
import type { InFlight } from './in-flight.js';
import type { ServerLogger } from './logger.js';
import type { ServerStore } from './store/server-store.js';

/** How often the sweep runs unless the server is told otherwise (SyncServerOptions.disappearingSweepMs). */
export const DISAPPEARING_SWEEP_MS = 10_000;

/** Envelopes one pass stamps or purges at most: each pass is one short transaction. */
export const DISAPPEARING_SWEEP_BATCH = 100;

export interface DisappearingSweep {
  /** No further runs; one under way finishes after its current pass (it is tracked by InFlight). */
  stop(): void;
}

/**
 * Purges the envelopes whose disappearing-message timer ran out (ServerStore.purgeExpiredEnvelopes)
 * every `everyMs` on the injected timers (0: never), pass after pass until one comes back short, so
 * a backlog drains in short transactions rather than one long one, with the event loop free between them. Every node of a cluster runs it:
 * passes are safe at the same time. A failed run is logged, and the next one tries again.
 */
export function startDisappearingSweep(deps: {
  store: ServerStore;
  runtime: Runtime;
  logger: ServerLogger;
  inFlight: InFlight;
  everyMs: number;
}): DisappearingSweep {
  const { store, runtime, logger, inFlight, everyMs } = deps;
  let timer: TimerHandle | undefined;
  let stopped = false;

  async function sweep(): Promise<void> {
    let stamped = 0;
    let purged = 0;
    for (;;) {
      const pass = await store.purgeExpiredEnvelopes(runtime.clock.now(), DISAPPEARING_SWEEP_BATCH);
      stamped += pass.stamped;
      purged += pass.purged;
      if (stopped || (pass.stamped < DISAPPEARING_SWEEP_BATCH && pass.purged < DISAPPEARING_SWEEP_BATCH)) break;
      // SQLite answers without giving the event loop back: deliveries wait one pass, not the whole backlog.
      await new Promise<void>((resolve) => runtime.timers.setTimeout(resolve, 0));
    }
    if (stamped > 0 || purged > 0) logger.debug('Swept disappearing envelopes', { stamped, purged });
  }

  function schedule(): void {
    if (stopped) return;
    timer = runtime.timers.setTimeout(() => {
      const run = sweep().catch((error: unknown) => logger.error('Purging expired envelopes failed', error));
      void inFlight.track(run.finally(schedule));
    }, everyMs);
  }
  if (everyMs > 0) schedule();

  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) runtime.timers.clearTimeout(timer);
    },
  };
}
