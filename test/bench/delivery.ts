/**
 * Delivery latency: sendMessage on A's client core → the message is in B's mirror, over loopback,
 * one message at a time (the next goes after B has it and A's outbox is empty, plus 5–15 ms).
 *
 * - A's core runs here; B's core runs in its own process (lib/delivery-peer.ts), like two devices.
 *   Times are process.hrtime (CLOCK_MONOTONIC, shared by all processes on Linux): taken just before
 *   sendMessage on A, and in B when its core emits `messages` and the row is in its mirror.
 * - Baseline: the same exchange with raw `ws` sockets and no client core (a `send` frame from X,
 *   the `event` push arriving at Y, JSON.parse only): what the server and loopback cost alone.
 * - Load: first with only these four sockets connected, then with idle authenticated raw `ws`
 *   sockets (in their own process, lib/idle-clients.ts) bringing the total to 1,000. The idle ones
 *   are paired in conversations (so presence has contacts) but send nothing.
 */
import { join } from 'node:path';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { openClientCore } from '../../sync/client/client-core.js';
import { MirrorProbe, prepareProfile } from './lib/client-profile.js';
import { spawnTs, startServerProcess, tempDir, type Spawned } from './lib/proc.js';
import { RawClient } from './lib/raw-client.js';
import { Rng } from './lib/random.js';
import { log, row, runBench, scaled, type Row } from './lib/report.js';
import { seedInChild, type SeedSpec } from './lib/seed.js';
import { roundSummary, sleep, summarise } from './lib/stats.js';

const BENCH = 'delivery';
const FULL_CONNECTIONS = 1_000;
const FULL_SAMPLES = 500;
const WARMUP = 30;
const HISTORY = 1_000;

runBench(BENCH, async ({ scale }) => {
  const connections = scaled(FULL_CONNECTIONS, scale, 50);
  const idle = connections - 4;
  const samples = scaled(FULL_SAMPLES, scale, 60);
  const work = tempDir(BENCH);
  const dataDir = join(work, 'server');
  // Users: 0 = A, 1 = B (client cores); 2 = X, 3 = Y (raw baseline); 4… idle, in pairs.
  const spec: SeedSpec = {
    users: 4 + idle + (idle % 2),
    conversations: [
      [0, 1],
      [2, 3],
      ...Array.from({ length: Math.ceil(idle / 2) }, (_, i) => [4 + 2 * i, 5 + 2 * i] as [number, number]),
    ],
    traffic: {
      events: HISTORY,
      conversations: [0],
      weights: [1],
      editShare: 0.05,
      reactionShare: 0.05,
      deleteShare: 0,
      replyShare: 0.05,
    },
  };
  log(BENCH, `seeding ${spec.users} users`);
  const manifest = await seedInChild(dataDir, spec, work);
  const [a, b, x, y] = manifest.users;
  const [abConversation, xyConversation] = manifest.conversations;
  if (!a || !b || !x || !y || !abConversation || !xyConversation) throw new Error('Seeding produced too few users');
  const server = await startServerProcess(dataDir);

  // B in its own process.
  const bProfile = join(work, 'b');
  const bMirror = prepareProfile(bProfile, server.url, b);
  const peer = startPeer();
  await peer.call({
    type: 'init',
    profileDir: bProfile,
    mirrorFile: bMirror,
    serverUrl: server.url,
    conversationId: abConversation.id,
    expectedSeq: abConversation.lastSeq,
    rawToken: y.token,
  });

  // A here.
  const aProfile = join(work, 'a');
  const aMirror = prepareProfile(aProfile, server.url, a);
  const aCore = await openClientCore({ profileDir: aProfile, defaultServerUrl: server.url });
  const aProbe = new MirrorProbe(aMirror);
  await until(
    async () =>
      aProbe.caughtUp(new Map([[abConversation.id, abConversation.lastSeq]])) && (await aCore.getConnectionState()) === 'online',
    60_000,
    'A online and caught up',
  );
  const xClient = await RawClient.connect(server.url, x.token);

  const rng = new Rng(7);
  const measure = async (label: string) => {
    log(BENCH, `${label}: ${WARMUP} warm-up + ${samples} sends, core then raw`);
    const core = await coreSamples(aCore, aProbe, peer, abConversation.id, samples, rng);
    const raw = await rawSamples(xClient, peer, xyConversation.id, samples, rng);
    return { core: roundSummary(summarise(core)), raw: roundSummary(summarise(raw)) };
  };

  const quiet = await measure('4 connections');
  const quietServer = server.memory();

  log(BENCH, `opening ${idle} idle sockets`);
  const holder = spawnTs(join('test', 'bench', 'lib', 'idle-clients.ts'), [], { ipc: true });
  const opened = await new Promise<{ count: number; ms: number }>((resolve, reject) => {
    holder.child.on('message', (message: { type: string; count?: number; ms?: number; error?: string }) => {
      if (message.type === 'ready') resolve({ count: message.count ?? 0, ms: message.ms ?? 0 });
      if (message.type === 'failed') reject(new Error(message.error));
    });
    void holder.exited.then((code) => reject(new Error(`idle-clients exited (${code}): ${holder.output()}`)));
    holder.child.send({ type: 'open', serverUrl: server.url, tokens: manifest.users.slice(4, 4 + idle).map((u) => u.token) });
  });
  await sleep(500); // presence fan-out of the new connections settles
  const loaded = await measure(`${opened.count + 4} connections`);
  const loadedServer = server.memory();

  holder.child.send({ type: 'stop' });
  peer.stop();
  xClient.close();
  await aCore.close();
  aProbe.close();
  await Promise.race([holder.exited, sleep(3_000)]);
  await server.stop();

  const total = opened.count + 4;
  const rows: Row[] = [
    latencyRow('delivery.quiet.p50', 'Delivery p50, 4 connections', quiet.core.p50, quiet.raw.p50, 'p50', undefined),
    latencyRow('delivery.quiet.p99', 'Delivery p99, 4 connections', quiet.core.p99, quiet.raw.p99, 'p99', undefined),
    latencyRow(`delivery.loaded.p50`, `Delivery p50, ${total} connections`, loaded.core.p50, loaded.raw.p50, 'p50', {
      text: '< 2 ms',
      op: '<=',
      value: 2,
    }),
    latencyRow(`delivery.loaded.p99`, `Delivery p99, ${total} connections`, loaded.core.p99, loaded.raw.p99, 'p99', {
      text: '< 10 ms',
      op: '<=',
      value: 10,
    }),
  ];
  const overhead = loaded.core.p50 - loaded.raw.p50;
  return {
    sizes: { connections: total, idleSockets: opened.count, samples, warmup: WARMUP, history: HISTORY },
    rows,
    details: {
      quiet,
      loaded,
      idleSocketsOpenMs: opened.ms,
      serverMemoryMiB: { quiet: quietServer, loaded: loadedServer },
    },
    findings: [
      `At ${total} connections the client cores add ${overhead.toFixed(2)} ms at p50 over the raw protocol exchange ` +
        `(core p50 ${loaded.core.p50} ms vs raw ${loaded.raw.p50} ms; p99 ${loaded.core.p99} vs ${loaded.raw.p99}; max ${loaded.core.max} vs ${loaded.raw.max}).`,
      `Idle connections change the raw p50 from ${quiet.raw.p50} to ${loaded.raw.p50} ms: ` +
        (loaded.raw.p50 - quiet.raw.p50 > 0.5
          ? 'the server pays for the connection count.'
          : 'connection count alone barely matters to the server.'),
      'The core path includes A composing into its mirror and outbox, the outbox kick, B validating the push (zod), applying it in a transaction and emitting; ' +
        'A (this process) and B (a child) each have their own event loop, the server a third; all share the 2 cores with whatever else runs.',
    ],
  };
});

function latencyRow(
  key: string,
  name: string,
  value: number,
  baseline: number,
  which: string,
  target: { text: string; op: '<=' | '>='; value: number } | undefined,
): Row {
  return row({
    key,
    name,
    value,
    unit: 'ms',
    baseline: { name: `raw ws ${which}`, value: baseline, unit: 'ms' },
    ratio: baseline > 0 ? Math.round((value / baseline) * 100) / 100 : 0,
    ...(target ? { target } : {}),
  });
}

async function coreSamples(
  aCore: ClientCore,
  aProbe: MirrorProbe,
  peer: Peer,
  conversationId: string,
  count: number,
  rng: Rng,
): Promise<number[]> {
  const outbox = aProbe.prepare('SELECT COUNT(*) AS n FROM outbox');
  const results: number[] = [];
  for (let i = 0; i < WARMUP + count; i += 1) {
    const t0 = process.hrtime.bigint();
    const view = await aCore.sendMessage({ conversationId, text: `latency probe ${i}` });
    const at = await peer.seen(view.id);
    if (i >= WARMUP) results.push(Number(at - t0) / 1e6);
    await until(() => (outbox.get() as { n: number }).n === 0, 10_000, 'A acknowledged', 1);
    await sleep(rng.int(5, 15));
  }
  return results;
}

async function rawSamples(x: RawClient, peer: Peer, conversationId: string, count: number, rng: Rng): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < WARMUP + count; i += 1) {
    const clientMessageId = rng.uuid();
    const t0 = process.hrtime.bigint();
    const reply = x.request({ type: 'send', conversationId, clientMessageId, text: `latency probe ${i}` });
    const at = await peer.seen(clientMessageId);
    if ((await reply).type !== 'sent') throw new Error('The raw baseline send was refused');
    if (i >= WARMUP) results.push(Number(at - t0) / 1e6);
    await sleep(rng.int(5, 15));
  }
  return results;
}

interface Peer {
  call(message: Record<string, unknown>): Promise<void>;
  seen(id: string): Promise<bigint>;
  stop(): void;
}

function startPeer(): Peer {
  const spawned: Spawned = spawnTs(join('test', 'bench', 'lib', 'delivery-peer.ts'), [], { ipc: true });
  const seenWaiters = new Map<string, (at: bigint) => void>();
  let ready: { resolve(): void; reject(error: Error): void } | null = null;
  spawned.child.on('message', (message: { type: string; id?: string; at?: string; error?: string }) => {
    if (message.type === 'ready') ready?.resolve();
    if (message.type === 'failed') ready?.reject(new Error(message.error));
    if (message.type === 'seen' && message.id && message.at) {
      seenWaiters.get(message.id)?.(BigInt(message.at));
      seenWaiters.delete(message.id);
    }
  });
  void spawned.exited.then((code) => {
    const error = new Error(`delivery-peer exited (${code}):\n${spawned.output().slice(-3000)}`);
    ready?.reject(error);
    for (const id of seenWaiters.keys()) console.error(`  [${BENCH}] still waiting for ${id}: ${error.message}`);
  });
  return {
    call: (message) =>
      new Promise<void>((resolve, reject) => {
        ready = { resolve, reject };
        spawned.child.send(message);
      }),
    seen: (id) =>
      new Promise<bigint>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`B never saw ${id}`)), 15_000);
        seenWaiters.set(id, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
        spawned.child.send({ type: 'expect', id });
      }),
    stop: () => {
      if (spawned.child.connected) spawned.child.send({ type: 'stop' });
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
