/**
 * Where the sending core's time goes, for the first-message benchmark: its requests by type (how
 * many, when the first left and the last was answered, their round trips summed), libsignal's work
 * on its thread (sessions started from bundles, pairwise and group encryptions, the sender key's
 * distribution message) and its mirror transactions, each summed. Patched in at run time, as
 * lib/delivery-stamps.ts does: around the connection's request, the mirror's transaction and the
 * library object the core's crypto gets from loadSignal (one per thread). A few thousand calls per
 * first message, a microsecond each: cheap enough to stay on.
 */
import { SyncConnection } from '../../../sync/client/connection.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';

/** One kind of call in a window: how many, their time summed, the first one's start and the last one's end. */
export interface Stage {
  calls: number;
  ms: number;
  first: bigint;
  last: bigint;
}

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

let stages = new Map<string, Stage>();

function note(name: string, start: bigint, end: bigint): void {
  const stage = stages.get(name);
  if (!stage) {
    stages.set(name, { calls: 1, ms: Number(end - start) / 1e6, first: start, last: end });
    return;
  }
  stage.calls += 1;
  stage.ms += Number(end - start) / 1e6;
  if (end > stage.last) stage.last = end;
}

/**
 * Wraps `holder[name]` so each call is noted as `label(args)`, until its promise settles (or it
 * returns). A synchronous call inside another of the same (a nested transaction) is the outer one's.
 */
function around(holder: object, name: string, label: (args: unknown[]) => string): void {
  const target = holder as Record<string, AnyFn>;
  const original = target[name];
  if (typeof original !== 'function') throw new Error(`sender stages: ${name} is gone`);
  let depth = 0;
  target[name] = function (this: unknown, ...args: unknown[]) {
    const start = process.hrtime.bigint();
    depth += 1;
    let result: unknown;
    try {
      result = original.apply(this, args);
    } finally {
      depth -= 1;
    }
    if (result instanceof Promise) {
      const done = () => note(label(args), start, process.hrtime.bigint());
      result.then(done, done);
    } else if (depth === 0) {
      note(label(args), start, process.hrtime.bigint());
    }
    return result;
  };
}

/** Starts noting; `take()` answers what was noted since the last take (or since now) and starts again. */
export async function watchSender(): Promise<{ take(): Map<string, Stage> }> {
  const signal = await loadSignal();
  around(SyncConnection.prototype, 'request', (args) => `request ${(args[0] as { type?: string }).type ?? '?'}`);
  around(Mirror.prototype, 'transaction', () => 'mirror transaction');
  for (const name of ['processPreKeyBundle', 'signalEncrypt', 'groupEncrypt'] as const) around(signal, name, () => name);
  around(signal.SenderKeyDistributionMessage, 'create', () => 'SenderKeyDistributionMessage.create');
  return {
    take: () => {
      const taken = stages;
      stages = new Map();
      return taken;
    },
  };
}
