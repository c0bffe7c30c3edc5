import type { Runtime, TimerHandle } from '../../common/runtime.js';
import { ATTACHMENT_LIMITS } from '../../protocol/attachments.js';
import type { InFlight } from '../in-flight.js';
import type { ServerLogger } from '../logger.js';
import type { ServerStore } from '../store/server-store.js';
import type { AttachmentFiles } from './attachment-files.js';

/** How often garbage collection looks for uploads nobody refers to. */
export const UPLOAD_COLLECTION_INTERVAL_MS = 60 * 60 * 1000;

export interface UploadCollector {
  /** No further runs; one under way finishes (it is tracked by InFlight). */
  stop(): void;
}

/**
 * Removes uploads no message refers to a day after they were created (never finished, never sent,
 * or sent in messages since deleted for everyone): their rows first, each only if still
 * unreferenced at that moment, then their files. Runs once at start and then every hour, on the
 * injected timers.
 */
export function startUploadCollector(deps: {
  store: ServerStore;
  files: AttachmentFiles;
  runtime: Runtime;
  logger: ServerLogger;
  inFlight: InFlight;
}): UploadCollector {
  const { store, files, runtime, logger, inFlight } = deps;
  let timer: TimerHandle | undefined;
  let stopped = false;

  /** Removes every upload created over a day ago that no message refers to. */
  async function collect(): Promise<void> {
    const expired = await store.listExpiredUploads(runtime.clock.now() - ATTACHMENT_LIMITS.unreferencedUploadTtlMs);
    for (const id of expired) {
      // A message may have referred to it since the list was made: then the row stays.
      if (await store.deleteUpload(id)) await files.remove(id);
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = runtime.timers.setTimeout(() => {
      const run = collect()
        .catch((error: unknown) => logger.error('Collecting unreferenced uploads failed', error))
        .finally(() => schedule(UPLOAD_COLLECTION_INTERVAL_MS));
      void inFlight.track(run);
    }, delayMs);
  }
  schedule(0);

  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) runtime.timers.clearTimeout(timer);
    },
  };
}
