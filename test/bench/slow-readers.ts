/**
 * Slow readers: 200 connections that ask for catch-up of a large conversation from its start (a
 * page of about 1.6 MB each time) again and again and never read, against everyone else's
 * delivery latency and the server's memory.
 *
 * - Other clients: 3 pairs of raw `ws` clients in this process, each in its own direct
 *   conversation. A send every 10–20 ms, round robin over the pairs, whether or not the earlier ones
 *   arrived (open loop: a stall counts in every send it holds up): the `send_envelope` frame (a
 *   short message's sealed size, lib/raw-envelopes.ts) written → the `event` push arriving at the
 *   other member (process.hrtime in this one process).
 * - Baseline (same run, same server): those sends with nothing else connected (idle).
 * - Load: the slow readers (lib/slow-reader-holder.ts, its own process) open 200 connections of one
 *   member of the large conversation; each writes 12 catch-up requests at once, one more every
 *   250 ms while the server still reads its input, and opens again when the server cuts it (after
 *   `OUTPUT_LIMITS.stuckMs` over its output budget). The timed sends start as the slow readers
 *   start asking and go on for 40 s, so they cover the first burst of pages and a round of cuts
 *   and reopenings.
 * - The server's resident memory (VmRSS, every 200 ms) over the loaded window, against what it was
 *   just before the slow readers opened; the bound is the slow-reader test's: per connection the
 *   output budget's pause mark, one catch-up page and 2 MiB of garbage of pages built.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LIMITS } from '../../sync/protocol/limits.js';
import { OUTPUT_LIMITS } from '../../sync/server/output-budget.js';
import { metric } from '../support/slow-readers.js';
import { msSince } from './lib/delivery-kit.js';
import { spawnTs, startServerProcess, tempDir, type ServerProcess } from './lib/proc.js';
import { RawClient } from './lib/raw-client.js';
import { RawEnvelopes, sealedText } from './lib/raw-envelopes.js';
import { Rng } from './lib/random.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { seedInChild, type SeedSpec } from './lib/seed.js';
import { percentile, round, roundSummary, sleep, summarise } from './lib/stats.js';

const BENCH = 'slow-readers';
const FULL_READERS = 200;
const REQUESTS_EACH = 12;
const HAMMER_EVERY_MS = 250;
const FULL_MESSAGES = 1_000;
/**
 * The large conversation's envelopes: what libsignal seals a message of 900 characters into (1,038
 * bytes, 1,384 characters of base64). 1,000 of them make about 1.6 MB of events, all in one page
 * from its start (the server's budget, LIMITS.maxCatchUpBytes, would cut one at about 1,280).
 */
const LARGE_SEALED_BYTES = 1_038;
const FULL_SAMPLES = 400;
const FULL_LOADED_MS = 40_000;
const PAIRS = 3;
const WARMUP = 30;
const MiB = 1024 * 1024;

interface Pair {
  x: RawClient;
  /** X's envelopes, sealed for the conversation's devices (asked for when the pair opened). */
  envelopes: RawEnvelopes;
  conversationId: string;
  /** Resolves with the moment the push of envelope `id` reached the other member. */
  arrival(id: string): Promise<bigint>;
}

runBench(BENCH, async ({ scale }) => {
  const readers = scaled(FULL_READERS, scale, 10);
  const messages = scaled(FULL_MESSAGES, scale, 100);
  const samples = scaled(FULL_SAMPLES, scale, 60);
  const loadedMs = scaled(FULL_LOADED_MS, scale, 10_000);
  const work = tempDir(BENCH);
  const dataDir = join(work, 'server');
  // Users: 0 writes the large conversation, 1 reads it slowly (every slow connection is 1's);
  // 2…7 are the pairs whose delivery is timed.
  const spec: SeedSpec = {
    users: 2 + 2 * PAIRS,
    conversations: Array.from({ length: 1 + PAIRS }, (_, i) => [2 * i, 2 * i + 1] as [number, number]),
  };
  log(BENCH, `seeding ${spec.users} users`);
  const manifest = await seedInChild(dataDir, spec, work);
  const [writer, slow, ...others] = manifest.users;
  const [large, ...pairConversations] = manifest.conversations;
  if (!writer || !slow || !large || others.length < 2 * PAIRS || pairConversations.length < PAIRS) {
    throw new Error('Seeding produced too few users');
  }
  const server = await startServerProcess(dataDir);
  const httpUrl = `http://127.0.0.1:${server.port}`;

  log(BENCH, `writing ${messages} envelopes of ${LARGE_SEALED_BYTES} bytes into the large conversation`);
  const pageBytes = await fillLargeConversation(server.url, writer.token, slow.token, large.id, messages);

  const pairs = await Promise.all(
    pairConversations.map((conversation, i) =>
      openPair(server.url, others[2 * i]!.token, others[2 * i + 1]!.token, conversation.id),
    ),
  );
  const rng = new Rng(11);

  log(BENCH, `idle: ${WARMUP} warm-up + ${samples} sends, every 10–20 ms`);
  await timeSends(pairs, rng, WARMUP, 0);
  const idleCpu = server.cpuMs();
  const idleStarted = performance.now();
  const idle = await timeSends(pairs, rng, samples, 0);
  const idleCpuMs = cpuSince(server, idleCpu);
  const idleMs = performance.now() - idleStarted;

  const rssBefore = server.memory()?.rssMiB ?? null;
  const pagesBefore = await metric(httpUrl, 'sync_catch_up_pages_total');
  const watch = watchServer(server, httpUrl);
  log(BENCH, `opening ${readers} slow readers, ${REQUESTS_EACH} full catch-ups each (${round(pageBytes / MiB, 2)} MiB a page)`);
  const holder = await startSlowReaders(server.url, slow.token, large.id, readers);
  log(BENCH, `loaded: sends every 10–20 ms for ${loadedMs / 1000} s`);
  const loadedCpu = server.cpuMs();
  const loadedStarted = performance.now();
  const loaded = await timeSends(pairs, rng, samples, loadedMs);
  const loadedCpuMs = cpuSince(server, loadedCpu);
  const loadedWindowMs = performance.now() - loadedStarted;
  const asked = await holder.stats();
  const watched = await watch.stop();
  const pagesBuilt = (await metric(httpUrl, 'sync_catch_up_pages_total')) - pagesBefore;
  const cuts = {
    stuck: await metric(httpUrl, 'sync_slow_readers_cut_total{reason="stuck"}'),
    overLimit: await metric(httpUrl, 'sync_slow_readers_cut_total{reason="over_limit"}'),
  };

  await holder.stop();
  for (const pair of pairs) pair.x.close();
  await server.stop();

  const idleSummary = roundSummary(summarise(idle.map((s) => s.ms)));
  const loadedSummary = roundSummary(summarise(loaded.map((s) => s.ms)));
  const perConnectionBound = OUTPUT_LIMITS.pauseAboveBytes + LIMITS.maxCatchUpBytes + 2 * MiB;
  const rssBoundMiB = (readers * perConnectionBound) / MiB;
  const rssGrowthMiB = rssBefore === null || watched.rssPeakMiB === null ? null : round(watched.rssPeakMiB - rssBefore, 1);
  const askedMiB = round((asked.requests * pageBytes) / MiB, 0);
  const windows = byWindow(loaded, 10_000);

  const rows: Row[] = [
    latencyRow('slow-readers.idle.p50', `Delivery p50, ${PAIRS} pairs, idle`, idleSummary.p50),
    latencyRow('slow-readers.idle.p99', `Delivery p99, ${PAIRS} pairs, idle`, idleSummary.p99),
    latencyRow(`slow-readers.loaded.p50`, `Delivery p50, with ${readers} slow readers`, loadedSummary.p50, {
      name: 'idle p50',
      value: idleSummary.p50,
      target: { text: '≤ 2× idle p50', op: '<=', value: 2 * idleSummary.p50 },
    }),
    latencyRow(`slow-readers.loaded.p99`, `Delivery p99, with ${readers} slow readers`, loadedSummary.p99, {
      name: 'idle p99',
      value: idleSummary.p99,
    }),
    row({
      key: 'slow-readers.rss-growth',
      name: `Server RSS growth, ${readers} slow readers`,
      value: rssGrowthMiB,
      unit: 'MiB',
      ...(rssBefore === null ? {} : { baseline: { name: 'RSS before', value: round(rssBefore, 0), unit: 'MiB' } }),
      target: { text: `≤ ${round(rssBoundMiB, 0)} MiB`, op: '<=', value: rssBoundMiB },
      note: `peak of VmRSS every 200 ms; they asked for ${askedMiB.toLocaleString('en')} MiB of pages`,
    }),
  ];
  return {
    sizes: { readers, requestsEach: REQUESTS_EACH, messages, pageBytes, samples, loadedMs, pairs: PAIRS, warmup: WARMUP },
    rows,
    details: {
      idle: idleSummary,
      loaded: loadedSummary,
      loadedByTenSeconds: windows,
      windowsMs: { idle: Math.round(idleMs), loaded: Math.round(loadedWindowMs) },
      serverCpuMs: { idle: idleCpuMs, loaded: loadedCpuMs },
      serverRssMiB: { before: rssBefore, peakLoaded: watched.rssPeakMiB },
      outputBufferedPeakBytes: watched.bufferedPeak,
      slowReaders: { ...asked, askedMiB, pagesBuilt },
      cuts,
    },
    findings: [
      `With ${readers} slow readers the other clients' delivery p50 went from ${idleSummary.p50} to ${loadedSummary.p50} ms ` +
        `(${ratio(loadedSummary.p50, idleSummary.p50)}×; p99 ${idleSummary.p99} → ${loadedSummary.p99} ms, max ${loadedSummary.max} ms); ` +
        `by 10 s window of the loaded run, p50/p99: ${windows.map((w) => `${w.p50}/${w.p99}`).join(', ')} ms ` +
        `(${windows.map((w) => w.n).join(', ')} sends).`,
      `The slow readers asked for ${asked.requests.toLocaleString('en')} full catch-ups (${askedMiB.toLocaleString('en')} MiB of pages); ` +
        `the server built ${pagesBuilt.toLocaleString('en')} pages for them (${round(pagesBuilt / readers, 1)} per connection), ` +
        `buffered at most ${round(watched.bufferedPeak / MiB, 1)} MiB for them and its RSS grew by ${rssGrowthMiB ?? 'n/a'} MiB ` +
        `(bound ${round(rssBoundMiB, 0)} MiB). It cut ${cuts.stuck} of them as stuck (over the pause mark for ${OUTPUT_LIMITS.stuckMs / 1000} s) ` +
        `and ${cuts.overLimit} as over the limit; they opened again ${asked.reopened} times.`,
      `Server CPU: ${idleCpuMs ?? 'n/a'} ms over the idle window (${round(idleMs / 1000, 1)} s), ${loadedCpuMs ?? 'n/a'} ms over the loaded one ` +
        `(${round(loadedWindowMs / 1000, 1)} s). The server, this process and the slow readers' process share the machine's cores.`,
    ],
  };
});

function ratio(value: number, baseline: number): number {
  return baseline > 0 ? round(value / baseline, 2) : 0;
}

function latencyRow(
  key: string,
  name: string,
  value: number,
  baseline?: { name: string; value: number; target?: { text: string; op: '<=' | '>='; value: number } },
): Row {
  return row({
    key,
    name,
    value,
    unit: 'ms',
    ...(baseline
      ? {
          baseline: { name: baseline.name, value: baseline.value, unit: 'ms' },
          ratio: ratio(value, baseline.value),
          ...(baseline.target ? { target: baseline.target } : {}),
        }
      : {}),
  });
}

function cpuSince(server: ServerProcess, before: number | null): number | null {
  const now = server.cpuMs();
  return now === null || before === null ? null : Math.round(now - before);
}

/**
 * Writes `messages` large envelopes as `writerToken` (32 in flight); returns the bytes of the page
 * a catch-up from the start gets (`readerToken`'s): all of them, or as many as the server's budget
 * (LIMITS.maxCatchUpBytes) takes.
 */
async function fillLargeConversation(
  serverUrl: string,
  writerToken: string,
  readerToken: string,
  conversationId: string,
  messages: number,
): Promise<number> {
  const writer = await RawClient.connect(serverUrl, writerToken);
  const envelopes = new RawEnvelopes(writer);
  await envelopes.learn(conversationId);
  let next = 0;
  const worker = async () => {
    while (next < messages) {
      const i = next++;
      const reply = await envelopes.send(conversationId, `large-${i}`, randomBytes(LARGE_SEALED_BYTES).toString('base64'));
      if (reply.type !== 'sent') throw new Error(`Filling the large conversation: ${JSON.stringify(reply)}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  writer.close();
  const reader = await RawClient.connect(serverUrl, readerToken);
  const page = await reader.request({ type: 'catch_up', conversationId, afterSeq: 0, limit: LIMITS.maxCatchUpPage });
  reader.close();
  const events = (page as { events?: unknown[] }).events;
  if (page.type !== 'events' || events === undefined || events.length < Math.min(messages, 500)) {
    throw new Error(
      `A catch-up of the large conversation should hold hundreds of its envelopes: ${JSON.stringify(page).slice(0, 300)}`,
    );
  }
  return Buffer.byteLength(JSON.stringify(page));
}

async function openPair(serverUrl: string, xToken: string, yToken: string, conversationId: string): Promise<Pair> {
  const [x, y] = await Promise.all([RawClient.connect(serverUrl, xToken), RawClient.connect(serverUrl, yToken)]);
  const envelopes = new RawEnvelopes(x);
  await envelopes.learn(conversationId);
  const arrived = new Map<string, bigint>();
  const waiting = new Map<string, (at: bigint) => void>();
  y.onPush((frame, receivedAt) => {
    if (frame.type !== 'event') return;
    const event = frame.event as { kind?: string; clientId?: string } | undefined;
    const id = event?.kind === 'envelope' ? event.clientId : undefined;
    if (!id) return;
    const resolve = waiting.get(id);
    if (resolve) {
      waiting.delete(id);
      resolve(receivedAt);
    } else {
      arrived.set(id, receivedAt);
    }
  });
  return {
    x,
    envelopes,
    conversationId,
    arrival: (id) => {
      const at = arrived.get(id);
      if (at !== undefined) {
        arrived.delete(id);
        return Promise.resolve(at);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`The push of ${id} never arrived`)), 60_000);
        waiting.set(id, (receivedAt) => {
          clearTimeout(timer);
          resolve(receivedAt);
        });
      });
    },
  };
}

interface Sample {
  /** When the send went, ms since the loop started. */
  atMs: number;
  ms: number;
}

/**
 * Sends at a steady pace (every 10–20 ms, round robin over the pairs, not waiting for earlier ones)
 * until `count` went and `minMs` has passed; resolves once every push arrived. Open loop, so a
 * stall shows in every send it holds up, not in one. Logs progress every 10 s.
 */
async function timeSends(pairs: Pair[], rng: Rng, count: number, minMs: number): Promise<Sample[]> {
  const timed: Array<Promise<Sample>> = [];
  let done = 0;
  const started = performance.now();
  let loggedAt = started;
  for (let i = 0; i < count || performance.now() - started < minMs; i += 1) {
    if (performance.now() - loggedAt >= 10_000) {
      loggedAt = performance.now();
      log(BENCH, `  ${i} sent, ${done} delivered so far`);
    }
    const pair = pairs[i % pairs.length]!;
    const id = rng.uuid();
    const ciphertext = sealedText();
    const atMs = performance.now() - started;
    const t0 = process.hrtime.bigint();
    const reply = pair.envelopes.send(pair.conversationId, id, ciphertext);
    timed.push(
      Promise.all([pair.arrival(id), reply]).then(([at, answer]) => {
        if (answer.type !== 'sent') throw new Error(`A timed send was refused: ${JSON.stringify(answer)}`);
        done += 1;
        return { atMs, ms: msSince(t0, at) };
      }),
    );
    await sleep(rng.int(10, 20));
  }
  return Promise.all(timed);
}

/** p50/p99 of the samples sent in each `windowMs` of the loop. */
function byWindow(samples: Sample[], windowMs: number): Array<{ fromS: number; n: number; p50: number; p99: number }> {
  const windows = new Map<number, number[]>();
  for (const sample of samples) {
    const index = Math.floor(sample.atMs / windowMs);
    windows.set(index, [...(windows.get(index) ?? []), sample.ms]);
  }
  return [...windows].map(([index, ms]) => ({
    fromS: (index * windowMs) / 1000,
    n: ms.length,
    p50: round(percentile(ms, 50), 3),
    p99: round(percentile(ms, 99), 3),
  }));
}

/** Samples the server's VmRSS every 200 ms and its buffered output every second, until stopped. */
function watchServer(
  server: ServerProcess,
  httpUrl: string,
): { stop(): Promise<{ rssPeakMiB: number | null; bufferedPeak: number }> } {
  let rssPeakMiB: number | null = server.memory()?.rssMiB ?? null;
  let bufferedPeak = 0;
  const rssTimer = setInterval(() => {
    const rss = server.memory()?.rssMiB;
    if (rss !== undefined) rssPeakMiB = Math.max(rssPeakMiB ?? 0, rss);
  }, 200);
  const bufferedTimer = setInterval(() => {
    metric(httpUrl, 'sync_output_buffered_bytes').then(
      (bytes) => (bufferedPeak = Math.max(bufferedPeak, bytes)),
      () => {
        // A scrape the busy server did not answer in time: the next one will.
      },
    );
  }, 1_000);
  return {
    stop: async () => {
      clearInterval(rssTimer);
      clearInterval(bufferedTimer);
      bufferedPeak = Math.max(bufferedPeak, await metric(httpUrl, 'sync_output_buffered_bytes'));
      return { rssPeakMiB, bufferedPeak };
    },
  };
}

interface SlowReaders {
  stats(): Promise<{ requests: number; closes: number; reopened: number }>;
  stop(): Promise<void>;
}

/** Starts lib/slow-reader-holder.ts; resolves once every slow reader is open and has asked. */
async function startSlowReaders(serverUrl: string, token: string, conversationId: string, readers: number): Promise<SlowReaders> {
  const holder = spawnTs(join('test', 'bench', 'lib', 'slow-reader-holder.ts'), [], { ipc: true });
  const next = (type: string, timeoutMs: number) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`[${BENCH}] slow readers: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: { type: string } & Record<string, number>) => {
        if (message.type !== type) return;
        clearTimeout(timer);
        holder.child.off('message', onMessage);
        resolve(message);
      };
      holder.child.on('message', onMessage);
      void holder.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`[${BENCH}] slow readers exited (${code}): ${holder.output().slice(-3000)}`));
      });
    });
  const ready = next('ready', 120_000);
  holder.child.send({
    type: 'open',
    serverUrl,
    token,
    conversationId,
    readers,
    requestsEach: REQUESTS_EACH,
    hammerEveryMs: HAMMER_EVERY_MS,
  });
  const opened = await ready;
  log(BENCH, `${opened.count} slow readers open and asking in ${opened.ms} ms`);
  return {
    stats: async () => {
      const stats = next('stats', 10_000);
      holder.child.send({ type: 'stats' });
      const { requests, closes, reopened } = await stats;
      return { requests: requests ?? 0, closes: closes ?? 0, reopened: reopened ?? 0 };
    },
    stop: async () => {
      if (holder.child.connected) holder.child.send({ type: 'stop' });
      await Promise.race([holder.exited, sleep(3_000)]);
    },
  };
}
