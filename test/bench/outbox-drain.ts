/**
 * Outbox drain: 10,000 messages composed offline through the client core (sendMessage while the
 * server is unreachable), then the server comes up; time from opening the core (which starts the
 * engine: connect, list conversations, go online, drain) until the outbox is empty — every message
 * acknowledged. Two shapes: all in one conversation (the outbox pipelines up to OUTBOX_WINDOW rows
 * of a conversation, each naming the one before it) and spread over 10 conversations.
 *
 * Baselines: a raw `ws` client sending the same number of envelopes (send_envelope frames of a
 * short message's sealed size, lib/raw-envelopes.ts) one at a time awaiting each `sent` (one
 * stream, or ten streams side by side): what the server and loopback cost for the exchange without
 * the core (its sealing included) and without pipelining. And a pipelined raw run (every frame sent at
 * once, replies awaited at the end): the floor, which the one-conversation drain is held to (target
 * ≤ 1.3×).
 *
 * Composing 10,000 messages is timed as well (sendMessage calls while offline).
 *
 * `--profile`: a third device composes with every SQLite statement timed, and drains (one
 * conversation) under CPU profilers of client (in-process) and server (--cpu-prof), both cut to
 * the drain window.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppEvent } from '../../sync/app-api/contract.js';
import { openClientCore } from '../../sync/client/client-core.js';
import { MirrorProbe, prepareProfile } from './lib/client-profile.js';
import { readMainThreadProfile, startCpuProfile, summariseProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { instrumentSqlStatements } from './lib/instrument.js';
import { freePort, memoryOf, ownCpuMs, resetPeakRss, ROOT, startServerProcess, tempDir, type ServerProcess } from './lib/proc.js';
import { chatText, Rng } from './lib/random.js';
import { RawClient } from './lib/raw-client.js';
import { RawEnvelopes, sealedText } from './lib/raw-envelopes.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { seedInChild, type SeededUser, type SeedSpec } from './lib/seed.js';
import { round, sleep } from './lib/stats.js';
import type { Conversation } from '../../sync/protocol/frames.js';

const BENCH = 'outbox-drain';
const FULL_MESSAGES = 10_000;
const SPREAD = 10;
const TIMEOUT_MS = 300_000;

runBench(BENCH, async ({ scale, profile }) => {
  const total = scaled(FULL_MESSAGES, scale, 200);
  const work = tempDir(BENCH);
  const dataDir = join(work, 'server');
  // 0 + 1: the one-conversation device; 2 + 3…12: the ten-conversation device; 13 + 14…23: raw
  // baseline; 24 + 25: the one-conversation device drained under the profilers (--profile).
  const spec: SeedSpec = {
    users: 26,
    conversations: [
      [0, 1],
      ...Array.from({ length: SPREAD }, (_, i) => [2, 3 + i] as [number, number]),
      ...Array.from({ length: SPREAD }, (_, i) => [13, 14 + i] as [number, number]),
      [24, 25],
    ],
  };
  const manifest = await seedInChild(dataDir, spec, work);
  const users = manifest.users;
  const convs = manifest.conversations;
  const single = { user: users[0]!, conversations: convs.slice(0, 1) };
  const spread = { user: users[2]!, conversations: convs.slice(1, 1 + SPREAD) };
  const profiled = { user: users[24]!, conversations: convs.slice(1 + 2 * SPREAD, 2 + 2 * SPREAD) };
  const rawUser = users[13]!;
  const rawConversations = convs.slice(1 + SPREAD, 1 + 2 * SPREAD);

  // The server is not running yet: compose offline against the port it will get.
  const port = await freePort();
  const serverUrl = `ws://127.0.0.1:${port}`;
  const rng = new Rng(11);
  log(BENCH, `composing ${total} messages offline, twice`);
  const singleProfile = await composeOffline(join(work, 'single'), serverUrl, single.user, single.conversations, total, rng);
  const spreadProfile = await composeOffline(join(work, 'spread'), serverUrl, spread.user, spread.conversations, total, rng);
  // --profile: a third device of the one-conversation shape, drained later under the profilers.
  let composeStatements: Array<{ sql: string; calls: number; ms: number }> = [];
  let profiledProfile: Awaited<ReturnType<typeof composeOffline>> | null = null;
  if (profile) {
    // Composed with every SQLite statement call timed: where sendMessage's time goes.
    const sql = instrumentSqlStatements();
    profiledProfile = await composeOffline(join(work, 'profiled'), serverUrl, profiled.user, profiled.conversations, total, rng);
    sql.restore();
    composeStatements = sql
      .results()
      .slice(0, 8)
      .map(({ sql: text, calls, ms }) => ({ sql: text, calls, ms }));
  }

  const server = await startServerProcess(dataDir, { port });
  log(BENCH, 'draining: 1 conversation');
  const singleDrain = await drain(singleProfile.dir, singleProfile.mirror, server, total);
  log(BENCH, `draining: ${SPREAD} conversations`);
  const spreadDrain = await drain(spreadProfile.dir, spreadProfile.mirror, server, total);

  log(BENCH, 'baselines: raw ws sends');
  const raw = await RawClient.connect(server.url, rawUser.token);
  const envelopes = new RawEnvelopes(raw);
  for (const conversation of rawConversations) await envelopes.learn(conversation.id);
  const rawSerial = await withServerCpu(server, () => rawSends(envelopes, rawConversations.slice(0, 1), total, rng));
  const rawParallel = await withServerCpu(server, () => rawSends(envelopes, rawConversations, total, rng));
  const rawPipelined = await withServerCpu(server, () => rawPipeline(envelopes, rawConversations[0]!, total, rng));
  raw.close();
  const serverPeak = server.memory();
  await server.stop();

  let profiles: { client: ProfileSummary; server: ProfileSummary | null; drain: Drain } | null = null;
  if (profiledProfile) {
    log(BENCH, 'profiling: one-conversation drain under the CPU profilers');
    const profDir = join(work, 'server-prof');
    mkdirSync(profDir, { recursive: true });
    const profServer = await startServerProcess(dataDir, {
      port,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250'],
    });
    const stop = await startCpuProfile();
    const drained = await drain(profiledProfile.dir, profiledProfile.mirror, profServer, total);
    const clientProfile = await stop();
    await profServer.stop();
    const serverProfile = readMainThreadProfile(profDir, profServer.pid);
    profiles = {
      client: summariseProfile(clientProfile, ROOT, 20, drained.windowUs),
      server: serverProfile ? summariseProfile(serverProfile, ROOT, 20, drained.windowUs) : null,
      drain: drained,
    };
  }

  const rate = (ms: number) => round(total / (ms / 1000), 0);
  const rows: Row[] = [
    row({
      key: 'outbox.single',
      name: `Outbox drain ${total.toLocaleString('en')}, 1 conversation`,
      value: round(singleDrain.ms / 1000, 2),
      unit: 's',
      baseline: { name: 'raw ws, 1 at a time', value: round(rawSerial.ms / 1000, 2), unit: 's' },
      ratio: round(singleDrain.ms / rawSerial.ms, 2),
      note: `${rate(singleDrain.ms)} msg/s; raw pipelined ${round(rawPipelined.ms / 1000, 2)} s`,
    }),
    row({
      key: 'outbox.vs-pipelined',
      name: `Outbox drain ${total.toLocaleString('en')}, 1 conversation / raw pipelined`,
      value: round(singleDrain.ms / rawPipelined.ms, 2),
      unit: '×',
      baseline: { name: 'raw ws, every frame at once', value: round(rawPipelined.ms / 1000, 2), unit: 's' },
      target: { text: '≤ 1.3×', op: '<=', value: 1.3 },
      note: `${round((singleDrain.ms * 1000) / total, 0)} µs per message vs ${round((rawPipelined.ms * 1000) / total, 0)} µs`,
    }),
    row({
      key: 'outbox.spread',
      name: `Outbox drain ${total.toLocaleString('en')}, ${SPREAD} conversations`,
      value: round(spreadDrain.ms / 1000, 2),
      unit: 's',
      baseline: { name: `raw ws, ${SPREAD} streams`, value: round(rawParallel.ms / 1000, 2), unit: 's' },
      ratio: round(spreadDrain.ms / rawParallel.ms, 2),
      note: `${rate(spreadDrain.ms)} msg/s`,
    }),
    row({
      key: 'outbox.compose',
      name: `Compose ${total.toLocaleString('en')} offline (sendMessage)`,
      value: round(singleProfile.composeMs / 1000, 2),
      unit: 's',
      note: `${round((singleProfile.composeMs * 1000) / total, 0)} µs per message in 1 conversation; ${round((spreadProfile.composeMs * 1000) / total, 0)} µs over ${SPREAD}`,
    }),
  ];
  const perSend = (ms: number) => round((ms * 1000) / total, 0);
  return {
    sizes: { messages: total, spreadConversations: SPREAD },
    rows,
    details: {
      compose: {
        singleMs: round(singleProfile.composeMs, 0),
        spreadMs: round(spreadProfile.composeMs, 0),
        singleFirstThousandMs: round(singleProfile.firstThousandMs, 0),
        singleLastThousandMs: round(singleProfile.lastThousandMs, 0),
      },
      single: singleDrain,
      spread: spreadDrain,
      raw: { serial: rawSerial, parallel: rawParallel, pipelined: rawPipelined },
      serverMemoryMiB: serverPeak,
      profiles,
      composeStatements,
    },
    findings: [
      `One conversation: ${perSend(singleDrain.ms)} µs per message end to end, ${round(singleDrain.ms / Math.max(1, rawPipelined.ms), 2)}× ` +
        `the raw pipelined floor of ${perSend(rawPipelined.ms)} µs; a raw client waiting for each reply takes ${perSend(rawSerial.ms)} µs ` +
        `(${round(rawSerial.ms / Math.max(1, rawPipelined.ms), 1)}× the floor).`,
      `CPU per message, one conversation: client ${perSend(singleDrain.clientCpuMs)} µs, server ${singleDrain.serverCpuMs === null ? 'n/a' : perSend(singleDrain.serverCpuMs)} µs ` +
        `(raw baseline: server ${rawSerial.serverCpuMs === null ? 'n/a' : perSend(rawSerial.serverCpuMs)} µs). Wall ${round(singleDrain.ms, 0)} ms; online after ${singleDrain.onlineAtMs ?? 'n/a'} ms.`,
      `Composing: the first 1,000 sendMessage calls took ${round(singleProfile.firstThousandMs, 0)} ms, the last 1,000 ${round(singleProfile.lastThousandMs, 0)} ms ` +
        (singleProfile.lastThousandMs > singleProfile.firstThousandMs * 2
          ? '— the cost per message grows with the queue length.'
          : '— flat in the queue length.'),
      ...(composeStatements.length > 0
        ? [
            `Compose, heaviest SQL (timed run, ${total} sendMessage calls in 1 conversation): ` +
              composeStatements
                .slice(0, 4)
                .map((st) => `${st.sql.slice(0, 80)}… ${st.calls}× ${st.ms} ms`)
                .join('; ') +
              '.',
          ]
        : []),
      ...(profiles
        ? [
            `Client CPU profile of a one-conversation drain (busy ${profiles.client.busyMs} of ${profiles.client.totalMs} ms): ` +
              profiles.client.categories
                .slice(0, 6)
                .map((c) => `${c.category} ${c.pctOfBusy}%`)
                .join(', ') +
              '.',
            `Client hottest functions (self): ${profiles.client.topSelf
              .slice(0, 8)
              .map((f) => `${f.fn} (${f.where}) ${f.pctOfBusy}%`)
              .join('; ')}.`,
            ...(profiles.server
              ? [
                  `Server CPU profile, same window (busy ${profiles.server.busyMs} ms): ` +
                    profiles.server.categories
                      .slice(0, 6)
                      .map((c) => `${c.category} ${c.pctOfBusy}%`)
                      .join(', ') +
                    '.',
                  `Server hottest functions (self): ${profiles.server.topSelf
                    .slice(0, 6)
                    .map((f) => `${f.fn} (${f.where}) ${f.pctOfBusy}%`)
                    .join('; ')}.`,
                ]
              : []),
          ]
        : []),
    ],
  };
});

async function composeOffline(
  dir: string,
  serverUrl: string,
  user: SeededUser,
  conversations: Conversation[],
  total: number,
  rng: Rng,
): Promise<{ dir: string; mirror: string; composeMs: number; firstThousandMs: number; lastThousandMs: number }> {
  const mirror = await prepareProfile(dir, serverUrl, user, conversations);
  const core = await openClientCore({ profileDir: dir, defaultServerUrl: serverUrl });
  const texts = Array.from({ length: total }, () => chatText(rng));
  const t0 = performance.now();
  let firstThousandMs = 0;
  let lastThousandStart = 0;
  for (let i = 0; i < total; i += 1) {
    if (i === Math.max(0, total - 1000)) lastThousandStart = performance.now();
    await core.sendMessage({ conversationId: conversations[i % conversations.length]!.id, text: texts[i]! });
    if (i === Math.min(total, 1000) - 1) firstThousandMs = performance.now() - t0;
  }
  const composeMs = performance.now() - t0;
  const lastThousandMs = performance.now() - lastThousandStart;
  if ((await core.getConnectionState()) === 'online') throw new Error('The core reached a server while composing offline');
  await core.close();
  return { dir, mirror, composeMs, firstThousandMs, lastThousandMs };
}

interface Drain {
  ms: number;
  onlineAtMs: number | null;
  clientCpuMs: number;
  serverCpuMs: number | null;
  clientPeakMiB: number | null;
  eventLoopUtilisation: number;
  /** The measured window in process.hrtime microseconds (to cut CPU profiles to it). */
  windowUs: { startUs: number; endUs: number };
}

async function drain(profileDir: string, mirrorFile: string, server: ServerProcess, total: number): Promise<Drain> {
  const probe = new MirrorProbe(mirrorFile);
  const pending = probe.prepare('SELECT EXISTS (SELECT 1 FROM outbox) AS queued');
  if ((pending.get() as { queued: number }).queued !== 1) throw new Error('Nothing was queued');
  resetPeakRss();
  const cpu0 = ownCpuMs();
  const serverCpu0 = server.cpuMs();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const startUs = Number(process.hrtime.bigint() / 1000n);
  let endUs = 0;
  let onlineAt: number | null = null;
  const core = await openClientCore({ profileDir, defaultServerUrl: server.url });
  const ms = await new Promise<number>((resolve, reject) => {
    let done = false;
    const check = () => {
      if (done || (pending.get() as { queued: number }).queued !== 0) return;
      done = true;
      endUs = Number(process.hrtime.bigint() / 1000n);
      clearInterval(poll);
      clearTimeout(timeout);
      resolve(performance.now() - t0);
    };
    core.subscribe((event: AppEvent) => {
      if (event.type === 'connection' && event.state === 'online' && onlineAt === null)
        onlineAt = round(performance.now() - t0, 1);
    });
    const poll = setInterval(check, 10);
    const timeout = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`The outbox did not drain within ${TIMEOUT_MS / 1000} s`));
    }, TIMEOUT_MS);
  });
  const result: Drain = {
    ms,
    onlineAtMs: onlineAt,
    clientCpuMs: ownCpuMs() - cpu0,
    serverCpuMs: ((): number | null => {
      const now = server.cpuMs();
      return now !== null && serverCpu0 !== null ? now - serverCpu0 : null;
    })(),
    clientPeakMiB: memoryOf('self')?.peakMiB ?? null,
    eventLoopUtilisation: round(performance.eventLoopUtilization(elu0).utilization, 3),
    windowUs: { startUs, endUs },
  };
  await core.close();
  const unsent = probe.count('SELECT COUNT(*) FROM messages WHERE seq IS NULL');
  const sent = probe.count('SELECT COUNT(*) FROM messages WHERE seq IS NOT NULL');
  probe.close();
  if (unsent !== 0 || sent !== total) throw new Error(`After draining: ${sent} acknowledged, ${unsent} not (expected ${total})`);
  await sleep(50);
  return { ...result, ms: round(result.ms, 1), clientCpuMs: round(result.clientCpuMs, 0) };
}

/** Wall ms of `work` and the server's CPU ms meanwhile. */
async function withServerCpu(
  server: ServerProcess,
  work: () => Promise<number>,
): Promise<{ ms: number; serverCpuMs: number | null }> {
  const before = server.cpuMs();
  const ms = await work();
  const after = server.cpuMs();
  return { ms: round(ms, 1), serverCpuMs: before !== null && after !== null ? after - before : null };
}

/** One envelope at a time per conversation, conversations side by side; total wall ms. */
async function rawSends(envelopes: RawEnvelopes, conversations: Conversation[], total: number, rng: Rng): Promise<number> {
  const sealed = Array.from({ length: total }, () => sealedText());
  const ids = Array.from({ length: total }, () => rng.uuid());
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    conversations.map(async (conversation) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const reply = await envelopes.send(conversation.id, ids[i]!, sealed[i]!);
        if (reply.type !== 'sent') throw new Error(`Raw envelope refused: ${JSON.stringify(reply)}`);
      }
    }),
  );
  return performance.now() - t0;
}

/** Every envelope at once on one socket into one conversation; wall ms until the last reply. */
async function rawPipeline(envelopes: RawEnvelopes, conversation: Conversation, total: number, rng: Rng): Promise<number> {
  const frames = Array.from({ length: total }, () => ({ clientId: rng.uuid(), ciphertext: sealedText() }));
  const t0 = performance.now();
  // Each frame is written as it is sent (the devices version is known): all of them before any reply.
  const replies = await Promise.all(frames.map((frame) => envelopes.send(conversation.id, frame.clientId, frame.ciphertext)));
  const ms = performance.now() - t0;
  const refused = replies.filter((reply) => reply.type !== 'sent').length;
  if (refused > 0) throw new Error(`${refused} pipelined raw envelopes were refused`);
  return ms;
}
