/**
 * Sustained load: 10,000 connected clients, 1,000 messages a second for 60 s spread over their
 * direct conversations, on two server nodes sharing one PostgreSQL database, and in the same run
 * with the same load on one SQLite node (the baseline: what a single node does today).
 *
 * - Clients are raw `ws` sockets (lib/raw-client.ts) in holder processes (lib/load-holder.ts,
 *   SOCKETS_PER_HOLDER each, so no one event loop holds them all). Users 2i and 2i+1 share a
 *   conversation; in the cluster even users are on node 1 and odd ones on node 2, so every
 *   message crosses nodes (LISTEN/NOTIFY, the event in the notification): the worst
 *   case, where a load balancer would cross half of them.
 * - History: the conversations hold HISTORY_PER_CLIENT seeded events per client before the run
 *   (messages with edits, reactions, deletes and replies), so most pairs already share presence
 *   and the log is not empty when PostgreSQL's statistics are collected after seeding.
 * - Load: open loop. Each holder sends its share of the rate from random sockets of its own,
 *   paced by the clock (a late tick catches up), whatever the server answers; then everything
 *   owed is given up to DRAIN_TIMEOUT_MS to arrive. Recipients acknowledge what they receive with
 *   a delivery receipt, as the app's clients do (50 ms after a push, up to the newest), so a
 *   message also costs the servers a receipt and a watermark push to both people.
 * - The rate: the cluster first runs STEP_MS steps, from the target rate down (halving, then one
 *   step between the last failure and the first success), and the 60 s window runs at the highest
 *   rate it kept up with ("kept up": every push arrived within STEP_DRAIN_MS of the step's last
 *   send, p50 under STEP_P50_MS, exactly once, the holders on pace). On a machine with the
 *   capacity that is the target itself; otherwise the output says which rate ran and why. The
 *   SQLite node then runs the same window at the same rate, and one step at the target rate.
 * - Figures: send (just before the frame is written) → push at the recipient's socket, p50/p99 of
 *   every message (process.hrtime: CLOCK_MONOTONIC, shared by processes on Linux); whether each
 *   message's push reached its recipient exactly once (anything else is counted and fails the
 *   target of zero); each node's peak RSS (VmHWM, its whole life: every connection included) and
 *   CPU over the window, PostgreSQL's CPU (every process of the embedded server), and the holders'
 *   CPU and pacing lag (their share of the 2 cores, and whether they kept the pace).
 * - --profile: PostgreSQL's statement statistics over the window (pg_stat_statements).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENVELOPE_RUN_METRIC,
  RECEIPT_RUN_METRIC,
  describeHistogram,
  FANOUT_DELAY_METRIC,
  histogramSince,
  scrapeNodes,
  startPostgresNodes,
  type Histogram,
} from './lib/cluster.js';
import { joinLoad, startLoadHolder, type LoadHolder, type LoadOutcome } from './lib/load-driver.js';
import type { LoadSocket } from './lib/load-holder.js';
import { commitMs, startBenchPostgres, type BenchPostgres, type StatementStats } from './lib/postgres.js';
import { startServerProcess, tempDir, type ServerProcess } from './lib/proc.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { seedPostgresInChild } from './lib/seed-postgres.js';
import { seedInChild, type SeedManifest, type SeedSpec } from './lib/seed.js';
import { round, roundSummary, sleep, summarise, type Summary } from './lib/stats.js';

const BENCH = 'sustained';
const FULL_CLIENTS = 10_000;
const FULL_RATE = 1_000;
const FULL_DURATION_S = 60;
/** Sockets per holder process; the findings give what each holder's event loop spent. */
const SOCKETS_PER_HOLDER = 2_500;
/** Handshakes in flight per holder while connecting. */
const CONNECT_CONCURRENCY = 16;
/** After a window's last send: how long everything owed may take to arrive, and how long without progress ends the wait. */
const DRAIN_TIMEOUT_MS = 60_000;
const DRAIN_STALL_MS = 10_000;
/**
 * The rate search: step length, and what "kept up" allows. A backlog that grows through a step
 * takes long to clear after it, and a standing queue shows in the median; a passing stall shows in
 * neither (only in p99, which is the figure, not the criterion).
 */
const STEP_MS = 10_000;
const STEP_DRAIN_MS = 1_000;
const STEP_P50_MS = 100;
const STEP_MAX_LAG_MS = 250;
/** Seeded events per client before the run (the conversations' history). */
const HISTORY_PER_CLIENT = 2;
/** The search stops below this share of the target. */
const LOWEST_SHARE = 1 / 16;
/**
 * Before each window the servers must be idle: the nodes and PostgreSQL together under
 * IDLE_PERCENT of a core over IDLE_SAMPLE_MS. The presence steps of 10,000 first connections (the
 * directory's rows, the signals, each person's contacts on both nodes) run on long after the last
 * socket opened, and no push tells when they end; nor does a step that did not keep up leave the
 * servers idle when its pushes have arrived. Past IDLE_TIMEOUT_MS the window starts anyway.
 */
const IDLE_PERCENT = 10;
const IDLE_SAMPLE_MS = 1_000;
const IDLE_TIMEOUT_MS = 300_000;

runBench(BENCH, async ({ scale, profile }) => {
  const clients = 2 * Math.round(scaled(FULL_CLIENTS, scale, 100) / 2);
  const target = scaled(FULL_RATE, scale, 20);
  const durationMs = Math.max(10, Math.round(FULL_DURATION_S * scale)) * 1000;
  const holderCount = Math.ceil(clients / SOCKETS_PER_HOLDER);
  const openFiles = openFilesLimit();
  // One node holds every socket in the baseline (a descriptor each), besides its own files.
  if (openFiles !== null && openFiles < clients + 200) {
    throw new Error(
      `${clients} sockets on one node need more than ${openFiles} open files (ulimit -n); raise it or use a smaller --scale`,
    );
  }
  const work = tempDir(BENCH);
  const pairs = clients / 2;
  const spec: SeedSpec = {
    users: clients,
    conversations: Array.from({ length: pairs }, (_, i) => [2 * i, 2 * i + 1] as [number, number]),
    // A service in use: every conversation has a history, and most pairs have both written (so
    // they share presence). It also gives PostgreSQL's planner a log to plan on: statistics of an
    // empty one make every node's prepared statements scan the log as it grows (deploy.md).
    traffic: {
      events: HISTORY_PER_CLIENT * clients,
      conversations: Array.from({ length: pairs }, (_, i) => i),
      weights: Array.from({ length: pairs }, () => 1),
      editShare: 0.05,
      reactionShare: 0.05,
      deleteShare: 0.01,
      replyShare: 0.05,
    },
  };
  log(BENCH, `seeding ${clients} users into SQLite`);
  const manifest = await seedInChild(join(work, 'sqlite'), spec, work);
  log(BENCH, 'starting PostgreSQL');
  const postgres = await startBenchPostgres(BENCH, { statements: profile });
  try {
    log(BENCH, `seeding the same into PostgreSQL (${postgres.source})`);
    const pgSeedMs = (await seedPostgresInChild(postgres.url, spec, manifest, work)).seedMs;
    const commit = await commitMs(postgres.url);

    log(BENCH, `cluster: two PostgreSQL nodes, ${clients} clients`);
    const nodes = await startPostgresNodes(postgres.url, join(work, 'shared'), 2);
    const clusterSession = await connect(manifest, nodes, (user) => user % 2, holderCount, postgres);
    const search = await searchRate(clusterSession, target);
    log(BENCH, `cluster: ${search.rate} msg/s for ${durationMs / 1000} s`);
    const cluster = await clusterSession.window(search.rate, durationMs, DRAIN_TIMEOUT_MS);
    const clusterEnd = await clusterSession.close();
    await Promise.all(nodes.map((node) => node.stop()));

    log(BENCH, `baseline: one SQLite node, ${clients} clients, ${search.rate} msg/s for ${durationMs / 1000} s`);
    const sqliteNode = await startServerProcess(join(work, 'sqlite'));
    const sqliteSession = await connect(manifest, [sqliteNode], () => 0, holderCount, null);
    const baseline = await sqliteSession.window(search.rate, durationMs, DRAIN_TIMEOUT_MS);
    const sqliteAtTarget = search.rate < target ? await sqliteSession.window(target, STEP_MS, DRAIN_TIMEOUT_MS) : null;
    const baselineEnd = await sqliteSession.close();
    await sqliteNode.stop();

    const size = `${clients.toLocaleString('en')} clients, ${search.rate.toLocaleString('en')} msg/s`;
    const sqlitePeak = baselineEnd.nodes[0]!.peakMiB;
    const onSqlite = (value: number | null, unit: string, name = '1 SQLite node') =>
      value === null ? {} : { baseline: { name, value, unit } };
    const latency = (which: 'p50' | 'p99'): Row =>
      row({
        key: `sustained.${which}`,
        name: `Send → push ${which}, ${size}, 2 PostgreSQL nodes`,
        value: cluster.latency[which],
        unit: 'ms',
        ...onSqlite(baseline.latency[which], 'ms'),
        ratio: round(cluster.latency[which] / baseline.latency[which]),
      });
    const rows: Row[] = [
      row({
        key: 'sustained.rate',
        name: `Rate the 2 PostgreSQL nodes kept up with (${STEP_MS / 1000} s steps)`,
        value: search.rate,
        unit: 'msg/s',
        target: { text: `≥ ${target.toLocaleString('en')} msg/s`, op: '>=', value: target },
      }),
      latency('p50'),
      latency('p99'),
      row({
        key: 'sustained.not-exactly-once',
        name: 'Messages whose push did not reach the recipient exactly once',
        value: cluster.notExactlyOnce,
        unit: 'messages',
        ...onSqlite(baseline.notExactlyOnce, 'messages'),
        target: { text: '0', op: '<=', value: 0 },
      }),
      ...clusterEnd.nodes.map((node, i) =>
        row({
          key: `sustained.rss.node${i + 1}`,
          name: `Server peak RSS, PostgreSQL node ${i + 1}`,
          value: node.peakMiB,
          unit: 'MiB',
          ...onSqlite(sqlitePeak, 'MiB'),
        }),
      ),
      ...cluster.nodeCpuPercent.map((cpu, i) =>
        row({
          key: `sustained.cpu.node${i + 1}`,
          name: `Server CPU in the window, PostgreSQL node ${i + 1}`,
          value: cpu,
          unit: '% of a core',
          ...onSqlite(baseline.nodeCpuPercent[0] ?? null, '% of a core'),
        }),
      ),
      row({
        key: 'sustained.cpu.postgres',
        name: 'PostgreSQL CPU in the window (all its processes)',
        value: cluster.postgresCpuPercent,
        unit: '% of a core',
      }),
    ];
    return {
      sizes: {
        clients,
        targetPerSecond: target,
        perSecond: search.rate,
        durationS: durationMs / 1000,
        holders: holderCount,
        openFilesLimit: openFiles ?? -1,
      },
      rows,
      details: {
        postgres: postgres.source,
        postgresSeedMs: pgSeedMs,
        commitMs: commit,
        search: search.steps,
        cluster: { connect: clusterEnd, window: cluster },
        baseline: { connect: baselineEnd, window: baseline, atTarget: sqliteAtTarget },
      },
      findings: [
        describeSearch(search, target),
        ...(sqliteAtTarget ? [describeSqliteAtTarget(sqliteAtTarget, target)] : []),
        ...describeWindow('2 PostgreSQL nodes', cluster, clusterEnd),
        ...describeWindow('1 SQLite node', baseline, baselineEnd),
        ...describeStatements(cluster),
        `A commit on this PostgreSQL waits ${commit.flushed} ms at p50 for the WAL flush (${commit.unflushed} ms without waiting); ` +
          'every stored message pays it (SQLite: synchronous = NORMAL in WAL mode, no flush per commit).',
        `Machine limits: open files ${openFiles ?? 'n/a'} (ulimit -n; one per socket on the SQLite node); CPU in the window, in % of one ` +
          `core (2 cores = 200%): cluster ${cpuText(cluster)}; SQLite ${cpuText(baseline)}.`,
      ],
    };
  } finally {
    await postgres.stop();
  }
});

// -- connecting and load windows --------------------------------------------------------------

interface Session {
  /** Sends at `perSecond` for `durationMs`, waits up to `drainMs` for everything owed, joins. */
  window(perSecond: number, durationMs: number, drainMs: number): Promise<WindowResult>;
  /** Stops the holders; what connecting cost and the nodes' memory over the whole session. */
  close(): Promise<ConnectResult>;
}

interface ConnectResult {
  connections: number;
  openMs: number;
  settled: Array<{ frames: number; ms: number }>;
  /** From the holders' settling (no frame for a second) until the servers were idle (or not, at the timeout). */
  idle: Idle;
  nodes: Array<{ connectedMiB: number | null; endMiB: number | null; peakMiB: number | null }>;
}

interface Idle {
  ms: number;
  reached: boolean;
}

interface WindowResult {
  perSecond: number;
  /** How long the servers took to become idle before the window. */
  idleBefore: Idle;
  sent: number;
  achievedPerSecond: number;
  sendMs: number;
  /** From the last send until everything owed arrived (or the wait gave up). */
  drainMs: number;
  /** Holders' worst pacing lag (their event loop's delay before a due send went out), ms. */
  maxLagMs: number;
  latency: Summary;
  replyLatency: Summary;
  notExactlyOnce: number;
  outcome: Omit<LoadOutcome, 'latencies' | 'replyLatencies'>;
  nodeCpuPercent: Array<number | null>;
  postgresCpuPercent: number | null;
  holderCpuPercent: Array<number | null>;
  /** The nodes' sync_cluster_fanout_delay_seconds over the window (signals between nodes; null on one node). */
  fanout: ReturnType<typeof describeHistogram> | null;
  /** The nodes' sync_db_envelopes_per_run over the window: append runs, and envelopes stored per run (null on SQLite). */
  envelopeRuns: Runs | null;
  /** The nodes' sync_db_receipts_per_run over the window: watermark runs, and receipts raised per run (null on SQLite). */
  receiptRuns: Runs | null;
  /** --profile, cluster: PostgreSQL's top statements by total time over the window. */
  statements: Array<StatementStats & { perMessage: number }> | null;
}

/** Runs of a node's group commit over a window, and how many writes each took on average. */
interface Runs {
  runs: number;
  meanWrites: number;
}

/** The runs a per-run histogram counted between two scrapes (null without both, or with none). */
function runsSince(before: Histogram | null, after: Histogram | null): Runs | null {
  const runs = before && after ? histogramSince(after, before) : null;
  return runs && runs.count > 0 ? { runs: runs.count, meanWrites: round(runs.sum / runs.count, 2) } : null;
}

/** Connects every user (user u to nodes[nodeOf(u)]) through the holders and waits for presence to settle. */
async function connect(
  manifest: SeedManifest,
  nodes: ServerProcess[],
  nodeOf: (user: number) => number,
  holderCount: number,
  postgres: BenchPostgres | null,
): Promise<Session> {
  const sockets: LoadSocket[] = manifest.users.map((user, u) => ({
    url: nodes[nodeOf(u)]!.url,
    token: user.token,
    user: u,
    peer: u ^ 1,
    conversationId: manifest.conversations[u >> 1]!.id,
  }));
  const share = Math.ceil(sockets.length / holderCount);
  log(BENCH, `opening ${sockets.length} sockets from ${holderCount} holder process(es)`);
  const opening = performance.now();
  const holders: LoadHolder[] = await Promise.all(
    Array.from({ length: holderCount }, (_, h) =>
      startLoadHolder(BENCH, sockets.slice(h * share, (h + 1) * share), CONNECT_CONCURRENCY),
    ),
  );
  const openMs = Math.round(performance.now() - opening);
  const settled = await Promise.all(holders.map((holder) => holder.settle()));
  const serversCpuMs = () => [...nodes.map((node) => node.cpuMs()), postgres?.cpuMs() ?? null];
  const idle = await untilIdle(serversCpuMs);
  log(BENCH, `servers idle ${idle.ms} ms after the holders settled${idle.reached ? '' : ' (not reached: timed out)'}`);
  const connected = nodes.map((node) => node.memory());
  const cpu = () => ({
    nodes: nodes.map((node) => node.cpuMs()),
    postgres: postgres?.cpuMs() ?? null,
    holders: holders.map((holder) => holder.cpuMs()),
  });
  return {
    window: async (perSecond, durationMs, drainMs) => {
      const idleBefore = await untilIdle(serversCpuMs);
      await postgres?.statements?.reset();
      const fanoutBefore = await scrapeNodes(nodes, FANOUT_DELAY_METRIC);
      const envelopeRunsBefore = await scrapeNodes(nodes, ENVELOPE_RUN_METRIC);
      const receiptRunsBefore = await scrapeNodes(nodes, RECEIPT_RUN_METRIC);
      const before = cpu();
      const started = performance.now();
      const ran = await Promise.all(holders.map((holder) => holder.run(perSecond / holders.length, durationMs)));
      const sent = ran.reduce((sum, r) => sum + r.sent, 0);
      const drainStarted = performance.now();
      await drain(holders, sent, drainMs);
      const drained = performance.now();
      const after = cpu();
      const fanoutAfter = await scrapeNodes(nodes, FANOUT_DELAY_METRIC);
      const fanout = fanoutBefore && fanoutAfter ? describeHistogram(histogramSince(fanoutAfter, fanoutBefore)) : null;
      const envelopeRuns = runsSince(envelopeRunsBefore, await scrapeNodes(nodes, ENVELOPE_RUN_METRIC));
      const receiptRuns = runsSince(receiptRunsBefore, await scrapeNodes(nodes, RECEIPT_RUN_METRIC));
      const statements = (await postgres?.statements?.top(15)) ?? null;
      const collected = await Promise.all(holders.map((holder) => holder.collect()));
      const { latencies, replyLatencies, ...outcome } = joinLoad(collected);
      const wallMs = drained - started;
      const percent = (from: number | null | undefined, to: number | null | undefined) =>
        from === null || from === undefined || to === null || to === undefined ? null : round(((to - from) / wallMs) * 100, 1);
      const sendMs = Math.max(...ran.map((r) => r.ms));
      return {
        perSecond,
        idleBefore,
        sent,
        achievedPerSecond: round(sent / (sendMs / 1000), 1),
        sendMs,
        drainMs: Math.round(drained - drainStarted),
        maxLagMs: Math.max(...ran.map((r) => r.maxLagMs)),
        latency: roundSummary(summarise(latencies)),
        replyLatency: roundSummary(summarise(replyLatencies)),
        notExactlyOnce: outcome.sent - (outcome.acknowledged - outcome.lost - outcome.duplicated),
        outcome,
        nodeCpuPercent: nodes.map((_, i) => percent(before.nodes[i], after.nodes[i])),
        postgresCpuPercent: percent(before.postgres, after.postgres),
        holderCpuPercent: holders.map((_, i) => percent(before.holders[i], after.holders[i])),
        fanout: fanout && fanout.count > 0 ? fanout : null,
        envelopeRuns,
        receiptRuns,
        statements: statements?.map((statement) => ({ ...statement, perMessage: round(statement.calls / sent) })) ?? null,
      };
    },
    close: async () => {
      const ended = nodes.map((node) => node.memory());
      await Promise.all(holders.map((holder) => holder.stop()));
      const mib = (value: number | undefined) => (value === undefined ? null : Math.round(value));
      return {
        connections: holders.reduce((sum, holder) => sum + holder.count, 0),
        openMs,
        settled,
        idle,
        nodes: nodes.map((_, i) => ({
          connectedMiB: mib(connected[i]?.rssMiB),
          endMiB: mib(ended[i]?.rssMiB),
          peakMiB: mib(ended[i]?.peakMiB),
        })),
      };
    },
  };
}

/** Waits until the servers' CPU (`cpuMs`: ms per process, null where unknown) stays under IDLE_PERCENT for a sample. */
async function untilIdle(cpuMs: () => Array<number | null>): Promise<Idle> {
  const started = performance.now();
  const total = () => cpuMs().reduce((sum: number, ms) => sum + (ms ?? 0), 0);
  let before = total();
  while (performance.now() - started < IDLE_TIMEOUT_MS) {
    await sleep(IDLE_SAMPLE_MS);
    const now = total();
    if (((now - before) / IDLE_SAMPLE_MS) * 100 < IDLE_PERCENT) {
      return { ms: Math.round(performance.now() - started), reached: true };
    }
    before = now;
  }
  return { ms: Math.round(performance.now() - started), reached: false };
}

/** Waits until every send was answered and as many pushes arrived, or nothing moved for DRAIN_STALL_MS, or `limitMs`. */
async function drain(holders: LoadHolder[], sent: number, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  let last = -1;
  let lastChange = performance.now();
  while (performance.now() < deadline) {
    const progress = await Promise.all(holders.map((holder) => holder.progress()));
    const replied = progress.reduce((sum, p) => sum + p.replied, 0);
    const pushes = progress.reduce((sum, p) => sum + p.pushes, 0);
    if (replied >= sent && pushes >= sent) return;
    if (replied + pushes !== last) {
      last = replied + pushes;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > DRAIN_STALL_MS) {
      return;
    }
    await sleep(100);
  }
}

// -- the rate search --------------------------------------------------------------------------

interface Step {
  perSecond: number;
  keptUp: boolean;
  p50: number;
  p99: number;
  /** Send → `sent` reply p50: the storing side alone. */
  replyP50: number;
  /** CPU in % of a core: the nodes together, PostgreSQL. */
  nodesCpuPercent: number | null;
  postgresCpuPercent: number | null;
  /** The nodes' fan-out delay: mean (ms) and p99's bucket. */
  fanoutMeanMs: number | null;
  fanoutP99: string | null;
  /** Envelopes stored per append run, on average. */
  envelopesPerRun: number | null;
  /** Receipts raised per watermark run, on average. */
  receiptsPerRun: number | null;
  drainMs: number;
  maxLagMs: number;
  notExactlyOnce: number;
  /** What went wrong with the messages not delivered exactly once, and sockets the server closed (code × count). */
  missed: Pick<LoadOutcome, 'lost' | 'duplicated' | 'unanswered' | 'refused' | 'closes'>;
}

function keptUp(result: WindowResult): boolean {
  return (
    result.drainMs <= STEP_DRAIN_MS &&
    result.latency.p50 <= STEP_P50_MS &&
    result.notExactlyOnce === 0 &&
    result.maxLagMs <= STEP_MAX_LAG_MS
  );
}

/**
 * The highest rate up to `target` the session keeps up with: the target, else halving until a
 * step keeps up, then one step halfway back up. A step that did not keep up is drained in full
 * before the next, so no backlog carries over.
 */
async function searchRate(session: Session, target: number): Promise<{ rate: number; steps: Step[] }> {
  const steps: Step[] = [];
  const attempt = async (perSecond: number) => {
    log(BENCH, `step: ${perSecond} msg/s for ${STEP_MS / 1000} s`);
    const result = await session.window(perSecond, STEP_MS, DRAIN_TIMEOUT_MS);
    const step: Step = {
      perSecond,
      keptUp: keptUp(result),
      p50: result.latency.p50,
      p99: result.latency.p99,
      replyP50: result.replyLatency.p50,
      nodesCpuPercent: result.nodeCpuPercent.some((cpu) => cpu === null)
        ? null
        : round(
            result.nodeCpuPercent.reduce((sum: number, cpu) => sum + cpu!, 0),
            1,
          ),
      postgresCpuPercent: result.postgresCpuPercent,
      fanoutMeanMs: result.fanout?.meanMs ?? null,
      fanoutP99: result.fanout?.p99 ?? null,
      envelopesPerRun: result.envelopeRuns?.meanWrites ?? null,
      receiptsPerRun: result.receiptRuns?.meanWrites ?? null,
      drainMs: result.drainMs,
      maxLagMs: result.maxLagMs,
      notExactlyOnce: result.notExactlyOnce,
      missed: {
        lost: result.outcome.lost,
        duplicated: result.outcome.duplicated,
        unanswered: result.outcome.unanswered,
        refused: result.outcome.refused,
        closes: result.outcome.closes,
      },
    };
    steps.push(step);
    return step.keptUp;
  };
  let failed = target;
  if (await attempt(target)) return { rate: target, steps };
  let rate = Math.round(target / 2);
  while (!(await attempt(rate))) {
    failed = rate;
    rate = Math.round(rate / 2);
    if (rate < target * LOWEST_SHARE)
      throw new Error(`The cluster kept up with no rate down to ${failed} msg/s: ${JSON.stringify(steps)}`);
  }
  const between = Math.round((rate + failed) / 2);
  if (between > rate && (await attempt(between))) rate = between;
  return { rate, steps };
}

// -- findings ---------------------------------------------------------------------------------

/** Sockets the server closed in a step (none in a sound one: the holders do not reconnect, so the later steps would lose them). */
function closedText(closes: Record<string, number>): string {
  const counted = Object.entries(closes).map(([code, n]) => `${n} × ${code}`);
  return counted.length === 0 ? '' : `; sockets closed by the server: ${counted.join(', ')}`;
}

function describeSearch(search: { rate: number; steps: Step[] }, target: number): string {
  const steps = search.steps
    .map(
      (s) =>
        `${s.perSecond}/s ${s.keptUp ? 'kept up' : 'did not'} (p99 ${s.p99} ms, drained ${s.drainMs} ms, lag ${s.maxLagMs} ms, ` +
        `fan-out delay mean ${s.fanoutMeanMs ?? 'n/a'} ms, p99 ${s.fanoutP99 ?? 'n/a'}, ` +
        `${s.envelopesPerRun ?? 'n/a'} envelopes per append run, ${s.receiptsPerRun ?? 'n/a'} receipts per watermark run${closedText(s.missed.closes)})`,
    )
    .join('; ');
  const verdict =
    search.rate === target
      ? `The cluster kept up with the target rate, ${target}/s.`
      : `The cluster did not keep up with ${target}/s on this machine: the window ran at ${search.rate}/s, the highest rate that kept up.`;
  // Where the backlog of the lowest rate that failed built up: storing (the sender's reply waits)
  // or between the nodes (the fan-out delay counts from publishing to the other node handling it).
  const failed = search.steps.filter((s) => !s.keptUp).sort((a, b) => a.perSecond - b.perSecond)[0];
  const where = failed
    ? ` At ${failed.perSecond}/s, the lowest rate that did not keep up: send → reply p50 ${failed.replyP50} ms (storing), ` +
      `send → push p50 ${failed.p50} ms, fan-out delay mean ${failed.fanoutMeanMs ?? 'n/a'} ms (publish → the other node handling ` +
      `the signal, its queue included); CPU: nodes ${failed.nodesCpuPercent ?? 'n/a'}% together, PostgreSQL ` +
      `${failed.postgresCpuPercent ?? 'n/a'}% of a core.`
    : '';
  return (
    `${verdict} Steps of ${STEP_MS / 1000} s ("kept up": everything arrived within ${STEP_DRAIN_MS / 1000} s of the last send, ` +
    `p50 under ${STEP_P50_MS} ms, exactly once, holders under ${STEP_MAX_LAG_MS} ms behind their pace): ${steps}.${where}`
  );
}

function describeSqliteAtTarget(result: WindowResult, target: number): string {
  return (
    `One SQLite node at the target ${target}/s for ${STEP_MS / 1000} s: ${keptUp(result) ? 'kept up' : 'did not keep up'} ` +
    `(send → push p50 ${result.latency.p50} ms, p99 ${result.latency.p99}; drained ${result.drainMs} ms after the last send; ` +
    `${result.notExactlyOnce} not exactly once; node CPU ${result.nodeCpuPercent[0] ?? 'n/a'}% of a core).`
  );
}

function describeWindow(label: string, window: WindowResult, session: ConnectResult): string[] {
  const { outcome } = window;
  const refused = Object.entries(outcome.refused)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  const closes = Object.entries(outcome.closes)
    .map(([code, n]) => `${n} × ${code}`)
    .join(', ');
  return [
    `${label}: ${session.connections} sockets opened in ${session.openMs} ms, the servers idle ${session.idle.ms} ms later` +
      `${session.idle.reached ? '' : ' (not idle yet: gave up waiting)'} (presence of the first connections: directory, signals, contacts); ` +
      `idle ${window.idleBefore.ms} ms before the window. ${window.sent} messages sent in ${window.sendMs} ms ` +
      `(${window.achievedPerSecond}/s; holders at most ${window.maxLagMs} ms behind their pace); everything owed arrived ` +
      `${window.drainMs} ms after the last send. Send → push p50 ${window.latency.p50} ms, p99 ${window.latency.p99}, max ${window.latency.max}; ` +
      `send → reply p50 ${window.replyLatency.p50} ms, p99 ${window.replyLatency.p99}` +
      (window.fanout
        ? `; the nodes' fan-out delay (publish → the other node handling the signal, its queue included): ${window.fanout.count} ` +
          `signals, mean ${window.fanout.meanMs} ms, p50 ${window.fanout.p50}, p99 ${window.fanout.p99}`
        : '') +
      (window.envelopeRuns
        ? `; stored in ${window.envelopeRuns.runs} append runs of ${window.envelopeRuns.meanWrites} on average`
        : '') +
      `; delivery receipts from the recipients: ${receiptsText(outcome.receipts)}` +
      (window.receiptRuns ? `, raised in ${window.receiptRuns.runs} runs of ${window.receiptRuns.meanWrites} on average.` : '.'),
    `${label}: ${window.notExactlyOnce === 0 ? 'every message reached its recipient exactly once' : `${window.notExactlyOnce} messages not exactly once`} ` +
      `(${outcome.acknowledged} acknowledged, ${outcome.lost} lost, ${outcome.duplicated} duplicated, ${outcome.unanswered} unanswered` +
      `${refused ? `, refused: ${refused}` : ''}; ${outcome.stray} stray pushes${closes ? `; sockets closed by the server: ${closes}` : ''}). ` +
      `Node RSS, MiB (all connected, end, peak): ${session.nodes.map((n) => `${n.connectedMiB} / ${n.endMiB} / ${n.peakMiB}`).join('; ')}.`,
  ];
}

function receiptsText(receipts: Record<string, number>): string {
  const answers = Object.entries(receipts);
  if (answers.length === 0) return 'none';
  return answers.map(([answer, n]) => `${n} ${answer}`).join(', ');
}

function describeStatements(window: WindowResult): string[] {
  if (!window.statements) return [];
  return [
    `PostgreSQL's top statements in the window (--profile: pg_stat_statements; calls per message × mean): ` +
      window.statements
        .slice(0, 10)
        .map((s) => `${s.perMessage} × ${s.meanMs} ms "${s.query.slice(0, 80)}"`)
        .join('; '),
  ];
}

function cpuText(window: WindowResult): string {
  const nodes = window.nodeCpuPercent.map((cpu, i) => `node ${i + 1} ${cpu ?? 'n/a'}`).join(', ');
  const postgres = window.postgresCpuPercent === null ? '' : `, PostgreSQL ${window.postgresCpuPercent}`;
  return `${nodes}${postgres}, holders ${window.holderCpuPercent.map((p) => p ?? 'n/a').join(' + ')}`;
}

/** The soft limit on open files of this process (its children inherit it), or null off Linux. */
function openFilesLimit(): number | null {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!match) return null;
    return match[1] === 'unlimited' ? Infinity : Number(match[1]);
  } catch {
    return null;
  }
}
