/**
 * Server nodes on one PostgreSQL database (the real CLI with `--store postgres://…`, each with its
 * own --node-id, all on one shared --data folder for attachments, as a deployment runs them), and
 * what the benchmarks read from the nodes' /metrics: the cross-node fan-out delay histogram.
 */
import { METRICS_PATH } from '../../../sync/protocol/frames.js';
import { startServerProcess, type ServerProcess } from './proc.js';

/** Starts `count` nodes on `url` together (the second waits for the first's migration, if any). */
export function startPostgresNodes(url: string, sharedDataDir: string, count: number): Promise<ServerProcess[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startServerProcess(sharedDataDir, { args: ['--store', url, '--node-id', `bench-node-${i + 1}`] }),
    ),
  );
}

/** A Prometheus histogram as scraped: cumulative bucket counts by upper bound (seconds), sum and count. */
export interface Histogram {
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/** The name the nodes give the delay from one node publishing a push to another receiving it (their clocks, ms resolution). */
export const FANOUT_DELAY_METRIC = 'sync_cluster_fanout_delay_seconds';
/** Envelopes a PostgreSQL node stores together per append run. */
export const ENVELOPE_RUN_METRIC = 'sync_db_envelopes_per_run';
/** Receipts a PostgreSQL node raises together per watermark run. */
export const RECEIPT_RUN_METRIC = 'sync_db_receipts_per_run';

/** One histogram from a node's /metrics, or null when the node does not export it. */
export async function scrapeHistogram(node: ServerProcess, name: string): Promise<Histogram | null> {
  const response = await fetch(`http://127.0.0.1:${node.port}${METRICS_PATH}`);
  if (!response.ok) throw new Error(`GET ${METRICS_PATH} answered ${response.status}`);
  const text = await response.text();
  const buckets: Histogram['buckets'] = [];
  let sum: number | null = null;
  let count: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const bucket = new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\} (\\S+)$`).exec(line);
    if (bucket) buckets.push({ le: bucket[1] === '+Inf' ? Infinity : Number(bucket[1]), count: Number(bucket[2]) });
    const total = new RegExp(`^${name}_(sum|count)(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (total?.[1] === 'sum') sum = Number(total[2]);
    if (total?.[1] === 'count') count = Number(total[2]);
  }
  if (sum === null || count === null || buckets.length === 0) return null;
  return { buckets, sum, count };
}

/** The nodes' histograms added up. */
export async function scrapeNodes(nodes: ServerProcess[], name: string): Promise<Histogram | null> {
  const all = await Promise.all(nodes.map((node) => scrapeHistogram(node, name)));
  if (all.some((h) => h === null)) return null;
  return all.reduce((total, h) => combine(total!, h!, 1))!;
}

/** What was observed between two scrapes. */
export function histogramSince(after: Histogram, before: Histogram): Histogram {
  return combine(after, before, -1);
}

function combine(a: Histogram, b: Histogram, sign: 1 | -1): Histogram {
  return {
    buckets: a.buckets.map((bucket, i) => ({ le: bucket.le, count: bucket.count + sign * (b.buckets[i]?.count ?? 0) })),
    sum: a.sum + sign * b.sum,
    count: a.count + sign * b.count,
  };
}

/**
 * Count, mean, and the buckets p50 and p99 fall in, in ms ("≤ 5 ms", or "> 1000 ms" past the last
 * bound: a histogram only knows the bucket, not the value).
 */
export function describeHistogram(h: Histogram): {
  count: number;
  meanMs: number | null;
  p50: string | null;
  p99: string | null;
} {
  const finite = h.buckets.filter((b) => Number.isFinite(b.le));
  const bucketOf = (q: number) => {
    if (h.count === 0) return null;
    const bucket = finite.find((b) => b.count >= q * h.count);
    return bucket ? `≤ ${bucket.le * 1000} ms` : `> ${(finite.at(-1)?.le ?? 0) * 1000} ms`;
  };
  return {
    count: h.count,
    meanMs: h.count > 0 ? Math.round((h.sum / h.count) * 1000 * 1000) / 1000 : null,
    p50: bucketOf(0.5),
    p99: bucketOf(0.99),
  };
}
