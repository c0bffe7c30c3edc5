/**
 * Disappearing messages' sweep (sync/server/disappearing-sweep.ts) on the SQLite store, in this
 * process: 100 direct conversations holding 200,000 envelopes, every other one with a 30-second
 * timer, all read by both people.
 *
 * - A pass that finds nothing due, with all of them stored: the pass every node runs every 10 s,
 *   p50 of 50. Baseline: the same pass over the store before anything was sent (the partial index
 *   `events_expiring` is what keeps it from growing with the history).
 * - Purging them: the sweep as the server runs it (startDisappearingSweep, real timers) draining
 *   the whole backlog, envelopes per second. Baseline: appending as many envelopes to the same
 *   store (its write rate), same run.
 * - One pass of that drain, p50: what a delivery arriving during it waits, typically. Baseline: one
 *   append, p50.
 * - The longest the event loop waited meanwhile (a 1 ms ticker's longest gap): the worst such wait,
 *   one pass (a checkpoint in it, or a busy machine). Baseline: the same ticker, idle.
 * Before any figure is kept: every timed envelope is served deleted, and no untimed one is.
 */
import { join } from 'node:path';
import { openDatabase } from '../../sync/node/sqlite.js';
import { realRuntime } from '../../sync/node/real-runtime.js';
import { DISAPPEARING_SWEEP_BATCH, startDisappearingSweep } from '../../sync/server/disappearing-sweep.js';
import { InFlight } from '../../sync/server/in-flight.js';
import type { ServerLogger } from '../../sync/server/logger.js';
import { serverMigrations } from '../../sync/server/store/sqlite-migrations.js';
import { SERVER_DATABASE_FILE, SqliteServerStore } from '../../sync/server/store/sqlite-server-store.js';
import { tempDir } from './lib/proc.js';
import { sealedText } from './lib/raw-envelopes.js';
import { log, row, runBench, scaled } from './lib/report.js';
import { seedServer } from './lib/seed.js';
import { percentile, round, sleep } from './lib/stats.js';

const BENCH = 'disappearing-sweep';
const FULL_ENVELOPES = 200_000;
const CONVERSATIONS = 100;
const TIMER_MS = 30_000;
const IDLE_PASSES = 50;
const START = Date.UTC(2026, 0, 1);

runBench(BENCH, async ({ scale }) => {
  const envelopes = scaled(FULL_ENVELOPES, scale, 2 * CONVERSATIONS * 10);
  const dataDir = join(tempDir(BENCH), 'server');
  const manifest = await seedServer(dataDir, {
    users: 2 * CONVERSATIONS,
    conversations: Array.from({ length: CONVERSATIONS }, (_, i) => [2 * i, 2 * i + 1] as [number, number]),
  });
  const store = new SqliteServerStore(openDatabase(join(dataDir, SERVER_DATABASE_FILE), serverMigrations));
  const conversations = await Promise.all(
    manifest.conversations.map(async (conversation) => {
      const [first, second] = conversation.members.map((member) => member.id) as [string, string];
      const devices = await store.conversationDevices(conversation.id, first);
      return { id: conversation.id, members: [first, second], devicesVersion: devices?.version ?? null, lastSeq: 0 };
    }),
  );

  const idlePass = async (now: number): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < IDLE_PASSES; i += 1) {
      const started = performance.now();
      const pass = await store.purgeExpiredEnvelopes(now, DISAPPEARING_SWEEP_BATCH);
      times.push(performance.now() - started);
      if (pass.stamped + pass.purged > 0) throw new Error('An idle pass found something to do');
    }
    return percentile(times, 50);
  };
  const emptyPassMs = await idlePass(START);

  log(BENCH, `appending ${envelopes} envelopes, half with a ${TIMER_MS / 1000} s timer`);
  const ciphertext = sealedText();
  const appendTimes: number[] = [];
  const appendStarted = performance.now();
  for (let i = 0; i < envelopes; i += 1) {
    const conversation = conversations[i % CONVERSATIONS]!;
    const started = performance.now();
    const result = await store.appendEnvelope({
      conversationId: conversation.id,
      senderId: conversation.members[i % 2]!,
      senderDevice: 1,
      clientId: `sweep-${i}`,
      ciphertext,
      attachments: [],
      deletes: null,
      devicesVersion: conversation.devicesVersion,
      expiresInMs: i % 2 === 0 ? TIMER_MS : null,
      sentAt: START + i,
    });
    appendTimes.push(performance.now() - started);
    if (result.status !== 'stored') throw new Error(`Appending: ${result.status}`);
    conversation.lastSeq = result.event.seq;
  }
  const appendRate = envelopes / ((performance.now() - appendStarted) / 1000);
  for (const conversation of conversations) {
    for (const userId of conversation.members) {
      await store.raiseWatermark({ conversationId: conversation.id, userId, kind: 'read', seq: conversation.lastSeq });
    }
  }
  // Read by everyone: the first passes stamp them all; the idle figure is a pass after that and
  // before any timer has run, over a store holding every envelope.
  const stampedAt = START + envelopes + 1;
  for (;;) {
    const pass = await store.purgeExpiredEnvelopes(stampedAt, DISAPPEARING_SWEEP_BATCH);
    if (pass.stamped < DISAPPEARING_SWEEP_BATCH) break;
  }
  const fullPassMs = await idlePass(stampedAt + TIMER_MS - 1);

  log(BENCH, 'draining the due envelopes with the sweep as the server runs it');
  const idleStallMs = await longestStall(() => sleep(1_000));
  const timed = Math.ceil(envelopes / 2);
  let purged = 0;
  const passTimes: number[] = [];
  const counting = Object.create(store, {
    purgeExpiredEnvelopes: {
      value: async (now: number, limit: number) => {
        const started = performance.now();
        const pass = await store.purgeExpiredEnvelopes(now, limit);
        passTimes.push(performance.now() - started);
        purged += pass.purged;
        return pass;
      },
    },
  }) as SqliteServerStore;
  let sweepMs = 0;
  const stallMs = await longestStall(async () => {
    // The real clock is long past every envelope's timer.
    const started = performance.now();
    const sweep = startDisappearingSweep({
      store: counting,
      runtime: realRuntime(),
      logger: silentLogger,
      inFlight: new InFlight(),
      everyMs: 1,
    });
    while (purged < timed) await sleep(5);
    sweepMs = performance.now() - started;
    sweep.stop();
  });
  if (purged !== timed) throw new Error(`Purged ${purged}, not ${timed}`);
  await checkServed(store, conversations[0]!);
  await store.close();

  const sweepRate = timed / (sweepMs / 1000);
  return {
    sizes: { envelopes, timed, conversations: CONVERSATIONS, batch: DISAPPEARING_SWEEP_BATCH },
    rows: [
      row({
        key: `${BENCH}.idle`,
        name: `A pass with nothing due, ${envelopes.toLocaleString('en')} envelopes stored`,
        value: round(fullPassMs, 3),
        unit: 'ms',
        baseline: { name: 'the same pass on the empty store', value: round(emptyPassMs, 3), unit: 'ms' },
        ratio: round(fullPassMs / emptyPassMs),
      }),
      row({
        key: `${BENCH}.rate`,
        name: `The sweep purging ${timed.toLocaleString('en')} expired envelopes`,
        value: Math.round(sweepRate),
        unit: 'envelopes/s',
        baseline: { name: 'appending envelopes to the same store', value: Math.round(appendRate), unit: 'envelopes/s' },
        ratio: round(appendRate / sweepRate),
      }),
      row({
        key: `${BENCH}.pass`,
        name: `One pass of the drain (${DISAPPEARING_SWEEP_BATCH} envelopes, one transaction), p50`,
        value: round(percentile(passTimes, 50), 2),
        unit: 'ms',
        baseline: { name: 'one append to the same store, p50', value: round(percentile(appendTimes, 50), 3), unit: 'ms' },
        ratio: round(percentile(passTimes, 50) / percentile(appendTimes, 50)),
      }),
      row({
        key: `${BENCH}.stall`,
        name: 'Longest the event loop waited while the sweep drained them',
        value: round(stallMs, 1),
        unit: 'ms',
        baseline: { name: 'the same, idle for a second', value: round(idleStallMs, 1), unit: 'ms' },
        ratio: round(stallMs / idleStallMs),
      }),
    ],
    details: {
      passes: passTimes.length,
      passP99Ms: round(percentile(passTimes, 99), 3),
      passMaxMs: round(Math.max(...passTimes), 3),
      appendP99Ms: round(percentile(appendTimes, 99), 3),
    },
    findings: [],
  };
});

/** The longest gap between 1 ms ticks while `work` runs: how long anything arriving would have waited. */
async function longestStall(work: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(ticker);
  }
  return Math.max(longest, performance.now() - last);
}

const silentLogger: ServerLogger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

/** Every timed envelope of the conversation is served deleted, every untimed one as sent. */
async function checkServed(store: SqliteServerStore, conversation: { id: string; members: string[] }): Promise<void> {
  const page = await store.readEvents({
    conversationId: conversation.id,
    userId: conversation.members[1]!,
    afterSeq: 0,
    limit: 500,
  });
  for (const event of page?.events ?? []) {
    if (event.kind !== 'envelope') continue;
    const gone = event.ciphertext === '' && event.deleted;
    if (gone !== (event.expiresInMs !== undefined)) throw new Error(`Envelope ${event.seq} was ${gone ? '' : 'not '}purged`);
  }
}
