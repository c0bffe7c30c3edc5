import type { Runtime, TimerHandle } from '../common/runtime.js';
import { ATTACHMENT_LIMITS } from '../protocol/attachments.js';
import { INBOX_LIMITS } from '../protocol/inbox-frames.js';
import type { AttachmentFiles } from './attachments/attachment-files.js';
import { startDisappearingSweep } from './disappearing-sweep.js';
import type { InFlight } from './in-flight.js';
import type { ServerLogger } from './logger.js';
import type { ServerStore } from './store/server-store.js';

/** How often housekeeping runs. */
export const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000;

export interface Housekeeping {
  /** No further runs; one under way finishes (it is tracked by InFlight). */
  stop(): void;
}

/**
 * What the server clears away on its own, once at start and then every hour on the injected
 * timers: uploads no message refers to a day after they were created (never finished, never sent,
 * or sent in messages since deleted or expired), and device envelopes nobody came for within
 * INBOX_LIMITS.keepForMs. One chore failing does not keep the other from running. Envelopes whose
 * disappearing-message timer ran out go far sooner, every `disappearingSweepMs` (disappearing-sweep.ts).
 */
export function startHousekeeping(deps: {
  store: ServerStore;
  files: AttachmentFiles;
  runtime: Runtime;
  logger: ServerLogger;
  inFlight: InFlight;
  disappearingSweepMs: number;
}): Housekeeping {
  const { store, files, runtime, logger, inFlight } = deps;
  const sweep = startDisappearingSweep({ store, runtime, logger, inFlight, everyMs: deps.disappearingSweepMs });
  let timer: TimerHandle | undefined;
  let stopped = false;

  /** Removes every upload created over a day ago that no message refers to. */
  async function collectUploads(): Promise<void> {
    const expired = await store.listExpiredUploads(runtime.clock.now() - ATTACHMENT_LIMITS.unreferencedUploadTtlMs);
    for (const id of expired) {
      // A message may have referred to it since the list was made: then the row stays.
      if (await store.deleteUpload(id)) await files.remove(id);
    }
  }

  async function expireEnvelopes(): Promise<void> {
    const dropped = await store.deviceInbox.expire(runtime.clock.now() - INBOX_LIMITS.keepForMs);
    if (dropped > 0) logger.info('Dropped device envelopes nobody came for', { dropped });
  }

  async function run(): Promise<void> {
    await collectUploads().catch((error: unknown) => logger.error('Collecting unreferenced uploads failed', error));
    await expireEnvelopes().catch((error: unknown) => logger.error('Dropping old device envelopes failed', error));
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = runtime.timers.setTimeout(() => {
      void inFlight.track(run().finally(() => schedule(HOUSEKEEPING_INTERVAL_MS)));
    }, delayMs);
  }
  schedule(0);

  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) runtime.timers.clearTimeout(timer);
      sweep.stop();
    },
  };
}
