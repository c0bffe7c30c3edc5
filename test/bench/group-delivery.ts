/**
 * Delivery to every member of a 100-member group, all online, beside the direct-conversation
 * delivery of the same run (same server, same connections, same moment).
 *
 * - A's core runs here and sends to the group; B's core runs in its own process (lib/delivery-peer.ts)
 *   and is a member; the other 98 members are raw `ws` sockets in a third process
 *   (lib/socket-holder.ts), each noting when the `event` push of the message's envelope arrived.
 *   Times are process.hrtime (CLOCK_MONOTONIC, shared by all processes on Linux): taken just before
 *   sendMessage on A, in B when its core emits `messages` and the row is in its mirror, and in the
 *   holder when each socket's frame arrives.
 * - "In every member's hands": B's mirror has the row and each of the 98 sockets has the push. The
 *   figure is the time until the LAST of the 99 had it, p50/p99; the time to the first is reported
 *   too. 98 full client cores do not fit on 2 cores beside the server: one real core stands for
 *   what a device does with the push (validate, open, apply, emit); the raw sockets for the
 *   fan-out. B joined the group last, and the server pushes in join order, so B's push is the
 *   fan-out's last and B's mirror time is what the last of 99 real devices would show.
 * - Baselines, in the same run: the direct-conversation delivery (A's core → B's mirror, as in
 *   delivery.ts, with the group's members connected), and the raw floors — a raw socket's envelope
 *   (random bytes the size of a short message's seal, lib/raw-envelopes.ts) into the group until
 *   the last of the other 97 raw sockets has the push (A's and B's cores receive it too and find
 *   nothing they can open, uncounted), and X → Y in a direct conversation.
 * One send at a time (the next after every receiver has it and A's outbox is empty, plus 5–15 ms).
 */
import { join } from 'node:path';
import {
  coreSamples,
  HISTORY,
  HISTORY_TRAFFIC,
  historyKeys,
  holderSamples,
  latencyRow,
  measureDirect,
  openDeviceA,
  startDeviceB,
  startSocketHolder,
  WARMUP,
} from './lib/delivery-kit.js';
import { startServerProcess, tempDir } from './lib/proc.js';
import { RawClient } from './lib/raw-client.js';
import { Rng } from './lib/random.js';
import { log, runBench, scaled, type Row } from './lib/report.js';
import { seedInChild, type SeedSpec } from './lib/seed.js';
import { round, roundSummary, summarise } from './lib/stats.js';

const BENCH = 'group-delivery';
const FULL_GROUP = 100;
const FULL_SAMPLES = 500;

runBench(BENCH, async ({ scale }) => {
  const groupSize = scaled(FULL_GROUP, scale, 10);
  const rawMembers = groupSize - 2;
  const samples = scaled(FULL_SAMPLES, scale, 60);
  const work = tempDir(BENCH);
  const dataDir = join(work, 'server');
  // Users: 0 = A, 1 = B (client cores); 2 = X, 3 = Y (raw, direct baseline); 4… raw group members.
  const spec: SeedSpec = {
    users: 4 + rawMembers,
    conversations: [
      [0, 1],
      [2, 3],
    ],
    // B joins last: the server pushes in join order, so the one real device is at the end of the
    // fan-out, where a group of real devices has its last one.
    groups: [{ name: `Bench group of ${groupSize}`, members: [0, ...Array.from({ length: rawMembers }, (_, i) => 4 + i), 1] }],
    traffic: HISTORY_TRAFFIC,
  };
  log(BENCH, `seeding ${spec.users} users, a group of ${groupSize}`);
  const manifest = await seedInChild(dataDir, spec, work);
  const [a, b, x, y] = manifest.users;
  const [abConversation, xyConversation] = manifest.conversations;
  const group = manifest.groups?.[0];
  if (!a || !b || !x || !y || !abConversation || !xyConversation || !group) throw new Error('Seeding produced too few users');
  if (group.members.length !== groupSize) throw new Error(`The group has ${group.members.length} members, not ${groupSize}`);
  const server = await startServerProcess(dataDir);

  const watched = [abConversation, group].map((c) => ({ id: c.id, lastSeq: c.lastSeq }));
  const peer = await startDeviceB(BENCH, work, server.url, b, watched, y.token, historyKeys(manifest));
  const { core: aCore, probe: aProbe } = await openDeviceA(work, server.url, a, watched, historyKeys(manifest));
  const xClient = await RawClient.connect(server.url, x.token);
  log(BENCH, `opening ${rawMembers} member sockets`);
  const holder = await startSocketHolder(
    BENCH,
    server.url,
    manifest.users.slice(4, 4 + rawMembers).map((u) => u.token),
  );
  const settled = await holder.settle();
  const connections = holder.count + 4;

  const rng = new Rng(11);
  log(BENCH, `direct, ${connections} connections: ${WARMUP} warm-up + ${samples} sends, core then raw`);
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

  log(BENCH, `group of ${groupSize}: ${WARMUP} warm-up + ${samples} sends from A's core`);
  /** Per send: when B's mirror had it, and the first and last raw member (ns), to say who was last. */
  const who: Array<{ b: bigint; rawFirst: bigint; rawLast: bigint }> = [];
  const groupCore = await coreSamples(aCore, aProbe, group.id, samples, rng, async (id) => {
    const [bAt, raw] = await Promise.all([peer.seen(id), holder.arrived(id, rawMembers)]);
    who.push({ b: bAt, rawFirst: raw.first, rawLast: raw.last });
    return { first: raw.first < bAt ? raw.first : bAt, last: raw.last > bAt ? raw.last : bAt };
  });
  log(BENCH, `group of ${groupSize}: ${WARMUP} warm-up + ${samples} raw sends from a member socket`);
  const serverCpuBefore = server.cpuMs();
  const groupRaw = await holderSamples(holder, 0, group.id, rawMembers - 1, samples, rng);
  const serverCpuAfter = server.cpuMs();
  const serverMemory = server.memory();

  peer.stop();
  xClient.close();
  await aCore.close();
  aProbe.close();
  await holder.stop();
  await server.stop();

  const core = { last: roundSummary(summarise(groupCore.last)), first: roundSummary(summarise(groupCore.first)) };
  const raw = { last: roundSummary(summarise(groupRaw.last)), first: roundSummary(summarise(groupRaw.first)) };
  const timed = who.slice(WARMUP);
  const bLast = timed.filter((t) => t.b >= t.rawLast).length;
  const bAfterRawLast = roundSummary(summarise(timed.map((t) => Number(t.b - t.rawLast) / 1e6)));
  const rawSpread = roundSummary(summarise(timed.map((t) => Number(t.rawLast - t.rawFirst) / 1e6)));
  const cpuPerRawSend =
    serverCpuBefore !== null && serverCpuAfter !== null
      ? round((serverCpuAfter - serverCpuBefore) / (WARMUP + samples), 2)
      : null;
  const others = groupSize - 1;
  const directBaseline = (which: 'p50' | 'p99') => ({ name: `direct A → B's mirror ${which}`, value: direct.core[which] });
  const rawBaseline = (which: 'p50' | 'p99') => ({ name: `raw ws direct ${which}`, value: direct.raw[which] });
  const rows: Row[] = [
    latencyRow(
      'group-delivery.last.p50',
      `Group of ${groupSize}: all ${others} others have it, p50`,
      core.last.p50,
      directBaseline('p50'),
    ),
    latencyRow(
      'group-delivery.last.p99',
      `Group of ${groupSize}: all ${others} others have it, p99`,
      core.last.p99,
      directBaseline('p99'),
    ),
    latencyRow(
      'group-delivery.first.p50',
      `Group of ${groupSize}: first member has it, p50`,
      core.first.p50,
      directBaseline('p50'),
    ),
    latencyRow(
      'group-delivery.first.p99',
      `Group of ${groupSize}: first member has it, p99`,
      core.first.p99,
      directBaseline('p99'),
    ),
    latencyRow(
      'group-delivery.raw-last.p50',
      `Group of ${groupSize}, raw ws floor: last of ${rawMembers - 1} sockets, p50`,
      raw.last.p50,
      rawBaseline('p50'),
    ),
    latencyRow(
      'group-delivery.raw-last.p99',
      `Group of ${groupSize}, raw ws floor: last of ${rawMembers - 1} sockets, p99`,
      raw.last.p99,
      rawBaseline('p99'),
    ),
  ];
  return {
    sizes: { groupSize, rawMembers, connections, samples, warmup: WARMUP, history: HISTORY },
    rows,
    details: {
      direct,
      groupCore: core,
      groupRaw: raw,
      bAfterLastRawMs: bAfterRawLast,
      rawSpreadMs: rawSpread,
      memberSocketsOpenMs: holder.openMs,
      presenceSettle: settled,
      serverCpuMsPerRawGroupSend: cpuPerRawSend,
      serverMemoryMiB: serverMemory,
    },
    findings: [
      `A's core → all ${others} other members of a ${groupSize}-member group: p50 ${core.last.p50} ms, p99 ${core.last.p99} ms ` +
        `(first member p50 ${core.first.p50} ms); the direct conversation in the same run: p50 ${direct.core.p50}, p99 ${direct.core.p99} ms ` +
        `(raw floor ${direct.raw.p50} / ${direct.raw.p99} ms), ${connections} connections.`,
      `B's core (the one real receiving device, last in the fan-out order) was the last to have it in ${bLast} of ${timed.length} sends; ` +
        `B's mirror had it ${bAfterRawLast.p50} ms after the last raw member at p50 (negative: before). ` +
        `The ${rawMembers} raw pushes spread over ${rawSpread.p50} ms at p50 (p99 ${rawSpread.p99}): the server writes them one socket after another, ` +
        `and the holder process reads them one after another.`,
      `Raw floor for the group: ${raw.last.p50} ms p50 to the last of ${rawMembers - 1} sockets vs ${direct.raw.p50} ms to one in a direct conversation; ` +
        `server CPU per group send ${cpuPerRawSend ?? 'n/a'} ms (10 ms clock ticks, averaged; includes the delivered receipts A's and B's cores send back).`,
    ],
  };
});
