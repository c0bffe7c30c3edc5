/**
 * Opening sealed envelopes: 100,000 messages sealed under sender keys, spread over 100 groups (one
 * writing device each), opened and applied by a reader's mirror the way a catch-up does it: every
 * conversation caught up side by side, each page after page (500 events), each page opened and
 * applied with the state that opened it in one transaction (crypto/run-applier.ts), the rules
 * judging every message. Each pass has a reader mirror of its own, holding the same keys.
 *
 * - Baselines: libsignal alone, groupDecrypt of the same ciphertexts over in-memory sender keys,
 *   on this thread (the floor for one core), and in the opening worker pool with nothing applied
 *   (the floor for this machine's threads).
 * - Passes: opening on this thread only, then in the worker pool with 1…(cores) threads, each
 *   with its wall rate and its CPU per message (every thread's, and this thread's share): on a
 *   shared machine the wall rate says how much of the machine the run got, the CPU what it cost.
 * - Small runs (1–64 envelopes): the median time to open and apply one on this thread and in
 *   warm workers, which sets from how many envelopes a run goes to the workers.
 * - Target (issue 31): at least 15,000 messages/s, within 1.5× of the raw decrypt on one thread.
 * - Not measured: the network and the server (the catch-up bench has those); sealing (done before
 *   the clock starts).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { defaultOpening } from '../../sync/client/crypto/device-crypto.js';
import { OpeningPool } from '../../sync/client/crypto/opening-pool.js';
import type { ChainJob } from '../../sync/client/crypto/opening-worker.js';
import { RatchetState } from '../../sync/client/crypto/ratchet-state.js';
import { RunApplier } from '../../sync/client/crypto/run-applier.js';
import { loadSignal } from '../../sync/client/crypto/signal-library.js';
import { CryptoLane, type ThisDevice } from '../../sync/client/crypto/this-device.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { SILENT_LOGGER } from '../../sync/common/logger.js';
import { encodeContent } from '../../sync/content/content.js';
import type { EnvelopeEvent } from '../../sync/protocol/envelope-frames.js';
import { tempDir } from './lib/proc.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { MemorySenderKeys } from './lib/sender-keys.js';

const BENCH = 'opening';
const FULL_MESSAGES = 100_000;
const CONVERSATIONS = 100;
const PAGE = 500;
const SELF = 'reader';
/** Sizes of small runs (a live event, a short catch-up) timed on this thread and in the workers, each so many times. */
const SMALL_RUNS = [1, 4, 16, 32, 64];
const SMALL_REPEATS = 7;
const TARGET = { text: '≥ 15,000 msg/s', op: '>=' as const, value: 15_000 };

runBench(BENCH, async ({ scale }) => {
  const signal = await loadSignal();
  const messages = scaled(FULL_MESSAGES, scale, CONVERSATIONS);
  const perConversation = Math.ceil(messages / CONVERSATIONS);
  const dir = tempDir(BENCH);
  const writers = Mirror.open(join(dir, 'writers.db'));
  const readerIdentity = signal.IdentityKeyPair.generate();
  const cores = availableParallelism();
  const threadCounts = Array.from({ length: cores }, (_, i) => i + 1);
  const readerOf = (name: string) => {
    const mirror = Mirror.open(join(dir, `${name}.db`));
    const device: ThisDevice = {
      signal,
      address: signal.ProtocolAddress.new(SELF, 1),
      ratchet: () => new RatchetState(signal, mirror.signal, { identity: readerIdentity, registrationId: 1 }, Date.now),
      inheritedKey: () => false,
    };
    return { mirror, device };
  };
  const readers = [0, ...threadCounts].map((threads) => ({ threads, ...readerOf(`reader-${threads}`) }));
  // Small runs of the first group, opened on this thread by one and in the workers by the other.
  const smallReaders = { thread: readerOf('small-thread'), workers: readerOf('small-workers') };

  log(BENCH, `sealing ${perConversation * CONVERSATIONS} messages in ${CONVERSATIONS} groups`);
  const runs: EnvelopeEvent[][] = [];
  const rawKeys = new MemorySenderKeys();
  const chains: ChainJob[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const conversationId = `group-${c}`;
    const writerId = `writer-${c}`;
    const writer = signal.ProtocolAddress.new(writerId, 1);
    const sealing = new RatchetState(
      signal,
      writers.signal,
      { identity: signal.IdentityKeyPair.generate(), registrationId: 2 },
      Date.now,
    );
    const distributionId = `00000000-0000-4000-8000-${String(c).padStart(12, '0')}`;
    const handOut = await signal.SenderKeyDistributionMessage.create(writer, distributionId, sealing);
    for (const reader of c === 0 ? [...readers, ...Object.values(smallReaders)] : readers) {
      reader.mirror.upsertConversation(groupOf(conversationId, writerId, perConversation), SELF);
      const receiving = reader.device.ratchet();
      await signal.processSenderKeyDistributionMessage(writer, handOut, receiving);
      reader.mirror.transaction(() => receiving.writeTo(reader.mirror.signal));
    }
    await signal.processSenderKeyDistributionMessage(writer, handOut, rawKeys);
    const run: EnvelopeEvent[] = [];
    for (let seq = 1; seq <= perConversation; seq++) {
      const content = encodeContent({
        kind: 'message',
        text: `Message ${seq} of group ${c}: see you at the station at ${seq % 24}:00`,
      });
      const sealed = await signal.groupEncrypt(writer, distributionId, sealing, content);
      run.push({
        kind: 'envelope',
        conversationId,
        seq,
        senderId: writerId,
        senderDevice: 1,
        clientId: `m-${c}-${seq}`,
        ciphertext: Buffer.from(sealed.serialize()).toString('base64'),
        attachments: [],
        deleted: false,
        sentAt: 1_000 + seq,
      });
    }
    writers.transaction(() => sealing.writeTo(writers.signal));
    runs.push(run);
    chains.push({
      senderId: writerId,
      senderDevice: 1,
      distributionId,
      record: new Uint8Array(readers[0]!.mirror.signal.senderKey(`${writerId}.1`, distributionId)!),
      envelopes: run.map((envelope) => envelope.ciphertext),
    });
  }
  const total = runs.reduce((sum, run) => sum + run.length, 0);
  const rateOf = (ms: number) => Math.round((total * 1000) / ms);

  log(BENCH, 'raw libsignal decrypt on this thread (baseline)');
  const costs = new Map<string, Cost>();
  const rawMs = await timed(
    async () => {
      for (const run of runs) {
        for (const envelope of run) {
          const sender = signal.ProtocolAddress.new(envelope.senderId, envelope.senderDevice);
          await signal.groupDecrypt(sender, rawKeys, new Uint8Array(Buffer.from(envelope.ciphertext, 'base64')));
        }
      }
    },
    { label: 'raw', messages: total, into: costs },
  );

  const rawPoolMs = new Map<number, number>();
  for (const threads of threadCounts) {
    log(BENCH, `raw decrypt in the worker pool, ${threads} thread(s), nothing applied (baseline)`);
    const pool = new OpeningPool({ threads });
    await warmUp(pool, chains, threads);
    rawPoolMs.set(
      threads,
      await timed(
        async () => {
          const results = await pool.open(chains);
          const plaintexts = results.flatMap((result) => result.outcomes).filter((outcome) => 'plaintext' in outcome);
          if (plaintexts.length !== total) throw new Error(`The pool opened ${plaintexts.length} of ${total} envelopes`);
        },
        { label: `raw-${threads}`, messages: total, into: costs },
      ),
    );
    await pool.close();
  }

  const openMs = new Map<number, number>();
  for (const { threads, mirror, device } of readers) {
    log(BENCH, threads === 0 ? 'opening and applying on this thread' : `opening in ${threads} worker thread(s) and applying`);
    const pool = threads > 0 ? new OpeningPool({ threads }) : null;
    if (pool) await warmUp(pool, chains, threads);
    const applier = new RunApplier(
      mirror,
      new CryptoLane(),
      async () => device,
      SELF,
      SILENT_LOGGER,
      pool && { pool, minimum: defaultOpening().minimum },
    );
    openMs.set(
      threads,
      await timed(
        () =>
          Promise.all(
            runs.map(async (run) => {
              for (let from = 0; from < run.length; from += PAGE) {
                await applier.apply(run[0]!.conversationId, run.slice(from, from + PAGE), {});
              }
            }),
          ),
        { label: `open-${threads}`, messages: total, into: costs },
      ),
    );
    await pool?.close();
    const applied = runs.reduce((sum, run) => sum + mirror.appliedSeq(run[0]!.conversationId), 0);
    const shown = mirror.views.conversationSummaries(SELF).filter((summary) => summary.lastMessage !== null).length;
    if (applied !== total || shown !== CONVERSATIONS) throw new Error(`Applied ${applied} of ${total} (${shown} shown)`);
    mirror.close();
  }

  log(BENCH, 'small runs, on this thread and in warm workers');
  const smallPool = new OpeningPool({ threads: cores });
  await warmUp(smallPool, chains, cores);
  const small = new Map<number, { thread: number; workers: number }>();
  let from = 0;
  for (const size of SMALL_RUNS.filter(
    (size, at) => SMALL_RUNS.slice(0, at + 1).reduce((a, b) => a + b) * SMALL_REPEATS <= runs[0]!.length,
  )) {
    const medians = { thread: 0, workers: 0 };
    for (const mode of ['thread', 'workers'] as const) {
      const { mirror, device } = smallReaders[mode];
      const workers = mode === 'workers' ? { pool: smallPool, minimum: 1 } : null;
      const applier = new RunApplier(mirror, new CryptoLane(), async () => device, SELF, SILENT_LOGGER, workers);
      const times: number[] = [];
      for (let i = 0; i < SMALL_REPEATS; i++) {
        const run = runs[0]!.slice(from + i * size, from + (i + 1) * size);
        times.push(await timed(() => applier.apply(run[0]!.conversationId, run, {})));
      }
      medians[mode] = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    }
    small.set(size, medians);
    from += size * SMALL_REPEATS;
  }
  await smallPool.close();
  for (const { mirror } of Object.values(smallReaders)) mirror.close();
  writers.close();

  const raw = { name: 'raw groupDecrypt, this thread', value: rateOf(rawMs), unit: 'msg/s' };
  const rawCpu = costs.get('raw')!;
  const rows: Row[] = [
    row({
      key: 'opening.rate',
      name: 'Open and apply sealed messages (this thread only)',
      value: rateOf(openMs.get(0)!),
      unit: 'msg/s',
      baseline: raw,
      ratio: round2(openMs.get(0)! / rawMs),
    }),
    ...threadCounts.flatMap((threads) => {
      const cpu = costs.get(`open-${threads}`)!;
      return [
        row({
          key: `opening.raw-workers-${threads}`,
          name: `Raw decrypt in ${threads} worker thread(s), nothing applied`,
          value: rateOf(rawPoolMs.get(threads)!),
          unit: 'msg/s',
          baseline: raw,
          ratio: round2(rawPoolMs.get(threads)! / rawMs),
        }),
        row({
          key: `opening.workers-${threads}`,
          name: `Open in ${threads} worker thread(s), apply here`,
          value: rateOf(openMs.get(threads)!),
          unit: 'msg/s',
          baseline: raw,
          ratio: round2(openMs.get(threads)! / rawMs),
          target: TARGET,
        }),
        row({
          key: `opening.cpu-workers-${threads}`,
          name: `CPU per message, ${threads} worker thread(s) (this thread: ${cpu.thisThread ?? 'n/a'} µs)`,
          value: cpu.all,
          unit: 'µs/msg',
          baseline: { name: 'raw groupDecrypt, this thread', value: rawCpu.all, unit: 'µs/msg' },
          ratio: round2(cpu.all / rawCpu.all),
          target: { text: '≤ 1.5× raw', op: '<=', value: round2(rawCpu.all * 1.5) },
        }),
      ];
    }),
    ...[...small].map(([size, medians]) =>
      row({
        key: `opening.small-run-${size}`,
        name: `A run of ${size} envelope(s) opened in warm workers (median)`,
        value: round2(medians.workers),
        unit: 'ms',
        baseline: { name: 'on this thread', value: round2(medians.thread), unit: 'ms' },
        ratio: round2(medians.workers / medians.thread),
      }),
    ),
  ];
  return {
    sizes: { messages: total, conversations: CONVERSATIONS, page: PAGE, cores },
    rows,
    details: {
      costs: Object.fromEntries(costs),
      rawMs: Math.round(rawMs),
      rawPoolMs: Object.fromEntries([...rawPoolMs].map(([threads, ms]) => [threads, Math.round(ms)])),
      openMs: Object.fromEntries([...openMs].map(([threads, ms]) => [threads, Math.round(ms)])),
    },
    findings: [
      ...threadCounts.map(
        (threads) =>
          `${threads} worker thread(s): opening and applying took ${round2(openMs.get(threads)! / rawMs)}× the raw decrypt on one ` +
          `thread, and ${round2(openMs.get(threads)! / rawPoolMs.get(threads)!)}× the raw decrypt in the same ${threads} thread(s).`,
      ),
      // What the CPU cost allows, whatever share of the machine this run got: the wall rate's ceiling.
      `At ${costs.get(`open-${cores}`)!.all} µs of CPU per message, ${cores} idle core(s) would open and apply at most ` +
        `${Math.round((cores * 1e6) / costs.get(`open-${cores}`)!.all).toLocaleString('en')} msg/s; this run's load average ` +
        `at the end was ${loadavg()[0]!.toFixed(2)}.`,
    ],
  };
});

/** CPU per message of a pass, in µs: every thread's, and this thread's alone (Linux only). */
interface Cost {
  all: number;
  thisThread?: number;
}

/**
 * A pass's wall time in ms; its CPU goes to `costs` (from /proc for this thread's), which stays
 * meaningful when the machine is shared and the wall time does not.
 */
async function timed(
  work: () => Promise<unknown>,
  costs?: { label: string; messages: number; into: Map<string, Cost> },
): Promise<number> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const thisThread = thisThreadCpuUs();
  await work();
  const ms = performance.now() - started;
  if (costs) {
    const used = process.cpuUsage(cpu);
    const thisThreadAfter = thisThreadCpuUs();
    costs.into.set(costs.label, {
      all: round2((used.user + used.system) / costs.messages),
      ...(thisThread !== null && thisThreadAfter !== null
        ? { thisThread: round2((thisThreadAfter - thisThread) / costs.messages) }
        : {}),
    });
  }
  return ms;
}

/** This thread's CPU time so far in µs (the main thread's task is the process id), or null off Linux. */
function thisThreadCpuUs(): number | null {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the command), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** Starts every thread of the pool (a worker loads libsignal once, before the clock starts): one envelope each. */
async function warmUp(pool: OpeningPool, chains: readonly ChainJob[], threads: number): Promise<void> {
  await pool.open(chains.slice(0, threads).map((chain) => ({ ...chain, envelopes: chain.envelopes.slice(0, 1) })));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function groupOf(id: string, writerId: string, lastSeq: number) {
  return {
    id,
    kind: 'group' as const,
    name: id,
    members: [writerId, SELF].map((userId, i) => ({
      id: userId,
      username: userId,
      displayName: userId,
      role: i === 0 ? ('owner' as const) : ('member' as const),
      deliveredSeq: 0,
      readSeq: 0,
    })),
    lastSeq,
    createdAt: 1,
    isMember: true,
  };
}
