/**
 * What the delivery benchmarks share (delivery.ts, group-delivery.ts, group-fanout.ts): B's core in
 * its own process (lib/delivery-peer.ts), many raw sockets in another (lib/socket-holder.ts), the
 * timed loops (a core send on A until B has it; a raw envelope until the push arrives) and the rows.
 * Every time is process.hrtime (CLOCK_MONOTONIC, shared by all processes on Linux), so a time taken
 * in one process and one taken in another can be subtracted.
 */
import { join } from 'node:path';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { openClientCore } from '../../../sync/client/client-core.js';
import { MirrorProbe, prepareProfile } from './client-profile.js';
import { CLIENT_CORE_NODE_ARG, spawnTs, type Spawned } from './proc.js';
import type { RawClient } from './raw-client.js';
import { RawEnvelopes, sealedText } from './raw-envelopes.js';
import type { Rng } from './random.js';
import { row, type Row, type Target } from './report.js';
import type { SeededUser, SeedManifest, TrafficSpec } from './seed.js';
import type { HandedSenderKey } from './sender-keys.js';
import { roundSummary, sleep, summarise, type Summary } from './stats.js';
import { instrumentSqlStatements } from './instrument.js';
import { clearStamps, stamps as senderStamps, stampSender, STAMPS_ON } from './delivery-stamps.js';

stampSender();
/** With DELIVERY_STAMPS=1: B's stage stamps by message id. */
const peerStamps = new Map<string, Record<string, string>>();

/** Sends before the timed ones in every loop. */
export const WARMUP = 30;

/** Events already in the timed direct conversation (seed index 0) before the sends, as people's history would be. */
export const HISTORY = 1_000;

/**
 * The seed's traffic for that history: messages with a few edits, reactions and replies, sealed
 * for B (user 1), whose device opens it with the keys the manifest hands it (historyKeys), as its
 * device inbox would have brought them. A seals as device 1, the device its core runs as, so A's
 * core holds it as its own and has nothing to open. Unsealed bytes would wait unopened on B and
 * ask A to send them again during the timed part.
 */
export const HISTORY_TRAFFIC: TrafficSpec = {
  events: HISTORY,
  conversations: [0],
  weights: [1],
  editShare: 0.05,
  reactionShare: 0.05,
  deleteShare: 0,
  replyShare: 0.05,
  sealedFor: 1,
};

/** The sender keys B holds to open the seeded history (HISTORY_TRAFFIC). */
export function historyKeys(manifest: SeedManifest): readonly HandedSenderKey[] {
  if (!manifest.sealed) throw new Error('The seed carries no sender keys: its history was not sealed');
  return manifest.sealed.senderKeys;
}

// -- B, the receiving device ------------------------------------------------------------------

export interface Peer {
  /** Opens B's core and Y's raw socket (when given); resolves once B is online and caught up on `conversations`. */
  init(message: {
    profileDir: string;
    mirrorFile: string;
    serverUrl: string;
    conversations: Array<{ id: string; expectedSeq: number }>;
    rawToken?: string;
  }): Promise<void>;
  /** When message `id` was in B's mirror (core) or arrived at Y's socket (raw). */
  seen(id: string, timeoutMs?: number): Promise<bigint>;
  stop(): void;
}

export function startPeer(bench: string): Peer {
  const spawned: Spawned = spawnTs(join('test', 'bench', 'lib', 'delivery-peer.ts'), [], {
    ipc: true,
    nodeArgs: [CLIENT_CORE_NODE_ARG],
  });
  const seenWaiters = new Map<string, (at: bigint) => void>();
  let ready: { resolve(): void; reject(error: Error): void } | null = null;
  spawned.child.on(
    'message',
    (message: { type: string; id?: string; at?: string; error?: string; stamps?: Record<string, string> }) => {
      if (message.stamps && message.id) peerStamps.set(message.id, message.stamps);
      if (message.type === 'ready') ready?.resolve();
      if (message.type === 'failed') ready?.reject(new Error(message.error));
      if (message.type === 'seen' && message.id && message.at) {
        seenWaiters.get(message.id)?.(BigInt(message.at));
        seenWaiters.delete(message.id);
      }
    },
  );
  void spawned.exited.then((code) => {
    const error = new Error(`delivery-peer exited (${code}):\n${spawned.output().slice(-3000)}`);
    ready?.reject(error);
    for (const id of seenWaiters.keys()) console.error(`  [${bench}] still waiting for ${id}: ${error.message}`);
  });
  return {
    init: (message) =>
      new Promise<void>((resolve, reject) => {
        ready = { resolve, reject };
        spawned.child.send({ type: 'init', ...message });
      }),
    seen: (id, timeoutMs = 15_000) =>
      new Promise<bigint>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`B never saw ${id}`)), timeoutMs);
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

// -- many raw sockets in their own process ----------------------------------------------------

export interface Arrival {
  /** Sockets that received it. */
  n: number;
  first: bigint;
  last: bigint;
}

export interface SocketHolder {
  /** Sockets opened. */
  count: number;
  /** How long opening them took. */
  openMs: number;
  /** Resolves once no frame reached any of the sockets for `quietMs` (presence fan-out over). */
  settle(quietMs?: number): Promise<{ frames: number; ms: number }>;
  /** Resolves once `count` of the sockets have received the push of envelope `id`. */
  arrived(id: string, count: number, timeoutMs?: number): Promise<Arrival>;
  /** Socket `index` sends an envelope (client id `id`); `at` is taken just before the frame is written, `replyAt` when `sent` came back. */
  send(index: number, conversationId: string, id: string): Promise<{ at: bigint; replyAt: bigint }>;
  stop(): Promise<void>;
}

/** Starts lib/socket-holder.ts and opens one authenticated socket per token there. */
export async function startSocketHolder(bench: string, serverUrl: string, tokens: string[]): Promise<SocketHolder> {
  const holder = spawnTs(join('test', 'bench', 'lib', 'socket-holder.ts'), [], { ipc: true });
  const waiters = new Map<string, { resolve(message: HolderMessage): void; reject(error: Error): void }>();
  const wait = (key: string, timeoutMs: number) =>
    new Promise<HolderMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(key);
        reject(new Error(`[${bench}] socket holder: no ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.set(key, {
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  const settle = (key: string, message: HolderMessage) => {
    const waiter = waiters.get(key);
    waiters.delete(key);
    waiter?.resolve(message);
  };
  const failAll = (error: Error) => {
    for (const waiter of waiters.values()) waiter.reject(error);
    waiters.clear();
  };
  holder.child.on('message', (message: HolderMessage) => {
    switch (message.type) {
      case 'ready':
        return settle('ready', message);
      case 'settled':
        return settle('settled', message);
      case 'arrived':
        return settle(`arrived ${message.id}`, message);
      case 'sent':
        return settle(`sent ${message.id}`, message);
      case 'failed':
        return failAll(new Error(`[${bench}] socket holder: ${message.error}`));
    }
  });
  let stopping = false;
  void holder.exited.then((code) => {
    if (!stopping) failAll(new Error(`[${bench}] socket holder exited (${code}): ${holder.output().slice(-3000)}`));
  });
  const ready = wait('ready', 10 * 60_000);
  holder.child.send({ type: 'open', serverUrl, tokens });
  const opened = (await ready) as Extract<HolderMessage, { type: 'ready' }>;
  return {
    count: opened.count,
    openMs: opened.ms,
    settle: async (quietMs = 500) => {
      const done = wait('settled', 10 * 60_000);
      holder.child.send({ type: 'settle', quietMs });
      const settled = (await done) as Extract<HolderMessage, { type: 'settled' }>;
      return { frames: settled.frames, ms: settled.ms };
    },
    arrived: async (id, count, timeoutMs = 15_000) => {
      const done = wait(`arrived ${id}`, timeoutMs);
      holder.child.send({ type: 'expect', id, count });
      const arrival = (await done) as Extract<HolderMessage, { type: 'arrived' }>;
      return { n: arrival.n, first: BigInt(arrival.first), last: BigInt(arrival.last) };
    },
    send: async (index, conversationId, id) => {
      const done = wait(`sent ${id}`, 15_000);
      holder.child.send({ type: 'send', index, conversationId, id });
      const sent = (await done) as Extract<HolderMessage, { type: 'sent' }>;
      return { at: BigInt(sent.at), replyAt: BigInt(sent.replyAt) };
    },
    stop: async () => {
      stopping = true;
      if (holder.child.connected) holder.child.send({ type: 'stop' });
      await Promise.race([holder.exited, sleep(3_000)]);
    },
  };
}

type HolderMessage =
  | { type: 'ready'; count: number; ms: number }
  | { type: 'settled'; frames: number; ms: number }
  | { type: 'arrived'; id: string; n: number; first: string; last: string }
  | { type: 'sent'; id: string; at: string; replyAt: string }
  | { type: 'failed'; error: string };

// -- the timed loops --------------------------------------------------------------------------

/** Milliseconds from `t0` to `at` (both process.hrtime.bigint()). */
export function msSince(t0: bigint, at: bigint): number {
  return Number(at - t0) / 1e6;
}

/**
 * One core send at a time: sendMessage on A → `delivered(id)` says when it was in the receivers'
 * hands (as hrtime values; the first and the last receiver). The next goes after A's outbox is
 * empty, plus 5–15 ms. Returns ms per timed send, to the first and to the last receiver.
 */
export async function coreSamples(
  aCore: ClientCore,
  aProbe: MirrorProbe,
  conversationId: string,
  count: number,
  rng: Rng,
  delivered: (id: string) => Promise<{ first: bigint; last: bigint }>,
): Promise<{ first: number[]; last: number[] }> {
  const outbox = aProbe.prepare('SELECT COUNT(*) AS n FROM outbox');
  const first: number[] = [];
  const last: number[] = [];
  const stages = new Map<string, number[]>();
  const sql = process.env.DELIVERY_SQL === '1' ? instrumentSqlStatements() : null;
  for (let i = 0; i < WARMUP + count; i += 1) {
    clearStamps();
    const t0 = process.hrtime.bigint();
    const view = await aCore.sendMessage({ conversationId, text: `latency probe ${i}` });
    const returned = process.hrtime.bigint();
    // Taken now: the acknowledgement's recording (later) runs the same stages again.
    const sender = STAMPS_ON ? { ...senderStamps } : {};
    const at = await delivered(view.id);
    if (i >= WARMUP) {
      first.push(msSince(t0, at.first));
      last.push(msSince(t0, at.last));
      if (STAMPS_ON) noteStages(stages, sender, t0, returned, at.last, peerStamps.get(view.id));
    }
    await until(() => (outbox.get() as { n: number }).n === 0, 10_000, 'A acknowledged', 1);
    await sleep(rng.int(5, 15));
  }
  if (sql) {
    for (const s of sql.results().slice(0, 25))
      console.error(`  [sql] ${s.calls} × ${((s.ms / s.calls) * 1000).toFixed(1)} µs  ${s.sql.slice(0, 150)}`);
    sql.restore();
  }
  if (STAMPS_ON) {
    for (const [stage, values] of stages) {
      const s = roundSummary(summarise(values));
      console.error(`  [stamps] ${stage.padEnd(28)} p50 ${s.p50}  p95 ${s.p95}  p99 ${s.p99}  max ${s.max}`);
    }
  }
  return { first, last };
}

/** Splits one core delivery into stages (DELIVERY_STAMPS=1), in ms. */
function noteStages(
  stages: Map<string, number[]>,
  a: Record<string, bigint>,
  t0: bigint,
  returned: bigint,
  emitted: bigint,
  peer: Record<string, string> | undefined,
): void {
  const b = (key: string) => (peer?.[key] !== undefined ? BigInt(peer[key]) : undefined);
  const points: Array<[string, bigint | undefined]> = [
    ['t0', t0],
    ['a.compose', a['a.compose']],
    ['a.sealing', a['a.sealing']],
    ['a.enqueue', a['a.enqueue']],
    ['a.enqueued', a['a.enqueued']],
    ['a.due', a['a.due']],
    ['a.committed', a['a.committed']],
    ['a.requested', a['a.requested']],
    ['a.written', a['a.written']],
    ['b.received', b('b.received')],
    ['b.validated', b('b.validated')],
    ['b.applying', b('b.applying')],
    ['b.applied', b('b.applied')],
    ['b.emitted', emitted],
  ];
  for (let i = 1; i < points.length; i += 1) {
    const [from, start] = points[i - 1]!;
    const [to, end] = points[i]!;
    if (start === undefined || end === undefined) continue;
    const key = `${from} → ${to}`;
    stages.set(key, [...(stages.get(key) ?? []), msSince(start, end)]);
  }
  const key = 'a.written → sendMessage returned';
  if (a['a.written'] !== undefined) stages.set(key, [...(stages.get(key) ?? []), msSince(a['a.written'], returned)]);
  const total = 'total';
  stages.set(total, [...(stages.get(total) ?? []), msSince(t0, emitted)]);
}

/**
 * One raw envelope at a time from X, of a short message's sealed size (lib/raw-envelopes.ts);
 * `delivered(id)` says when the push of the envelope `id` reached the receiver(s).
 */
export async function rawSamples(
  x: RawClient,
  conversationId: string,
  count: number,
  rng: Rng,
  delivered: (id: string) => Promise<{ first: bigint; last: bigint }>,
): Promise<{ first: number[]; last: number[] }> {
  const first: number[] = [];
  const last: number[] = [];
  const envelopes = new RawEnvelopes(x);
  await envelopes.learn(conversationId);
  for (let i = 0; i < WARMUP + count; i += 1) {
    const clientId = rng.uuid();
    const ciphertext = sealedText();
    const t0 = process.hrtime.bigint();
    const reply = envelopes.send(conversationId, clientId, ciphertext);
    const at = await delivered(clientId);
    const answer = await reply;
    if (answer.type !== 'sent') throw new Error(`The raw baseline envelope was refused: ${JSON.stringify(answer)}`);
    if (i >= WARMUP) {
      first.push(msSince(t0, at.first));
      last.push(msSince(t0, at.last));
    }
    await sleep(rng.int(5, 15));
  }
  return { first, last };
}

/** B's moment only (one receiver: first = last). */
export function seenBy(peer: Peer): (id: string) => Promise<{ first: bigint; last: bigint }> {
  return async (id) => {
    const at = await peer.seen(id);
    return { first: at, last: at };
  };
}

/**
 * The direct-conversation figure: A's core → B's mirror, then the raw floor X → Y's socket, each
 * `samples` sends one at a time (delivery.ts at 4 and 1,000 connections; the group benchmarks
 * measure it beside their group figure, on the same server under the same connections).
 */
export async function measureDirect(input: {
  aCore: ClientCore;
  aProbe: MirrorProbe;
  peer: Peer;
  x: RawClient;
  abConversationId: string;
  xyConversationId: string;
  samples: number;
  rng: Rng;
}): Promise<{ core: Summary; raw: Summary }> {
  const seen = seenBy(input.peer);
  const core = await coreSamples(input.aCore, input.aProbe, input.abConversationId, input.samples, input.rng, seen);
  const raw = await rawSamples(input.x, input.xyConversationId, input.samples, input.rng, seen);
  return { core: roundSummary(summarise(core.last)), raw: roundSummary(summarise(raw.last)) };
}

export function latencyRow(
  key: string,
  name: string,
  value: number,
  baseline: { name: string; value: number },
  target?: Target,
  note?: string,
): Row {
  return row({
    key,
    name,
    value,
    unit: 'ms',
    baseline: { name: baseline.name, value: baseline.value, unit: 'ms' },
    ratio: baseline.value > 0 ? Math.round((value / baseline.value) * 100) / 100 : 0,
    ...(target ? { target } : {}),
    ...(note ? { note } : {}),
  });
}

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// -- the two devices --------------------------------------------------------------------------

/** A conversation and the seq a device must have applied before the timed part starts. */
export interface Expected {
  id: string;
  lastSeq: number;
}

/** B: its own profile under `work`, holding `senderKeys` (historyKeys), its core and Y's raw socket in their own process. */
export async function startDeviceB(
  bench: string,
  work: string,
  serverUrl: string,
  b: SeededUser,
  conversations: Expected[],
  yToken: string,
  senderKeys: readonly HandedSenderKey[],
): Promise<Peer> {
  const profileDir = join(work, 'b');
  const mirrorFile = await prepareProfile(profileDir, serverUrl, b, [], undefined, senderKeys);
  const peer = startPeer(bench);
  await peer.init({
    profileDir,
    mirrorFile,
    serverUrl,
    conversations: conversations.map((c) => ({ id: c.id, expectedSeq: c.lastSeq })),
    rawToken: yToken,
  });
  // Caught up is not opened: the history must be there to read, none of it waiting for a key.
  const probe = new MirrorProbe(mirrorFile);
  try {
    const waiting = probe.count('SELECT COUNT(*) FROM envelopes_waiting');
    if (waiting > 0) throw new Error(`B caught up with ${waiting} envelopes of the history it could not open`);
  } finally {
    probe.close();
  }
  return peer;
}

/**
 * A: its own profile under `work`, its core in this process, online and caught up on `conversations`.
 * It holds the keys of the others' part of the seeded history (`senderKeys`, historyKeys), as its
 * device inbox would have brought them: without them it would ask their authors to send each of
 * those envelopes again, and the answers' traffic would run through the timed sends.
 */
export async function openDeviceA(
  work: string,
  serverUrl: string,
  a: SeededUser,
  conversations: Expected[],
  senderKeys: readonly HandedSenderKey[] = [],
): Promise<{ core: ClientCore; probe: MirrorProbe }> {
  const profileDir = join(work, 'a');
  const others = senderKeys.filter((key) => key.senderId !== a.id);
  const mirrorFile = await prepareProfile(profileDir, serverUrl, a, [], undefined, others);
  const core = await openClientCore({ profileDir, defaultServerUrl: serverUrl });
  const probe = new MirrorProbe(mirrorFile);
  const expected = new Map(conversations.map((c) => [c.id, c.lastSeq]));
  await until(
    async () => probe.caughtUp(expected) && (await core.getConnectionState()) === 'online',
    60_000,
    'A online and caught up',
  );
  return { core, probe };
}

/**
 * Raw envelopes from socket `sender` of the holder, one at a time, each timed from just before its
 * frame is written to the push reaching the first and the last of `receivers` other sockets there.
 */
export async function holderSamples(
  holder: SocketHolder,
  sender: number,
  conversationId: string,
  receivers: number,
  count: number,
  rng: Rng,
): Promise<{ first: number[]; last: number[] }> {
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < WARMUP + count; i += 1) {
    const id = rng.uuid();
    const [sent, at] = await Promise.all([holder.send(sender, conversationId, id), holder.arrived(id, receivers)]);
    if (i >= WARMUP) {
      first.push(msSince(sent.at, at.first));
      last.push(msSince(sent.at, at.last));
    }
    await sleep(rng.int(5, 15));
  }
  return { first, last };
}
