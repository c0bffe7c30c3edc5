import { describe, expect, it } from 'vitest';
import { DISAPPEARING_SWEEP_BATCH, startDisappearingSweep } from '../../../sync/server/disappearing-sweep.js';
import { InFlight } from '../../../sync/server/in-flight.js';
import type { LogFields, ServerLogger } from '../../../sync/server/logger.js';
import type { ExpiryPass, ServerStore } from '../../../sync/server/store/server-store.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { handRuntime } from '../../support/hand-runtime.js';

const EVERY_MS = 1_000;
const FULL = DISAPPEARING_SWEEP_BATCH;

/** A store whose passes answer `passes` in turn (then nothing), each asked with the time and the limit. */
function storeAnswering(...passes: Array<ExpiryPass | Error>) {
  const asked: Array<[number, number]> = [];
  const store = {
    purgeExpiredEnvelopes: (now: number, limit: number) => {
      asked.push([now, limit]);
      const pass = passes.shift() ?? { stamped: 0, purged: 0 };
      return pass instanceof Error ? Promise.reject(pass) : Promise.resolve(pass);
    },
  } as Pick<ServerStore, 'purgeExpiredEnvelopes'> as ServerStore;
  return { store, asked };
}

function collectingLogger() {
  const lines: Array<{ level: string; message: string; fields?: LogFields }> = [];
  const logger: ServerLogger = {
    error: (message) => lines.push({ level: 'error', message }),
    warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    info: (message, fields) => lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    debug: (message, fields) => lines.push({ level: 'debug', message, ...(fields ? { fields } : {}) }),
  };
  return { logger, lines };
}

describe('the disappearing-message sweep', () => {
  it('runs on the injected timer, drains pass after pass while one comes back full, and logs the counts at debug', async () => {
    const { runtime, advance } = handRuntime(0);
    const { store, asked } = storeAnswering(
      { stamped: FULL, purged: 3 },
      { stamped: 2, purged: FULL },
      { stamped: 0, purged: 1 },
      { stamped: 0, purged: 0 },
    );
    const { logger, lines } = collectingLogger();
    const sweep = startDisappearingSweep({ store, runtime, logger, inFlight: new InFlight(), everyMs: EVERY_MS });

    await advance(EVERY_MS - 1);
    expect(asked).toEqual([]);
    await advance(1);
    expect(asked).toEqual([
      [EVERY_MS, FULL],
      [EVERY_MS, FULL],
      [EVERY_MS, FULL],
    ]);
    expect(lines).toEqual([
      { level: 'debug', message: 'Swept disappearing envelopes', fields: { stamped: FULL + 2, purged: FULL + 4 } },
    ]);

    // The next run a whole interval after that one finished; one that does nothing logs nothing.
    await advance(EVERY_MS);
    expect(asked.slice(3)).toEqual([[2 * EVERY_MS, FULL]]);
    expect(lines).toHaveLength(1);
    sweep.stop();
    await advance(10 * EVERY_MS);
    expect(asked).toHaveLength(4);
  });

  it('logs a failed run and tries again at the next one', async () => {
    const { runtime, advance } = handRuntime(0);
    const { store, asked } = storeAnswering(new Error('the database went away'), { stamped: 0, purged: 2 });
    const { logger, lines } = collectingLogger();
    const sweep = startDisappearingSweep({ store, runtime, logger, inFlight: new InFlight(), everyMs: EVERY_MS });

    await advance(EVERY_MS);
    expect(lines).toEqual([{ level: 'error', message: 'Purging expired envelopes failed' }]);
    await advance(EVERY_MS);
    expect(asked).toHaveLength(2);
    expect(lines.at(-1)).toEqual({ level: 'debug', message: 'Swept disappearing envelopes', fields: { stamped: 0, purged: 2 } });
    sweep.stop();
  });

  it('gives the event loop back between passes, so what came in meanwhile runs before the next one', async () => {
    // A store that answers at once, as SQLite does: without a pause between passes, a backlog
    // would hold the event loop (every delivery) until it had all drained.
    const happened: string[] = [];
    const passes: ExpiryPass[] = [
      { stamped: FULL, purged: 0 },
      { stamped: 0, purged: FULL },
      { stamped: 0, purged: 0 },
    ];
    let drained!: () => void;
    const done = new Promise<void>((resolve) => (drained = resolve));
    const store = {
      purgeExpiredEnvelopes: () => {
        happened.push('pass');
        if (happened.length === 1) setTimeout(() => happened.push('a frame arrives'), 0);
        const pass = passes.shift()!;
        if (passes.length === 0) drained();
        return Promise.resolve(pass);
      },
    } as Pick<ServerStore, 'purgeExpiredEnvelopes'> as ServerStore;
    const sweep = startDisappearingSweep({
      store,
      runtime: realRuntime(),
      logger: collectingLogger().logger,
      inFlight: new InFlight(),
      everyMs: 1,
    });
    await done;
    sweep.stop();
    expect(happened).toEqual(['pass', 'a frame arrives', 'pass', 'pass']);
  });

  it('never runs with an interval of 0', async () => {
    const { runtime, advance } = handRuntime(0);
    const { store, asked } = storeAnswering();
    startDisappearingSweep({ store, runtime, logger: collectingLogger().logger, inFlight: new InFlight(), everyMs: 0 });
    await advance(60 * EVERY_MS);
    expect(asked).toEqual([]);
  });
});
