/**
 * Cheap timers wrapped around the client core's stages, patched onto prototypes at run time (the
 * code under test is not changed). Granularity is one call per frame or per page, so the overhead
 * is negligible; `sqlStatements` (one timer per SQLite statement call) is for profiling runs only.
 *
 * Wrapped (each skipped, and reported as missing, if a refactor renamed it):
 * - SyncConnection.receive: one incoming frame: JSON.parse + validation + resolving the waiting request;
 * - serverFrameValidator.safeParse: validation of one frame (hot frames by hand, the rest by zod);
 * - Mirror.applyEvents: one page applied in one transaction (SQLite + event-applier JS + commit);
 * - SyncConnection.request: requests sent, by type.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { SyncConnection } from '../../../sync/client/connection.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { serverFrameValidator } from '../../../sync/protocol/server-frame-validator.js';

/** Wall ms and process CPU ms (all threads, via process.cpuUsage) spent inside each wrapped stage. */
export interface StageTimings {
  receive: { calls: number; ms: number; cpuMs: number };
  validation: { calls: number; ms: number; cpuMs: number };
  apply: { calls: number; ms: number; cpuMs: number; events: number };
  requests: Record<string, number>;
  /** The `limit` of the last catch_up request (null: none sent, so the server default applies). */
  catchUpLimit: number | null;
  missing: string[];
}

function cpuNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function timed(stage: { calls: number; ms: number; cpuMs: number }, original: AnyFn): AnyFn {
  return function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    const c = cpuNow();
    try {
      return original.apply(this, args);
    } finally {
      stage.calls += 1;
      stage.ms += performance.now() - t;
      stage.cpuMs += cpuNow() - c;
    }
  };
}

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

function wrap(target: object, name: string, around: (original: AnyFn) => AnyFn, missing: string[], label: string): () => void {
  const holder = target as Record<string, unknown>;
  const original = holder[name];
  if (typeof original !== 'function') {
    missing.push(label);
    return () => undefined;
  }
  holder[name] = around(original as AnyFn);
  return () => {
    holder[name] = original;
  };
}

export function instrumentClientStages(): { timings: StageTimings; reset(): void; restore(): void } {
  const timings: StageTimings = {
    receive: { calls: 0, ms: 0, cpuMs: 0 },
    validation: { calls: 0, ms: 0, cpuMs: 0 },
    apply: { calls: 0, ms: 0, cpuMs: 0, events: 0 },
    requests: {},
    catchUpLimit: null,
    missing: [],
  };
  const restores = [
    // Each wrapper looks the stage object up at call time, so reset() may replace it.
    wrap(
      SyncConnection.prototype,
      'receive',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          return timed(timings.receive, original).apply(this, args);
        },
      timings.missing,
      'SyncConnection.receive',
    ),
    wrap(
      serverFrameValidator,
      'safeParse',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          return timed(timings.validation, original).apply(this, args);
        },
      timings.missing,
      'serverFrameValidator.safeParse',
    ),
    wrap(
      Mirror.prototype,
      'applyEvents',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          timings.apply.events += Array.isArray(args[1]) ? args[1].length : 0;
          return timed(timings.apply, original).apply(this, args);
        },
      timings.missing,
      'Mirror.applyEvents',
    ),
    wrap(
      SyncConnection.prototype,
      'request',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          const request = args[0] as { type?: string; limit?: number } | undefined;
          const type = request?.type ?? '?';
          timings.requests[type] = (timings.requests[type] ?? 0) + 1;
          if (type === 'catch_up') timings.catchUpLimit = request?.limit ?? null;
          return original.apply(this, args);
        },
      timings.missing,
      'SyncConnection.request',
    ),
  ];
  return {
    timings,
    reset() {
      timings.receive = { calls: 0, ms: 0, cpuMs: 0 };
      timings.validation = { calls: 0, ms: 0, cpuMs: 0 };
      timings.apply = { calls: 0, ms: 0, cpuMs: 0, events: 0 };
      timings.requests = {};
      timings.catchUpLimit = null;
    },
    restore() {
      for (const restore of restores) restore();
    },
  };
}

export interface StatementTiming {
  sql: string;
  calls: number;
  ms: number;
  /** The SQL as prepared (comments and line breaks kept) and the last call's arguments, to EXPLAIN it. */
  source: string;
  lastArgs: unknown[];
}

/**
 * Times every better-sqlite3 statement call (run/get/all/iterate) by SQL text, in every database of
 * this process. About a microsecond of overhead per call: use it for breakdowns, not for figures.
 */
export function instrumentSqlStatements(): { results(): StatementTiming[]; reset(): void; restore(): void } {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  const stats = new Map<string, { calls: number; ms: number; lastArgs: unknown[] }>();
  const restores: Array<() => void> = [];
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = prototype[method];
    if (typeof original !== 'function') continue;
    prototype[method] = function (this: { source: string }, ...args: unknown[]) {
      const t = performance.now();
      try {
        return (original as AnyFn).apply(this, args);
      } finally {
        const entry = stats.get(this.source) ?? { calls: 0, ms: 0, lastArgs: [] };
        entry.calls += 1;
        entry.lastArgs = args;
        entry.ms += performance.now() - t;
        stats.set(this.source, entry);
      }
    };
    restores.push(() => {
      prototype[method] = original;
    });
  }
  return {
    results: () =>
      [...stats.entries()]
        .map(([sql, s]) => ({
          sql: sql.replace(/\s+/g, ' ').trim(),
          calls: s.calls,
          ms: Math.round(s.ms * 100) / 100,
          source: sql,
          lastArgs: s.lastArgs,
        }))
        .sort((a, b) => b.ms - a.ms),
    reset: () => stats.clear(),
    restore: () => restores.forEach((restore) => restore()),
  };
}
