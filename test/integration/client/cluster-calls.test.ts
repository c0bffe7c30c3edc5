/**
 * A call between people on two server nodes of one PostgreSQL database (issue 32's Proof): Alice's
 * core on node 1, Bob's laptop on node 2 and his phone on node 1. The ring reaches both of Bob's
 * devices (one through the cluster bus), the answer stops the other, the two peer connections'
 * descriptions and candidates (as large as a browser's real ones) reach the other side in the
 * order they were sent, and hanging up ends it on both. Nothing either side said is left in any
 * table of the database, the nodes' bus's included: the ephemeral frames are stored nowhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callOf, negotiationsAt } from '../../support/calls.js';
import type { CallNegotiation } from '../../../sync/common/call-negotiation.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { PostgresClusterBus } from '../../../sync/server/cluster/pg-cluster-bus.js';
import { PostgresNodeDirectory } from '../../../sync/server/cluster/pg-node-directory.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { createClientHarness, eventually } from '../../support/client-harness.js';
import { converse, person } from '../../support/people.js';
import { openPostgresSnapshotReader } from '../../support/pg-snapshot.js';
import { freshDatabase } from '../../support/postgres.js';
import { createServerHarness, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
const stores: PostgresServerStore[] = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
  for (const store of stores.splice(0)) await store.close();
  for (const drop of drops.splice(0)) await drop();
});

/** No node dies here; both share this process, so a stall must not make one reap the other. */
const TIMING = { heartbeatMs: 200, deadAfterMs: 10_000 };
const quiet = () => undefined;

async function startNode(url: string, nodeId: string, dataDir?: string): Promise<TestServer & { store: PostgresServerStore }> {
  const store = await openPostgresServerStore(url);
  stores.push(store);
  const runtime = realRuntime();
  const logger = { error: quiet, warn: quiet, info: quiet, debug: quiet };
  const bus = new PostgresClusterBus({ url, pool: store.pool, nodeId, runtime, logger });
  const server = await servers.startServer({
    store,
    runtime,
    ...(dataDir ? { dataDir } : {}),
    cluster: { nodeId, bus, directory: new PostgresNodeDirectory(store.pool), timing: TIMING },
  });
  return Object.assign(server, { store });
}

/**
 * A session description about the size of Chromium's for audio and video (its codecs, their
 * parameters and feedback): sealed for two devices it is several times PostgreSQL's 8,000-byte
 * limit on a notification.
 */
function browserSizedSdp(type: 'offer' | 'answer', marker: string): CallNegotiation {
  const lines = ['v=0', `o=- ${marker} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0', 'a=group:BUNDLE 0 1'];
  for (let pt = 96; pt < 96 + 60; pt += 1) {
    lines.push(`a=rtpmap:${pt} VP8/90000`, `a=rtcp-fb:${pt} goog-remb`, `a=rtcp-fb:${pt} transport-cc`, `a=fmtp:${pt} apt=${pt}`);
  }
  return { kind: 'description', type, sdp: `${lines.join('\r\n')}\r\n` };
}

async function devicesWithKeys(store: PostgresServerStore, userId: string, count: number): Promise<void> {
  await eventually(
    async () =>
      (await store.pool.query<{ n: string }>('SELECT count(*) AS n FROM device_keys WHERE user_id = $1', [userId])).rows[0]!.n,
    (n) => Number(n) === count,
    `keys of ${count} devices published`,
  );
}

describe('a call across two PostgreSQL nodes', () => {
  it('rings Bob’s devices on both nodes, connects, carries the negotiation in order, hangs up on both, and stores none of it', async () => {
    const database = await freshDatabase();
    drops.push(() => database.drop());
    const one = await startNode(database.url, 'node-1');
    const two = await startNode(database.url, 'node-2', one.dataDir);

    const { core: alice } = await person(clients, one, 'alice');
    const { core: bobLaptop } = await person(clients, two, 'bob');
    const { core: bobPhone } = await person(clients, one, 'bob', { existing: true, linkedFrom: bobLaptop });
    const bobId = (await bobLaptop.getSession())!.user.id;
    await devicesWithKeys(one.store, bobId, 2);
    const conversationId = await converse(alice, bobLaptop, 'bob');
    await eventually(
      () => bobPhone.listConversations({ folder: 'all' }),
      (list) => list.some((c) => c.id === conversationId && !c.request),
      'the conversation, accepted, on the phone too',
      20_000,
    );

    const reader = await openPostgresSnapshotReader(database.url);
    try {
      const offer = browserSizedSdp('offer', 'bob-offer-4242');
      const answer = browserSizedSdp('answer', 'alice-answer-4343');
      const candidates: CallNegotiation = {
        kind: 'candidates',
        candidates: [{ candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 }],
      };

      const { callId } = await alice.startCall({ conversationId, media: 'video' });
      for (const device of [bobLaptop, bobPhone]) {
        const ringing = await callOf(device, { callId, phase: 'ringing' }, 'ringing on each of Bob’s devices');
        expect(ringing).toMatchObject({ conversationId, direction: 'incoming', media: 'video' });
        expect(ringing?.peer.displayName).toBe('Alice');
      }

      // Bob answers on the laptop (node 2): Alice (node 1) hears it, the phone (node 1) stops.
      await bobLaptop.acceptCall({ callId, media: 'video' });
      await callOf(alice, { phase: 'connecting', negotiates: 'answer' }, 'Alice hears the call was answered');
      await callOf(bobPhone, { phase: 'ended', ended: { reason: 'answered_elsewhere', durationMs: null } }, 'the phone stops');

      await bobLaptop.sendCallNegotiation({ callId, negotiation: offer });
      await bobLaptop.sendCallNegotiation({ callId, negotiation: candidates });
      await eventually(
        async () => negotiationsAt(alice),
        (seen) => seen.length === 2,
        'the offer and candidates at Alice’s',
        20_000,
      );
      expect(negotiationsAt(alice)).toEqual([offer, candidates]);
      await alice.sendCallNegotiation({ callId, negotiation: answer });
      await alice.sendCallNegotiation({ callId, negotiation: candidates });
      await eventually(
        async () => negotiationsAt(bobLaptop),
        (seen) => seen.length === 2,
        'the answer and candidates at Bob’s laptop',
        20_000,
      );
      expect(negotiationsAt(bobLaptop)).toEqual([answer, candidates]);

      await bobLaptop.reportCallMedia({ callId, status: 'connected' });
      await alice.reportCallMedia({ callId, status: 'connected' });
      expect(await alice.getCall()).toMatchObject({ phase: 'connected', connectedAt: expect.any(Number) as number });
      await callOf(bobLaptop, { phase: 'connected' }, 'connected at Bob’s');

      await bobLaptop.hangUpCall({ callId });
      expect((await bobLaptop.getCall())?.ended?.reason).toBe('completed');
      await callOf(alice, { phase: 'ended' }, 'the call ends at Alice’s');
      expect((await alice.getCall())?.ended?.reason).toBe('completed');
      expect(negotiationsAt(bobPhone)).toEqual([]);

      // Neither the descriptions nor their envelopes were written anywhere (the bus's spill table included).
      const snapshot = await reader.snapshot();
      expect(snapshot.cluster_payloads ?? []).toEqual([]);
      expect(JSON.stringify(snapshot)).not.toContain('ephemeral_push');
    } finally {
      await reader.close();
    }
  }, 90_000);
});
