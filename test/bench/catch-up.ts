/**
 * Catch-up: a client that was offline while 100,000 envelopes (messages, with edits, reactions and
 * a few deletes among them, each sealed end to end) arrived in its 100 conversations reconnects;
 * how long until every conversation's cursor reaches the server's last seq, every envelope opened
 * and applied.
 *
 * - Server: a real `sync/server/cli.ts` process on data seeded beforehand through the store. The
 *   envelopes are real: each a libsignal SenderKeyMessage of the content (encodeContent, then
 *   groupEncrypt), sealed by the writer's device under its sender key for the conversation, the
 *   peer's device 1 or the reader's own other device 2 (lib/seed.ts, sealedFor; sealed once in
 *   the seed's child process and cached with the seeded folder).
 * - Client: the real client core in this process, with a profile whose session was saved with a
 *   known token (no log-in in the measured window), one account identity for every profile, and
 *   every sender key the traffic was sealed under, as if its device inbox had brought them
 *   (lib/client-profile.ts), so it opens every envelope as the app does: in the opening workers
 *   for runs long enough, on its own thread for the rest (crypto/run-applier.ts). The clock starts
 *   at openClientCore (which starts the engine) and stops when a second connection to the mirror
 *   sees every cursor at the server's last seq (checked on every `messages` event, and every 25
 *   ms). Each catch-up is checked afterwards: every message, edit, reaction and delete applied,
 *   nothing left waiting for a key, nothing held.
 * - Baselines: libsignal's groupDecrypt of the same ciphertexts on one thread over in-memory
 *   sender keys, in a child process (lib/raw-decrypt.ts; the floor issue 31's target names: at
 *   least 15,000 messages/s, and within 1.5× of this floor, in the same run), three times among
 *   the catch-ups, median; and better-sqlite3
 *   inserting the rows the catch-up produced (messages, edit versions, reactions) into an empty
 *   mirror with the same schema, in one transaction with prepared statements: the floor for
 *   writing those rows. Without the search index's triggers (which would note every row for an
 *   index this baseline never writes, and cost more than the rows).
 * - Peak RSS: client = this process's VmHWM, reset just before the measured window (so seeding and
 *   setup don't count; the tsx loader and the harness, ~60–80 MiB, do); server = its process's VmHWM.
 * - `--profile`: a second catch-up into a fresh profile, with per-statement SQLite timers and CPU
 *   profiles of the client (exactly the window) and of the server process (its whole life).
 * - The cost of the search index: the same catch-up into fresh profiles, alternately with the index
 *   (as the app runs) and without it (MessageSearch's notes, flush and indexPending made no-ops in
 *   this process for the run, so nothing is indexed), 5 of each, no stage timers; medians compared,
 *   in wall time and client CPU. New messages are indexed after the catch-up's transactions (SearchIndexer), so
 *   with the index each run also waits, after the clock stops, until the index holds every message
 *   (its watermark at the newest), and reports when that was and the client CPU until then.
 * - Encrypted: the same catch-up into fresh profiles whose mirror is encrypted (SQLCipher, raw
 *   256-bit key; encrypted before the clock starts), alternately with plain ones, 3 of each;
 *   medians compared, in wall time and client CPU.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppEvent } from '../../sync/app-api/contract.js';
import { openClientCore } from '../../sync/client/client-core.js';
import { defaultOpening } from '../../sync/client/crypto/device-crypto.js';
import { MIRROR_MIGRATIONS } from '../../sync/client/mirror/migrations.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { MessageSearch } from '../../sync/client/mirror/search.js';
import { openDatabase } from '../../sync/node/sqlite.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import { MirrorProbe, prepareProfile } from './lib/client-profile.js';
import {
  readMainThreadProfile,
  startCpuProfile,
  summariseProfile,
  type CpuProfile,
  type ProfileSummary,
} from './lib/cpu-profile.js';
import { instrumentClientStages, instrumentSqlStatements, type StageTimings, type StatementTiming } from './lib/instrument.js';
import { memoryOf, ownCpuMs, resetPeakRss, ROOT, startServerProcess, tempDir, type ServerProcess } from './lib/proc.js';
import { log, row, runBench, scaled } from './lib/report.js';
import { seedInChild, type SealedTraffic, type SeedSpec, type SeededUser } from './lib/seed.js';
import { rawDecryptInChild, type RawDecrypt, type RawDecryptInput } from './lib/raw-decrypt.js';
import type { HandedSenderKey } from './lib/sender-keys.js';
import { round, sleep, summarise } from './lib/stats.js';

type SqlTime = Pick<StatementTiming, 'sql' | 'calls' | 'ms'>;

const BENCH = 'catch-up';
const FULL_EVENTS = 100_000;
/** One direct conversation with each peer. */
const PEERS = 100;
const TIMEOUT_MS = 240_000;
/** Catch-ups with and without the search index, each. */
const INDEX_PAIRS = 5;
/** Catch-ups into an encrypted and a plain mirror, each. */
const ENCRYPTED_PAIRS = 3;
/** Raw decrypts of the same ciphertexts, spread over the run (median taken). */
const RAW_DECRYPTS = 3;
/** Issue 31: catch-up of 100,000 sealed messages over 100 conversations on this 2-core machine. */
const RATE_TARGET = { text: '≥ 15,000 msg/s', op: '>=' as const, value: 15_000 };
/** Issue 31: and within 1.5× of the raw decrypt of the same ciphertexts on one thread, in the same run. */
const RAW_DECRYPT_RATIO = 1.5;
/** A fixed key: the benchmark measures the cipher's cost, not a secret. */
const BENCH_KEY = Buffer.alloc(32, 0x5c);
/** 1 while a message is above the search index's watermark (migration 13), 0 once it caught up. */
const INDEX_BEHIND = `SELECT EXISTS (SELECT 1 FROM messages
  WHERE local_id > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_to'))`;

interface CatchUpRun {
  elapsedMs: number;
  onlineAtMs: number | null;
  /** From openClientCore until the search index holds every message (null: not waited for, the index off). */
  indexedAtMs: number | null;
  /** Client CPU until then. */
  clientCpuToIndexedMs: number | null;
  eventsPerSecond: number;
  clientPeakMiB: number | null;
  clientRssAtStartMiB: number | null;
  peakResetWorked: boolean;
  serverPeakMiB: number | null;
  serverRssMiB: number | null;
  clientCpuMs: number;
  serverCpuMs: number | null;
  eventLoopUtilisation: number;
  stages: StageTimings | null;
  windowUs: { startUs: number; endUs: number };
  mirrorFile: string;
}

runBench(BENCH, async ({ scale, profile }) => {
  const totalEvents = scaled(FULL_EVENTS, scale, 1_000);
  const work = tempDir(BENCH);
  const dataDir = join(work, 'server');
  const spec: SeedSpec = {
    users: 1 + PEERS,
    conversations: Array.from({ length: PEERS }, (_, i) => [0, i + 1] as [number, number]),
    traffic: {
      events: totalEvents,
      conversations: Array.from({ length: PEERS }, (_, i) => i),
      // Some conversations busier than others (the busiest about ten times the quietest).
      weights: Array.from({ length: PEERS }, (_, i) => round(1 / Math.sqrt(i + 1), 4)),
      editShare: 0.1,
      reactionShare: 0.05,
      deleteShare: 0.01,
      replyShare: 0.05,
      sealedFor: 0,
    },
  };
  log(BENCH, `seeding ${totalEvents} sealed envelopes in ${PEERS} conversations (sealed once, then cached)`);
  const manifest = await seedInChild(dataDir, spec, work);
  const sealed = manifest.sealed;
  if (!sealed) throw new Error('The seed carries no sender keys: its traffic was not sealed');
  const me = manifest.users[sealed.reader]!;
  const expected = new Map(manifest.conversations.map((c) => [c.id, c.lastSeq]));
  const rawInput: RawDecryptInput = {
    dataDir,
    readerId: me.id,
    conversations: manifest.conversations.map(({ id, lastSeq }) => ({ id, lastSeq })),
    senderKeys: sealed.senderKeys,
  };

  let server = await startServerProcess(dataDir);
  // Every profile the same device of the account: one identity (the key directory keeps the first
  // one published), and the sender keys the traffic was sealed under.
  const reader: Reader = { user: me, keysFrom: join(work, 'reader-keys'), senderKeys: sealed.senderKeys };
  await prepareProfile(reader.keysFrom, server.url, me);
  const rawDecrypts: RawDecrypt[] = [];
  log(BENCH, `raw libsignal decrypt of the same ciphertexts on one thread, in a child process (baseline 1/${RAW_DECRYPTS})`);
  rawDecrypts.push(await rawDecryptInChild(rawInput, work));
  const stages = instrumentClientStages();
  log(BENCH, `catching up (server pid ${server.pid})`);
  const run = await catchUpOnce(join(work, 'client-1'), server, reader, expected, stages);
  verify(run.mirrorFile, sealed);

  log(BENCH, 'baseline: raw better-sqlite3 insert of the same rows');
  const baseline = rawInsertBaseline(run.mirrorFile, join(work, 'baseline'));
  const baselineRate = totalEvents / (baseline.medianMs / 1000);
  const indexedBaseline = rawInsertBaseline(run.mirrorFile, join(work, 'baseline'), true);
  const indexedBaselineRate = totalEvents / (indexedBaseline.medianMs / 1000);

  let profiled: { client: ProfileSummary; server: ProfileSummary | null; statements: SqlTime[]; run: CatchUpRun } | null = null;
  stages.restore();

  log(BENCH, `the search index's cost: ${INDEX_PAIRS} catch-ups without it and ${INDEX_PAIRS} with it, alternately`);
  const withIndex: CatchUpRun[] = [];
  const withoutIndex: CatchUpRun[] = [];
  for (let i = 0; i < INDEX_PAIRS; i += 1) {
    for (const indexed of i % 2 === 0 ? [false, true] : [true, false]) {
      const dir = join(work, `client-index-${indexed ? 'on' : 'off'}-${i}`);
      const result = indexed
        ? await catchUpOnce(dir, server, reader, expected, null)
        : await withoutSearchIndex(() => catchUpOnce(dir, server, reader, expected, null, { awaitIndex: false }));
      verify(result.mirrorFile, sealed, indexed);
      (indexed ? withIndex : withoutIndex).push(result);
    }
  }
  const indexOn = medianRun(withIndex);
  const indexOff = medianRun(withoutIndex);
  const indexCost = 1 - indexOn.eventsPerSecond / indexOff.eventsPerSecond;
  const cpuOf = (runs: CatchUpRun[]) => round(summarise(runs.map((r) => r.clientCpuMs)).p50, 0);
  const indexCpu = { with: cpuOf(withIndex), without: cpuOf(withoutIndex) };
  // What 100,000 events/s needs on 2 cores: at most 10 µs of CPU an event on each side.
  const usPerEvent = (ms: number | null) => (ms === null ? NaN : round((ms * 1000) / totalEvents, 2));
  const perEvent = {
    clientUs: usPerEvent(summarise(withIndex.map((r) => r.clientCpuMs)).p50),
    serverUs: usPerEvent(summarise(withIndex.map((r) => r.serverCpuMs ?? NaN)).p50),
  };
  const indexedAt = round(summarise(withIndex.map((r) => r.indexedAtMs ?? NaN)).p50, 0);
  const cpuToIndexed = round(summarise(withIndex.map((r) => r.clientCpuToIndexedMs ?? NaN)).p50, 0);

  log(BENCH, `raw libsignal decrypt (baseline 2/${RAW_DECRYPTS})`);
  rawDecrypts.push(await rawDecryptInChild(rawInput, work));
  log(
    BENCH,
    `encryption's cost: ${ENCRYPTED_PAIRS} catch-ups into an encrypted mirror and ${ENCRYPTED_PAIRS} into a plain one, alternately`,
  );
  const encryptedRuns: CatchUpRun[] = [];
  const plainRuns: CatchUpRun[] = [];
  for (let i = 0; i < ENCRYPTED_PAIRS; i += 1) {
    for (const keyed of i % 2 === 0 ? [true, false] : [false, true]) {
      const dir = join(work, `client-${keyed ? 'encrypted' : 'plain'}-${i}`);
      const result = await catchUpOnce(dir, server, reader, expected, null, keyed ? { mirrorKey: BENCH_KEY } : {});
      verify(result.mirrorFile, sealed, true, keyed ? BENCH_KEY : undefined);
      (keyed ? encryptedRuns : plainRuns).push(result);
    }
  }
  log(BENCH, `raw libsignal decrypt (baseline 3/${RAW_DECRYPTS})`);
  rawDecrypts.push(await rawDecryptInChild(rawInput, work));
  const raw = medianDecrypt(rawDecrypts);
  const encryptedRun = medianRun(encryptedRuns);
  const plainRun = medianRun(plainRuns);
  const encryptedCpu = { encrypted: cpuOf(encryptedRuns), plain: cpuOf(plainRuns) };
  // The CPU targets judged as the app runs too: encrypted mirror, with the index.
  const encryptedPerEvent = {
    clientUs: usPerEvent(summarise(encryptedRuns.map((r) => r.clientCpuMs)).p50),
    serverUs: usPerEvent(summarise(encryptedRuns.map((r) => r.serverCpuMs ?? NaN)).p50),
  };
  const plainPerEvent = {
    clientUs: usPerEvent(summarise(plainRuns.map((r) => r.clientCpuMs)).p50),
    serverUs: usPerEvent(summarise(plainRuns.map((r) => r.serverCpuMs ?? NaN)).p50),
  };
  if (profile) {
    // Two more catch-ups into fresh profiles, without the stage timers: one under the CPU profilers
    // (client in-process, server restarted with --cpu-prof; both cut to the measured window), one
    // with every SQLite statement call timed. Their wall times are not comparable to the first run.
    log(BENCH, 'profiling run 1/2: CPU profiles of client and server');
    await server.stop();
    const profDir = join(work, 'server-prof');
    mkdirSync(profDir, { recursive: true });
    server = await startServerProcess(dataDir, {
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250'],
    });
    const stop: { fn: (() => Promise<CpuProfile>) | null } = { fn: null };
    const profiledRun = await catchUpOnce(join(work, 'client-2'), server, reader, expected, null, {
      start: async () => {
        stop.fn = await startCpuProfile();
      },
    });
    const clientProfile = await stop.fn!();
    log(BENCH, 'profiling run 2/2: SQLite statement timings');
    const sql = instrumentSqlStatements();
    await catchUpOnce(join(work, 'client-3'), server, reader, expected, null);
    sql.restore();
    await server.stop();
    const serverProfile = readMainThreadProfile(profDir, server.pid);
    profiled = {
      client: summariseProfile(clientProfile, ROOT, 20, profiledRun.windowUs),
      server: serverProfile ? summariseProfile(serverProfile, ROOT, 20, profiledRun.windowUs) : null,
      statements: sql
        .results()
        .slice(0, 25)
        .map(({ sql: text, calls, ms }) => ({ sql: text, calls, ms })),
      run: profiledRun,
    };
  }
  await server.stop();

  const ratio = run.elapsedMs / baseline.medianMs;
  const rawRate = round((raw.envelopes * 1000) / raw.ms, 0);
  const rawCpuUs = round((raw.cpuMs * 1000) / raw.envelopes, 2);
  const decryptRatio = round(encryptedRun.elapsedMs / raw.ms, 2);
  const findings = explain(run, baseline.medianMs, totalEvents, profiled);
  findings.unshift(
    `Raw libsignal decrypt of the same ${raw.envelopes} ciphertexts (every envelope but the ${totalEvents - raw.envelopes} deleted ` +
      `for everyone, whose ciphertext the server dropped) on one thread (a process of its own): ${rawRate} msg/s, ${rawCpuUs} µs of CPU each (median of ` +
      `${RAW_DECRYPTS}: ${rawDecrypts.map((r) => round(r.ms, 0)).join(', ')} ms). The catch-up as the app runs took ${decryptRatio}× as long ` +
      `(target ≤ ${RAW_DECRYPT_RATIO}×), with ${defaultOpening().threads} opening worker thread(s) beside the core's own; its client CPU ` +
      `per envelope (all threads) is ${round(encryptedPerEvent.clientUs / rawCpuUs, 2)}× the raw decrypt's.`,
  );
  findings.push(
    `The search index: catch-up ${round(indexOn.eventsPerSecond, 0)} msg/s with it, ${round(indexOff.eventsPerSecond, 0)} msg/s without ` +
      `(median of ${INDEX_PAIRS} each, alternately; all runs with: ${withIndex.map((r) => round(r.eventsPerSecond, 0)).join(', ')}; without: ` +
      `${withoutIndex.map((r) => round(r.eventsPerSecond, 0)).join(', ')}), a cost of ${round(indexCost * 100, 1)}%; client CPU median ` +
      `${indexCpu.with} vs ${indexCpu.without} ms (+${round((indexCpu.with / indexCpu.without - 1) * 100, 1)}%). New messages are indexed after the catch-up, in chunks: the index held every message ` +
      `${indexedAt} ms after openClientCore (median; client CPU until then ${cpuToIndexed} ms; all runs: ` +
      `${withIndex.map((r) => round(r.indexedAtMs ?? NaN, 0)).join(', ')} ms).`,
  );
  findings.push(
    `CPU per event with the index (median of ${INDEX_PAIRS}): client ${perEvent.clientUs} µs (opening included; the raw decrypt ` +
      `alone is ${rawCpuUs} µs), server ${perEvent.serverUs} µs (at most 10 µs, issue 11).`,
  );
  findings.push(
    `Encrypted mirror: catch-up ${round(encryptedRun.eventsPerSecond, 0)} msg/s vs ${round(plainRun.eventsPerSecond, 0)} msg/s plain ` +
      `(median of ${ENCRYPTED_PAIRS} each, alternately; encrypted: ${encryptedRuns.map((r) => round(r.eventsPerSecond, 0)).join(', ')}; plain: ` +
      `${plainRuns.map((r) => round(r.eventsPerSecond, 0)).join(', ')}); client CPU median ${encryptedCpu.encrypted} vs ${encryptedCpu.plain} ms.`,
  );
  findings.push(
    `CPU per event as the app runs (encrypted mirror, search index; median of ${ENCRYPTED_PAIRS}): client ${encryptedPerEvent.clientUs} µs, ` +
      `server ${encryptedPerEvent.serverUs} µs; plain mirror in the same pairs: client ${plainPerEvent.clientUs} µs, server ${plainPerEvent.serverUs} µs.`,
  );
  return {
    sizes: {
      events: totalEvents,
      conversations: PEERS,
      ...manifest.counts,
      senderKeys: sealed.senderKeys.length,
      pageSize: LIMITS.defaultCatchUpPage,
    },
    rows: [
      row({
        key: 'catch-up.encrypted',
        name: 'Catch-up as the app runs: encrypted mirror (SQLCipher), search index',
        value: round(encryptedRun.eventsPerSecond, 0),
        unit: 'msg/s',
        baseline: { name: 'same catch-up, plain mirror', value: round(plainRun.eventsPerSecond, 0), unit: 'msg/s' },
        ratio: round(encryptedRun.elapsedMs / plainRun.elapsedMs, 2),
        // The headline: the configuration people run (the plain mirror is not), judged by issue 31's target.
        target: RATE_TARGET,
        note:
          `median of ${ENCRYPTED_PAIRS} each, alternately: ${round(encryptedRun.elapsedMs / 1000, 2)} s vs ${round(plainRun.elapsedMs / 1000, 2)} s; ` +
          `client CPU ${encryptedCpu.encrypted} vs ${encryptedCpu.plain} ms`,
      }),
      row({
        key: 'catch-up.raw-decrypt',
        name: 'Catch-up as the app runs / raw libsignal decrypt of the same ciphertexts on one thread',
        value: decryptRatio,
        unit: '×',
        baseline: { name: 'raw groupDecrypt, one thread', value: rawRate, unit: 'msg/s' },
        target: { text: `≤ ${RAW_DECRYPT_RATIO}×`, op: '<=', value: RAW_DECRYPT_RATIO },
        note:
          `the headline's ${round(encryptedRun.elapsedMs / 1000, 2)} s against ${round(raw.ms / 1000, 2)} s (median of ${RAW_DECRYPTS} ` +
          `in the same run) for ${raw.envelopes} ciphertexts, in-memory sender keys`,
      }),
      row({
        key: 'catch-up.client-cpu-per-event',
        name: 'Client CPU per event, as the app runs (encrypted mirror, search index; opening threads included)',
        value: encryptedPerEvent.clientUs,
        unit: 'µs',
        baseline: { name: 'raw groupDecrypt, one thread', value: rawCpuUs, unit: 'µs' },
        ratio: round(encryptedPerEvent.clientUs / rawCpuUs, 2),
        target: { text: '≤ 1.5× raw', op: '<=', value: round(rawCpuUs * RAW_DECRYPT_RATIO, 2) },
        note:
          `median of ${ENCRYPTED_PAIRS}, from openClientCore until every cursor is at lastSeq; plain mirror in the same pairs ` +
          `${plainPerEvent.clientUs} µs`,
      }),
      row({
        key: 'catch-up.server-cpu-per-event',
        name: 'Server CPU per event, catch-up into the encrypted mirror',
        value: encryptedPerEvent.serverUs,
        unit: 'µs',
        baseline: { name: 'same catch-up, plain mirror', value: plainPerEvent.serverUs, unit: 'µs' },
        target: { text: '≤ 10 µs', op: '<=', value: 10 },
        note: `median of ${ENCRYPTED_PAIRS}; the server process's CPU in the same window`,
      }),
      row({
        key: 'catch-up.rate',
        name: `Catch-up ${totalEvents.toLocaleString('en')} events (first run, stage timers on)`,
        value: round(run.eventsPerSecond, 0),
        unit: 'msg/s',
        baseline: { name: 'raw insert, 1 txn', value: round(baselineRate, 0), unit: 'msg/s' },
        ratio: round(ratio, 2),
        note: `${round(run.elapsedMs / 1000, 2)} s from openClientCore to all cursors at lastSeq; one run, the server's caches cold`,
      }),
      row({
        key: 'catch-up.ratio',
        name: 'Catch-up time / raw insert time',
        value: round(ratio, 2),
        unit: '×',
        // Issue 11's ≤ 3× was for plaintext events; opening them now costs more than writing their rows (see catch-up.raw-decrypt).
        note: `raw insert ${round(baseline.medianMs, 1)} ms (median of ${baseline.runs.length}), the floor for writing the rows alone`,
      }),
      row({
        key: 'catch-up.with-index',
        name: 'Catch-up with the search index (as the app runs)',
        value: round(indexOn.eventsPerSecond, 0),
        unit: 'msg/s',
        baseline: { name: 'same catch-up without the index', value: round(indexOff.eventsPerSecond, 0), unit: 'msg/s' },
        ratio: round(indexOn.elapsedMs / indexOff.elapsedMs, 2),
        // Issue 31's target, judged with the index, without the stage timers.
        target: RATE_TARGET,
        note:
          `median of ${INDEX_PAIRS} each, alternately: ${round(indexOn.elapsedMs / 1000, 2)} s vs ${round(indexOff.elapsedMs / 1000, 2)} s; ` +
          `the index costs ${round(indexCost * 100, 1)}% of the throughput; client CPU ${indexCpu.with} vs ${indexCpu.without} ms`,
      }),
      row({
        key: 'catch-up.index-caught-up',
        name: 'Search index holding every message caught up',
        value: indexedAt,
        unit: 'ms',
        baseline: { name: 'catch-up with the index', value: round(indexOn.elapsedMs, 0), unit: 'ms' },
        note: `from openClientCore, median of ${INDEX_PAIRS}; client CPU until then ${cpuToIndexed} ms (a search meanwhile indexes the rest first)`,
      }),
      row({
        key: 'catch-up.index-floor',
        name: 'Raw insert of the same rows with the search index (the floor as the app runs)',
        value: round(indexedBaselineRate, 0),
        unit: 'msg/s',
        baseline: { name: 'raw insert without the index', value: round(baselineRate, 0), unit: 'msg/s' },
        note: `${round(indexedBaseline.medianMs, 1)} ms (median of ${indexedBaseline.runs.length}); one statement per ${LIMITS.maxCatchUpPage} messages, as flush writes it`,
      }),
      row({
        key: 'catch-up.client-peak-rss',
        name: 'Client peak RSS during catch-up',
        value: nullableRound(run.clientPeakMiB),
        unit: 'MiB',
        note: `RSS at start ${nullableRound(run.clientRssAtStartMiB)} MiB (tsx + harness)`,
      }),
      row({
        key: 'catch-up.server-peak-rss',
        name: 'Server peak RSS during catch-up',
        value: nullableRound(run.serverPeakMiB),
        unit: 'MiB',
        note: 'server process lifetime peak',
      }),
    ],
    details: {
      run: summariseRun(run),
      searchIndex: {
        with: withIndex.map(summariseRun),
        without: withoutIndex.map(summariseRun),
        throughputCostPct: round(indexCost * 100, 1),
        clientCpuMs: indexCpu,
        cpuPerEvent: perEvent,
        indexedAtMs: indexedAt,
        clientCpuToIndexedMs: cpuToIndexed,
      },
      encryption: {
        encrypted: encryptedRuns.map(summariseRun),
        plain: plainRuns.map(summariseRun),
        clientCpuMs: encryptedCpu,
        cpuPerEvent: { encrypted: encryptedPerEvent, plain: plainPerEvent },
      },
      baseline,
      rawDecrypt: {
        envelopes: raw.envelopes,
        runs: rawDecrypts.map((r) => ({ ms: round(r.ms, 1), cpuMs: round(r.cpuMs, 1) })),
      },
      expected: sealed.expected,
      profiled: profiled ? { ...profiled, run: summariseRun(profiled.run) } : null,
      seedMs: manifest.seedMs,
    },
    findings,
  };
});

/** The device that catches up: whose, the profile its identity is copied from, and the sender keys it holds. */
interface Reader {
  user: SeededUser;
  keysFrom: string;
  senderKeys: readonly HandedSenderKey[];
}

async function catchUpOnce(
  profileDir: string,
  server: ServerProcess,
  reader: Reader,
  expected: ReadonlyMap<string, number>,
  stages: { timings: StageTimings; reset(): void } | null,
  hooks: { start?: () => Promise<void>; mirrorKey?: Uint8Array; awaitIndex?: boolean } = {},
): Promise<CatchUpRun> {
  const { mirrorKey, awaitIndex = true } = hooks;
  const mirrorFile = await prepareProfile(profileDir, server.url, reader.user, [], reader.keysFrom, reader.senderKeys);
  // Encrypted before the clock starts: the one-off in-place encryption is not catch-up.
  if (mirrorKey) Mirror.open(mirrorFile, { key: mirrorKey }).close();
  const probe = new MirrorProbe(mirrorFile, mirrorKey);
  await hooks.start?.();
  const peakResetWorked = resetPeakRss();
  const rssAtStart = memoryOf('self');
  const serverCpu0 = server.cpuMs();
  const cpu0 = ownCpuMs();
  const elu0 = performance.eventLoopUtilization();
  stages?.reset();

  const t0 = performance.now();
  const t0Us = Number(process.hrtime.bigint() / 1000n);
  let onlineAt: number | null = null;
  let t1Us = 0;
  const core = await openClientCore({ profileDir, defaultServerUrl: server.url, ...(mirrorKey ? { mirrorKey } : {}) });
  const elapsedMs = await new Promise<number>((resolve, reject) => {
    let finished = false;
    const check = () => {
      if (finished || !probe.caughtUp(expected)) return;
      finished = true;
      clearInterval(poll);
      clearTimeout(timeout);
      t1Us = Number(process.hrtime.bigint() / 1000n);
      resolve(performance.now() - t0);
    };
    core.subscribe((event: AppEvent) => {
      if (event.type === 'connection' && event.state === 'online' && onlineAt === null) onlineAt = performance.now() - t0;
      if (event.type === 'messages' || event.type === 'connection') check();
    });
    const poll = setInterval(check, 25);
    const timeout = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`Catch-up did not finish within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
    check();
  });
  const elu = performance.eventLoopUtilization(elu0);
  const clientCpuMs = ownCpuMs() - cpu0;
  const serverCpu1 = server.cpuMs();
  const clientMemory = memoryOf('self');
  const serverMemory = server.memory();
  // The search index follows after the catch-up (SearchIndexer): how long until it holds everything.
  let indexedAtMs: number | null = null;
  let clientCpuToIndexedMs: number | null = null;
  if (awaitIndex) {
    while (probe.count(INDEX_BEHIND) > 0) {
      if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`The search index did not catch up within ${TIMEOUT_MS / 1000} s`);
      await sleep(5);
    }
    indexedAtMs = performance.now() - t0;
    clientCpuToIndexedMs = ownCpuMs() - cpu0;
  }
  await core.close();
  probe.close();
  // Let the server finish with the closed socket before anything else is measured.
  await sleep(50);
  const totalEvents = [...expected.values()].reduce((sum, n) => sum + n, 0);
  return {
    elapsedMs,
    onlineAtMs: onlineAt,
    indexedAtMs,
    clientCpuToIndexedMs,
    eventsPerSecond: totalEvents / (elapsedMs / 1000),
    clientPeakMiB: clientMemory?.peakMiB ?? null,
    clientRssAtStartMiB: rssAtStart?.rssMiB ?? null,
    peakResetWorked,
    serverPeakMiB: serverMemory?.peakMiB ?? null,
    serverRssMiB: serverMemory?.rssMiB ?? null,
    clientCpuMs,
    serverCpuMs: serverCpu0 !== null && serverCpu1 !== null ? serverCpu1 - serverCpu0 : null,
    eventLoopUtilisation: elu.utilization,
    stages: stages ? (JSON.parse(JSON.stringify(stages.timings)) as StageTimings) : null,
    windowUs: { startUs: t0Us, endUs: t1Us },
    mirrorFile,
  };
}

/**
 * The mirror holds what the server holds, every envelope opened and applied: every message (those
 * deleted for everyone deleted), every edit's version and every reaction of the live ones, nothing
 * waiting for a key or held for its message; and every live message is in the search index (or,
 * with the index switched off, none).
 */
function verify(mirrorFile: string, sealed: SealedTraffic, indexed = true, key?: Uint8Array): void {
  const probe = new MirrorProbe(mirrorFile, key);
  try {
    const { expected } = sealed;
    const found = {
      messages: probe.count('SELECT COUNT(*) FROM messages'),
      deleted: probe.count('SELECT COUNT(*) FROM messages WHERE deleted = 1'),
      versions: probe.count('SELECT COUNT(*) FROM message_versions'),
      reactions: probe.count('SELECT COUNT(*) FROM reactions'),
      reactionsOn: probe.count('SELECT COUNT(*) FROM reactions WHERE on_ = 1'),
    };
    if (JSON.stringify(found) !== JSON.stringify(expected)) {
      throw new Error(`The mirror after catch-up holds ${JSON.stringify(found)}; the traffic makes ${JSON.stringify(expected)}`);
    }
    const waiting = probe.count('SELECT COUNT(*) FROM envelopes_waiting');
    if (waiting !== 0) throw new Error(`${waiting} envelopes did not open in the catch-up (still waiting)`);
    const held = probe.count('SELECT COUNT(*) FROM held_events');
    if (held !== 0) throw new Error(`${held} events are still held after catch-up`);
    const inIndex = probe.count('SELECT COUNT(*) FROM message_search_docsize');
    const live = found.messages - found.deleted;
    if (inIndex !== (indexed ? live : 0)) {
      throw new Error(`${inIndex} of ${live} messages are in the search index; expected ${indexed ? 'all' : 'none'}`);
    }
  } finally {
    probe.close();
  }
}

function medianDecrypt(runs: RawDecrypt[]): RawDecrypt {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `work` with the search index switched off in this process: nothing noted, nothing indexed. */
async function withoutSearchIndex<T>(work: () => Promise<T>): Promise<T> {
  const methods = ['touched', 'touchedRow', 'removed', 'flush', 'indexPending'] as const;
  const saved: unknown[] = methods.map((name) => Reflect.get(MessageSearch.prototype, name));
  // indexPending answers that nothing is left, so the indexer stops at once.
  for (const name of methods) Reflect.set(MessageSearch.prototype, name, () => false);
  try {
    return await work();
  } finally {
    methods.forEach((name, i) => Reflect.set(MessageSearch.prototype, name, saved[i]));
  }
}

function medianRun(runs: CatchUpRun[]): CatchUpRun {
  const sorted = [...runs].sort((a, b) => a.elapsedMs - b.elapsedMs);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Baseline {
  rows: { messages: number; versions: number; reactions: number };
  runs: number[];
  medianMs: number;
}

/**
 * Copies the caught-up rows into an empty mirror (same migrations, same pragmas, the search
 * index's triggers dropped), in one transaction with three prepared statements. Three times, each
 * into a new file; median reported.
 */
function rawInsertBaseline(sourceFile: string, dir: string, indexed = false): Baseline {
  mkdirSync(dir, { recursive: true });
  const source = openDatabase(sourceFile, MIRROR_MIGRATIONS);
  const conversations = source.prepare('SELECT * FROM conversations').all() as Record<string, unknown>[];
  const messages = source.prepare('SELECT * FROM messages ORDER BY local_id').raw().all() as unknown[][];
  const messageColumns = (source.prepare('SELECT * FROM messages LIMIT 1').columns() as Array<{ name: string }>).map(
    (c) => c.name,
  );
  const versions = source.prepare('SELECT * FROM message_versions').raw().all() as unknown[][];
  const reactions = source.prepare('SELECT * FROM reactions').raw().all() as unknown[][];
  source.close();
  const runs: number[] = [];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const db = openDatabase(join(dir, `raw-${indexed ? 'indexed-' : ''}${attempt}.sqlite`), MIRROR_MIGRATIONS);
    const insertConversation = db.prepare(
      `INSERT INTO conversations (${Object.keys(conversations[0] ?? { id: 0 }).join(', ')}) VALUES (${Object.keys(
        conversations[0] ?? { id: 0 },
      )
        .map(() => '?')
        .join(', ')})`,
    );
    for (const conversation of conversations) insertConversation.run(...Object.values(conversation));
    const insertMessage = db.prepare(
      `INSERT INTO messages (${messageColumns.join(', ')}) VALUES (${messageColumns.map(() => '?').join(', ')})`,
    );
    const insertVersion = db.prepare(
      'INSERT INTO message_versions (conversation_id, message_id, seq, text, at) VALUES (?, ?, ?, ?, ?)',
    );
    const insertReaction = db.prepare(
      'INSERT INTO reactions (conversation_id, message_id, user_id, emoji, seq, on_) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // The index as MessageSearch.flush writes it, one set-based statement per page of messages.
    const indexMessages = db.prepare(
      `INSERT INTO message_search (rowid, text, names)
       SELECT local_id, text, '' FROM messages WHERE local_id BETWEEN ? AND ? AND deleted = 0`,
    );
    const localIdAt = messageColumns.indexOf('local_id');
    const t = performance.now();
    db.transaction(() => {
      for (let start = 0; start < messages.length; start += LIMITS.maxCatchUpPage) {
        const page = messages.slice(start, start + LIMITS.maxCatchUpPage);
        for (const values of page) insertMessage.run(...values);
        if (indexed) indexMessages.run(page[0]![localIdAt], page[page.length - 1]![localIdAt]);
      }
      for (const values of versions) insertVersion.run(...values);
      for (const values of reactions) insertReaction.run(...values);
    })();
    runs.push(performance.now() - t);
    db.close();
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    rows: { messages: messages.length, versions: versions.length, reactions: reactions.length },
    runs: runs.map((ms) => round(ms, 1)),
    medianMs: sorted[1] ?? sorted[0] ?? NaN,
  };
}

function nullableRound(value: number | null): number | null {
  return value === null ? null : round(value, 1);
}

function summariseRun(run: CatchUpRun) {
  const base = {
    elapsedMs: round(run.elapsedMs, 1),
    onlineAtMs: run.onlineAtMs === null ? null : round(run.onlineAtMs, 1),
    indexedAtMs: run.indexedAtMs === null ? null : round(run.indexedAtMs, 1),
    clientCpuToIndexedMs: run.clientCpuToIndexedMs === null ? null : round(run.clientCpuToIndexedMs, 0),
    eventsPerSecond: round(run.eventsPerSecond, 0),
    clientCpuMs: round(run.clientCpuMs, 0),
    serverCpuMs: run.serverCpuMs,
    clientEventLoopUtilisation: round(run.eventLoopUtilisation, 3),
    clientPeakMiB: run.clientPeakMiB === null ? null : round(run.clientPeakMiB, 1),
    clientRssAtStartMiB: run.clientRssAtStartMiB === null ? null : round(run.clientRssAtStartMiB, 1),
    peakResetWorked: run.peakResetWorked,
    serverPeakMiB: run.serverPeakMiB === null ? null : round(run.serverPeakMiB, 1),
  };
  const { stages } = run;
  if (!stages) return base;
  const jsonMs = Math.max(0, stages.receive.ms - stages.validation.ms);
  return {
    ...base,
    clientStages: {
      'frames received (JSON.parse + validation + dispatch)': {
        wallMs: round(stages.receive.ms, 1),
        cpuMs: round(stages.receive.cpuMs, 1),
      },
      'of which validation (hot frames by hand, the rest zod)': {
        wallMs: round(stages.validation.ms, 1),
        cpuMs: round(stages.validation.cpuMs, 1),
      },
      'of which JSON.parse and the rest': {
        wallMs: round(jsonMs, 1),
        cpuMs: round(Math.max(0, stages.receive.cpuMs - stages.validation.cpuMs), 1),
      },
      'Mirror.applyEvents (SQLite + applier JS + commit)': {
        wallMs: round(stages.apply.ms, 1),
        cpuMs: round(stages.apply.cpuMs, 1),
      },
    },
    catchUpLimit: stages.catchUpLimit,
    frames: stages.receive.calls,
    pagesApplied: stages.apply.calls,
    eventsPassedToApply: stages.apply.events,
    requests: stages.requests,
    instrumentationMissing: stages.missing,
  };
}

function explain(
  run: CatchUpRun,
  baselineMs: number,
  totalEvents: number,
  profiled: { client: ProfileSummary; server: ProfileSummary | null; statements: SqlTime[] } | null,
): string[] {
  const s = run.stages;
  const wall = run.elapsedMs;
  const pct = (ms: number) => `${round((ms / wall) * 100, 1)}%`;
  const findings: string[] = [];
  findings.push(
    `Wall ${round(wall, 0)} ms for ${totalEvents} events (${round(run.eventsPerSecond, 0)}/s); raw insert of the same rows ${round(baselineMs, 0)} ms ` +
      `(${round(wall / baselineMs, 1)}×).`,
  );
  findings.push(
    `Client main thread busy ${round(run.eventLoopUtilisation * 100, 1)}% of the window (CPU ${round(run.clientCpuMs, 0)} ms); ` +
      `server CPU ${run.serverCpuMs ?? 'n/a'} ms (${run.serverCpuMs === null ? 'n/a' : pct(run.serverCpuMs)} of wall). ` +
      'On 2 cores they overlap: the client core asks for all conversations at once (one request per conversation in flight).',
  );
  const cpu = run.clientCpuMs;
  if (!s) return findings;
  const cpuPct = (ms: number) => `${round((ms / Math.max(1, cpu)) * 100, 1)}%`;
  findings.push(
    `Client CPU by stage (process CPU inside each stage, share of the client's ${round(cpu, 0)} ms): ` +
      `Mirror.applyEvents ${round(s.apply.cpuMs, 0)} ms = ${cpuPct(s.apply.cpuMs)}; validation ${round(s.validation.cpuMs, 0)} ms = ${cpuPct(s.validation.cpuMs)}; ` +
      `JSON.parse + dispatch ${round(Math.max(0, s.receive.cpuMs - s.validation.cpuMs), 0)} ms = ${cpuPct(Math.max(0, s.receive.cpuMs - s.validation.cpuMs))}; ` +
      `everything else (ws, requests, events, GC outside the stages) ${round(Math.max(0, cpu - s.apply.cpuMs - s.receive.cpuMs), 0)} ms. ` +
      `Wall inside the stages: apply ${round(s.apply.ms, 0)} ms (${pct(s.apply.ms)}), receive ${round(s.receive.ms, 0)} ms (${pct(s.receive.ms)}).`,
  );
  findings.push(
    `${s.apply.calls} pages, ${s.requests['catch_up'] ?? 0} catch_up requests with limit ${s.catchUpLimit ?? `none (server default ${LIMITS.defaultCatchUpPage})`} ` +
      `(protocol maximum ${LIMITS.maxCatchUpPage}).`,
  );
  if (run.clientCpuMs + (run.serverCpuMs ?? 0) < wall * 0.6) {
    findings.push(
      `Client + server CPU (${round(run.clientCpuMs + (run.serverCpuMs ?? 0), 0)} ms) is far below wall (${round(wall, 0)} ms) while the client event loop ` +
        'reports busy: the processes were waiting for a CPU (machine busy) or on disk I/O. Compare CPU figures, not wall, between runs on a loaded machine.',
    );
  }
  const idleMs = wall * (1 - run.eventLoopUtilisation);
  findings.push(`Client idle (waiting for the server or the network) ${round(idleMs, 0)} ms = ${pct(idleMs)} of wall.`);
  if (profiled) {
    const top = profiled.client.categories
      .slice(0, 6)
      .map((c) => `${c.category} ${c.pctOfBusy}%`)
      .join(', ');
    findings.push(
      `Client CPU profile (measured window only, busy ${profiled.client.busyMs} of ${profiled.client.totalMs} ms): ${top}.`,
    );
    const fns = profiled.client.topSelf
      .slice(0, 8)
      .map((f) => `${f.fn} (${f.where}) ${f.pctOfBusy}%`)
      .join('; ');
    findings.push(`Client hottest functions (self): ${fns}.`);
    if (profiled.server) {
      const serverTop = profiled.server.categories
        .slice(0, 6)
        .map((c) => `${c.category} ${c.pctOfBusy}%`)
        .join(', ');
      findings.push(`Server CPU profile (same window, busy ${profiled.server.busyMs} ms): ${serverTop}.`);
      const serverFns = profiled.server.topSelf
        .slice(0, 6)
        .map((f) => `${f.fn} (${f.where}) ${f.pctOfBusy}%`)
        .join('; ');
      findings.push(`Server hottest functions (self): ${serverFns}.`);
    }
    const sqlTop = profiled.statements
      .slice(0, 5)
      .map((st) => `${st.sql.slice(0, 70)}… ${st.calls}× ${st.ms} ms`)
      .join('; ');
    findings.push(`Heaviest client SQL statements (separate timed run, total ms over the whole catch-up): ${sqlTop}.`);
  }
  return findings;
}
