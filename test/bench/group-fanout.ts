/**
 * Fan-out of one message to a 1,000-member group (the most a group may have), on the server side:
 * a raw `ws` member sends a `send_envelope` frame (random bytes the size of a short message's
 * seal, lib/raw-envelopes.ts: the server cannot tell them from one); timed until the last of the
 * other 999 members' sockets (raw `ws` clients in their own process, lib/socket-holder.ts) has
 * received the `event` push, and until the first. The sender's own socket gets the `sent` reply,
 * not a push, so 999 receive it. Times are process.hrtime (CLOCK_MONOTONIC, shared by processes on
 * Linux): taken here just before the frame is written, and in the holder when each socket's frame
 * arrives (before JSON.parse).
 *
 * Baseline, same run, same server, same 1,000 connections: the sender's envelope in its direct
 * conversation with one of those members, until that member's socket has the push.
 * One send at a time (the next after every receiver has it and the reply came, plus 5–15 ms).
 */
import { join } from 'node:path';
import { latencyRow, rawSamples, startSocketHolder, WARMUP } from './lib/delivery-kit.js';
import { startServerProcess, tempDir } from './lib/proc.js';
import { RawClient } from './lib/raw-client.js';
import { sealedText } from './lib/raw-envelopes.js';
import { Rng } from './lib/random.js';
import { log, runBench, scaled, type Row } from './lib/report.js';
import { seedInChild, type SeedSpec } from './lib/seed.js';
import { round, roundSummary, summarise } from './lib/stats.js';

const BENCH = 'group-fanout';
const FULL_GROUP = 1_000;
const FULL_SAMPLES = 300;

runBench(BENCH, async ({ scale }) => {
  const groupSize = scaled(FULL_GROUP, scale, 20);
  const receivers = groupSize - 1;
  const samples = scaled(FULL_SAMPLES, scale, 60);
  const work = tempDir(BENCH);
  const dataDir = join(work, 'server');
  // Users: 0 = the sender (here); 1… the other members (in the holder); 0 and 1 also share a direct conversation.
  const spec: SeedSpec = {
    users: groupSize,
    conversations: [[0, 1]],
    groups: [{ name: `Bench group of ${groupSize}`, members: Array.from({ length: groupSize }, (_, i) => i) }],
  };
  log(BENCH, `seeding ${spec.users} users, a group of ${groupSize}`);
  const manifest = await seedInChild(dataDir, spec, work);
  const sender = manifest.users[0];
  const direct = manifest.conversations[0];
  const group = manifest.groups?.[0];
  if (!sender || !direct || !group) throw new Error('Seeding produced too few users');
  if (group.members.length !== groupSize) throw new Error(`The group has ${group.members.length} members, not ${groupSize}`);
  const server = await startServerProcess(dataDir);

  const s = await RawClient.connect(server.url, sender.token);
  log(BENCH, `opening ${receivers} member sockets`);
  const holder = await startSocketHolder(
    BENCH,
    server.url,
    manifest.users.slice(1).map((u) => u.token),
  );
  // Each connection hears every other member's presence and tells them its own: ~groupSize² pushes.
  const settled = await holder.settle();
  log(BENCH, `${holder.count + 1} connections; presence settled after ${settled.frames} frames in ${settled.ms} ms`);

  const rng = new Rng(13);
  log(BENCH, `direct: ${WARMUP} warm-up + ${samples} sends`);
  const directTimes = await rawSamples(s, direct.id, samples, rng, (id) => holder.arrived(id, 1));
  log(BENCH, `group of ${groupSize}: ${WARMUP} warm-up + ${samples} sends`);
  const cpuBefore = server.cpuMs();
  const groupTimes = await rawSamples(s, group.id, samples, rng, (id) => holder.arrived(id, receivers));
  const cpuAfter = server.cpuMs();
  const serverMemory = server.memory();

  s.close();
  await holder.stop();
  await server.stop();

  const directSummary = roundSummary(summarise(directTimes.last));
  const last = roundSummary(summarise(groupTimes.last));
  const first = roundSummary(summarise(groupTimes.first));
  const spread = roundSummary(summarise(groupTimes.last.map((t, i) => t - (groupTimes.first[i] ?? t))));
  // What serialising the push once per connection costs (Connection.push stringifies each time).
  const frame = {
    type: 'event',
    event: {
      kind: 'envelope',
      conversationId: group.id,
      seq: 1_000,
      senderId: sender.id,
      senderDevice: 1,
      clientId: rng.uuid(),
      ciphertext: sealedText(),
      attachments: [],
      deleted: false,
      sentAt: Date.now(),
      senderRole: 'owner',
    },
  };
  const stringifyStart = performance.now();
  for (let i = 0; i < receivers; i += 1) JSON.stringify(frame);
  const stringifyMs = round(performance.now() - stringifyStart, 2);
  const cpuPerSend = cpuBefore !== null && cpuAfter !== null ? round((cpuAfter - cpuBefore) / (WARMUP + samples), 2) : null;
  const baseline = (which: 'p50' | 'p99') => ({ name: `direct send → push ${which}`, value: directSummary[which] });
  const rows: Row[] = [
    latencyRow('group-fanout.last.p50', `Fan-out to ${receivers} members: last socket, p50`, last.p50, baseline('p50')),
    latencyRow('group-fanout.last.p99', `Fan-out to ${receivers} members: last socket, p99`, last.p99, baseline('p99')),
    latencyRow('group-fanout.first.p50', `Fan-out to ${receivers} members: first socket, p50`, first.p50, baseline('p50')),
  ];
  return {
    sizes: { groupSize, receivers, connections: holder.count + 1, samples, warmup: WARMUP },
    rows,
    details: {
      direct: directSummary,
      group: { last, first, spread },
      memberSocketsOpenMs: holder.openMs,
      presenceSettle: settled,
      serverCpuMsPerGroupSend: cpuPerSend,
      stringifyPerFanoutMs: stringifyMs,
      serverMemoryMiB: serverMemory,
    },
    findings: [
      `One message to a ${groupSize}-member group reaches the last of ${receivers} sockets in ${last.p50} ms at p50 (p99 ${last.p99}, max ${last.max}), ` +
        `the first in ${first.p50} ms; a direct send → push in the same run takes ${directSummary.p50} ms (p99 ${directSummary.p99}).`,
      `The pushes spread over ${spread.p50} ms at p50 (p99 ${spread.p99}): the server serialises the event once per connection (JSON.stringify in ` +
        `Connection.push) and writes the sockets one after another; the holder reads them one after another on the other core. ` +
        `Server CPU per group send: ${cpuPerSend ?? 'n/a'} ms (10 ms clock ticks, averaged over ${WARMUP + samples} sends); ` +
        `${receivers} JSON.stringify calls of such a frame take ${stringifyMs} ms here, the part one serialisation per fan-out would save.`,
      `Setting up: ${holder.count + 1} connections opened in ${holder.openMs} ms; presence then pushed ${settled.frames} frames to the members ` +
        `(every member's arrival told to every other), quiet after ${settled.ms} ms.`,
    ],
  };
});
