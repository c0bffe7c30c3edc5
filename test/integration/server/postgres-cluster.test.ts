/**
 * Two server nodes on one PostgreSQL database, in this process: whatever reaches a person through
 * one node reaches their connections on the other (events read back from the database, pushes that
 * are stored nowhere as frames), presence is the union over nodes, and a node that stops
 * heartbeating stops counting. A listener that loses its connection: pg-cluster-bus.test.ts (the
 * node hears of a gap) and cluster-node.test.ts (its clients catch up).
 */
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { PostgresClusterBus } from '../../../sync/server/cluster/pg-cluster-bus.js';
import { PostgresNodeDirectory } from '../../../sync/server/cluster/pg-node-directory.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { RESYNC_CLOSE_CODE } from '../../../sync/server/sync-service.js';
import { freshDatabase } from '../../support/postgres.js';
import { ecKey, firstPublish } from '../../support/key-material.js';
import type { PresencePush } from '../../../sync/protocol/frames.js';
import {
  bothWrite,
  createGroup,
  createServerHarness,
  groupChange,
  logIn,
  presenceSettled,
  type TestServer,
} from '../../support/server-harness.js';

const h = createServerHarness();
const stores: PostgresServerStore[] = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h.cleanup();
  for (const store of stores.splice(0)) await store.close();
  for (const drop of drops.splice(0)) await drop();
});

/** Short enough for a test to see a node die; the real timing is CLUSTER_TIMING. */
const DYING_TIMING = { heartbeatMs: 200, deadAfterMs: 1_000 };
/**
 * For tests where no node dies. Both nodes share this process, so a stall of it (a busy machine)
 * delays both nodes' beats at once, and with DYING_TIMING one could reap the other when it resumes.
 */
const TEST_TIMING = { heartbeatMs: 200, deadAfterMs: 10_000 };

async function startNode(
  url: string,
  nodeId: string,
  dataDir?: string,
  timing = TEST_TIMING,
): Promise<TestServer & { store: PostgresServerStore }> {
  const store = await openPostgresServerStore(url);
  stores.push(store);
  const runtime = realRuntime();
  const logger = { error: () => undefined };
  const bus = new PostgresClusterBus({ url, pool: store.pool, nodeId, runtime, logger: completeQuietLogger(logger) });
  const server = await h.startServer({
    store,
    runtime,
    ...(dataDir ? { dataDir } : {}),
    cluster: { nodeId, bus, directory: new PostgresNodeDirectory(store.pool), timing },
  });
  return Object.assign(server, { store });
}

function completeQuietLogger(base: { error: () => void }) {
  return { ...base, warn: () => undefined, info: () => undefined, debug: () => undefined };
}

async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Two nodes that take a silent one for dead within a second; alice on node 1 sees bob, on node 2, online. */
async function aliceOnOneSeesBobOnTwo() {
  const database = await freshDatabase();
  drops.push(() => database.drop());
  const one = await startNode(database.url, 'node-1', undefined, DYING_TIMING);
  const two = await startNode(database.url, 'node-2', one.dataDir, DYING_TIMING);
  const alice = await h.createAccount(one);
  const bob = await h.createAccount(one);
  const aliceSocket = await h.connect(one, alice.token);
  const bobSocket = await h.connect(two, bob.token);
  const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
  await bobSocket.waitForPush('conversation_added');
  await bothWrite({ alice, bob, aliceSocket, bobSocket, conversation });
  await aliceSocket.waitForPush('presence', (push) => push.userId === bob.user.id && push.online);
  return { one, two, alice, bob, aliceSocket, bobSocket };
}

async function twoNodes() {
  const database = await freshDatabase();
  drops.push(() => database.drop());
  const one = await startNode(database.url, 'node-1');
  const two = await startNode(database.url, 'node-2', one.dataDir);
  return { url: database.url, one, two };
}

describe('two nodes on one PostgreSQL database', () => {
  it('an envelope, one deleting it, a long one, a receipt, typing and a new conversation reach a person connected to the other node', async () => {
    const { one, two } = await twoNodes();
    const alice = await h.createAccount(one);
    const bob = await h.createAccount(two);
    const aliceSocket = await h.connect(one, alice.token);
    const bobSocket = await h.connect(two, bob.token);
    const bobOnOne = await h.connect(one, bob.token);

    const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    await bobSocket.waitForPush('conversation_added', (push) => push.conversation.id === conversation.id);

    const sent = await aliceSocket.send(conversation.id, randomUUID(), 'across the cluster');
    const pushed = await bobSocket.waitForPush('event', (push) => push.event.seq === sent.seq);
    expect(pushed.event).toEqual(sent);
    // Bob's connection on Alice's node gets it straight from there, once.
    await bobOnOne.waitForPush('event', (push) => push.event.seq === sent.seq);

    const deletion = await aliceSocket.send(conversation.id, randomUUID(), '', { deletes: sent.clientId });
    expect((await bobSocket.waitForPush('event', (push) => push.event.seq === deletion.seq)).event).toEqual(deletion);
    // Too large to travel with its signal: the other node reads it back.
    const long = await aliceSocket.send(conversation.id, randomUUID(), 'x'.repeat(40_000));
    expect(long.ciphertext.length).toBeGreaterThan(50_000);
    expect((await bobSocket.waitForPush('event', (push) => push.event.seq === long.seq)).event).toEqual(long);

    await bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: deletion.seq }, 'ok');
    const watermark = await aliceSocket.waitForPush(
      'watermark',
      (push) => push.userId === bob.user.id && push.readSeq === deletion.seq,
    );
    expect(watermark.conversationId).toBe(conversation.id);

    // Typing is heard between people who have both written (presence-rules.ts).
    await bobSocket.send(conversation.id, randomUUID(), 'back across');
    await bobSocket.call({ type: 'typing', conversationId: conversation.id }, 'ok');
    const typing = await aliceSocket.waitForPush('typing', (push) => push.userId === bob.user.id);
    expect(typing.conversationId).toBe(conversation.id);

    // Each event once per connection: no echo of what a node published back to itself.
    const events = bobSocket.pushesOf('event').filter((push) => push.event.conversationId === conversation.id);
    expect(events.map((push) => push.event.seq)).toEqual([sent.seq, deletion.seq, long.seq]);
  });

  it('an envelope reaches a member on the other node: a small one with its signal, a large one read back', async () => {
    const { one, two } = await twoNodes();
    const alice = await h.createAccount(one);
    const bob = await h.createAccount(two);
    const aliceSocket = await h.connect(one, alice.token);
    const bobSocket = await h.connect(two, bob.token);
    const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    await bobSocket.waitForPush('conversation_added', (push) => push.conversation.id === conversation.id);

    for (const bytes of [64, 30_000]) {
      const devicesVersion = await devicesVersionOf(aliceSocket, conversation.id);
      const frame = { type: 'send_envelope', conversationId: conversation.id, clientId: randomUUID(), devicesVersion } as const;
      const { event } = await aliceSocket.call({ ...frame, ciphertext: randomBytes(bytes).toString('base64') }, 'sent');
      expect((await bobSocket.waitForPush('event', (push) => push.event.seq === event.seq)).event).toEqual(event);
    }
  });

  it('a call’s ephemeral envelopes reach devices on the other node, small or as large as a frame allows, and no table holds them', async () => {
    const { one, two } = await twoNodes();
    const alice = await h.createAccount(one);
    const bob = await h.createAccount(one);
    const aliceSocket = await h.connect(one, alice.token);
    await aliceSocket.call(firstPublish(ecKey(), { registrationId: 101 }), 'key_counts');
    const bobIdentity = ecKey();
    // Bob's desk (device 1) on node 2, his phone (device 2) on node 1.
    const bobDesk = await h.connect(two, bob.token);
    await bobDesk.call(firstPublish(bobIdentity, { registrationId: 201 }), 'key_counts');
    const phoneLogin = await logIn(one.httpUrl, bob.user.username, bob.password);
    const bobPhone = await h.connect(one, (phoneLogin.body as { token: string }).token);
    await bobPhone.call(firstPublish(bobIdentity, { registrationId: 202 }), 'key_counts');
    await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');

    const toBob = (chars: number) => [
      {
        userId: bob.user.id,
        deviceNumber: 1,
        registrationId: 201,
        kind: 'whisper' as const,
        ciphertext: randomBytes((chars * 3) / 4).toString('base64'),
      },
      {
        userId: bob.user.id,
        deviceNumber: 2,
        registrationId: 202,
        kind: 'whisper' as const,
        ciphertext: randomBytes((chars * 3) / 4).toString('base64'),
      },
    ];
    const sends = [toBob(200), toBob(24_000), toBob(400)];
    for (const envelopes of sends) await aliceSocket.call({ type: 'send_ephemeral', envelopes }, 'ephemeral_sent');
    for (const device of [bobDesk, bobPhone]) {
      await eventually(() => device.pushesOf('ephemeral_push').length === sends.length);
      expect(device.pushesOf('ephemeral_push').map((push) => push.envelopes.map((envelope) => envelope.ciphertext))).toEqual(
        sends.map((envelopes) => envelopes.map((envelope) => envelope.ciphertext)),
      );
    }
    expect((await one.store.pool.query('SELECT count(*)::int AS n FROM cluster_payloads')).rows).toEqual([{ n: 0 }]);
  });

  it('presence is the union over nodes: offline only when the last connection anywhere closes', async () => {
    const { one, two } = await twoNodes();
    const alice = await h.createAccount(one);
    const bob = await h.createAccount(one);
    const aliceSocket = await h.connect(one, alice.token);
    const bobOnOne = await h.connect(one, bob.token);
    const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    await bobOnOne.waitForPush('conversation_added');
    await bothWrite({ alice, bob, aliceSocket, bobSocket: bobOnOne, conversation });
    await aliceSocket.waitForPush('presence', (push) => push.userId === bob.user.id && push.online);
    // A late introduction would tell Alice he is online again, as if node 2 had announced him.
    await presenceSettled({ h, server: one, account: alice, socket: aliceSocket, contactId: bob.user.id });
    const bobOnline = () => aliceSocket.pushesOf('presence').filter((push) => push.userId === bob.user.id && push.online).length;
    const before = bobOnline();
    const bobOnTwo = await h.connect(two, bob.token);
    // Node 2 announces him too, after telling node 1 he is connected there (signals keep their order).
    await eventually(() => bobOnline() > before);

    await bobOnOne.close();
    // Still connected to node 2: nobody hears he went offline.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await aliceSocket.barrier();
    expect(aliceSocket.pushesOf('presence').filter((push) => push.userId === bob.user.id && !push.online)).toEqual([]);

    await bobOnTwo.close();
    await aliceSocket.waitForPush('presence', (push) => push.userId === bob.user.id && !push.online);
  });

  it('a node that stops heartbeating stops counting: its users go offline for the others', async () => {
    const { one, alice, bob, aliceSocket, bobSocket } = await aliceOnOneSeesBobOnTwo();

    // Node 2 freezes: its heartbeats stop, as if the process hung or died without a word.
    await freezeHeartbeats(one.store.pool, 'node-2');
    const bobAway = (push: PresencePush) => push.userId === bob.user.id && !push.online;
    // Node 1 takes node 2 for dead and closes its own connections, so that their clients catch up
    // what node 2 may have stored without telling. Alice hears bob is away on the socket she has if
    // that push comes first, else on reconnecting, as the app does after that close.
    const first = await Promise.race([
      aliceSocket.waitForPush('presence', bobAway, 5_000).then(() => 'heard' as const),
      aliceSocket.closed,
    ]);
    if (first !== 'heard') {
      expect(first.code).toBe(RESYNC_CLOSE_CODE);
      const again = await h.connect(one, alice.token);
      await again.waitForPush('presence', bobAway, 5_000);
    }
    // Frozen, not gone: his socket to node 2 is still open.
    await bobSocket.barrier();
  });

  it('a node whose every pooled connection is busy for longer than deadAfterMs still beats: nobody takes it for dead', async () => {
    const { two, bob, aliceSocket, bobSocket } = await aliceOnOneSeesBobOnTwo();

    // Node 2 is overloaded: everything it stores waits for a connection, as under a flood of messages.
    const busy = await Promise.all(Array.from({ length: two.store.pool.options.max ?? 10 }, () => two.store.pool.connect()));
    await new Promise((resolve) => setTimeout(resolve, 2 * DYING_TIMING.deadAfterMs));
    for (const connection of busy) connection.release();

    // Alive all along: node 1 kept alice's connection and never said bob went away.
    await aliceSocket.barrier();
    await bobSocket.barrier();
    expect(aliceSocket.pushesOf('presence').filter((push) => push.userId === bob.user.id && !push.online)).toEqual([]);
  });
});

describe('the cluster directory on PostgreSQL', () => {
  it('a heartbeat says when the node was not registered: its first, and its first after the others reaped it', async () => {
    const database = await freshDatabase();
    drops.push(() => database.drop());
    const store = await openPostgresServerStore(database.url);
    stores.push(store);
    const directory = new PostgresNodeDirectory(store.pool);
    expect(await directory.heartbeat('node-1', 1_000)).toBe(true);
    expect(await directory.heartbeat('node-1', 2_000)).toBe(false);
    await directory.setOnline('node-1', 'alice', true);
    // Late by more than deadAfterMs: another node reaps it, and alice with it.
    expect(await directory.reapDeadNodes(3_000)).toEqual(['alice']);
    expect(await directory.heartbeat('node-1', 4_000)).toBe(true);
    expect(await directory.heartbeat('node-1', 5_000)).toBe(false);
    expect(await directory.liveNodes(5_000)).toEqual(['node-1']);
    await directory.close();
  });
});

describe('presence privacy across two nodes', () => {
  it('presence begins when the second person writes on the other node, and "nobody" withdraws it there at once', async () => {
    const { one, two } = await twoNodes();
    const alice = await h.createAccount(one);
    const bob = await h.createAccount(two);
    const aliceSocket = await h.connect(one, alice.token);
    const bobSocket = await h.connect(two, bob.token);
    const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    await bobSocket.waitForPush('conversation_added');
    const sent = await aliceSocket.send(conversation.id, randomUUID(), 'hello?');
    await bobSocket.waitForPush('event', (push) => push.event.seq === sent.seq);
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(aliceSocket.pushesOf('presence')).toEqual([]);
    expect(bobSocket.pushesOf('presence')).toEqual([]);

    await bobSocket.send(conversation.id, randomUUID(), 'hi');
    await aliceSocket.waitForPush('presence', (push) => push.userId === bob.user.id && push.online);
    await bobSocket.waitForPush('presence', (push) => push.userId === alice.user.id && push.online);

    await bobSocket.call(
      { type: 'set_settings', settings: [{ setting: { kind: 'show_online', value: 'nobody' }, at: 1, by: 'device' }] },
      'settings',
    );
    await aliceSocket.waitForPush('presence', (push) => push.userId === bob.user.id && !push.online && push.lastSeenAt === null);
    // Bob's new connection, on alice's node: she hears nothing of it, and it hears nothing of her.
    const bobOnOne = await h.connect(one, bob.token);
    await bobSocket.close();
    await Promise.all([aliceSocket.barrier(), bobOnOne.barrier()]);
    // Nothing after the withdrawal. (Before it, bob's online may come twice: node one announces his
    // connection on node two whenever it learns of it, and under load that is after his first word.)
    const heard = aliceSocket.pushesOf('presence');
    const withdrawn = heard.findIndex((push) => push.userId === bob.user.id && !push.online && push.lastSeenAt === null);
    expect(withdrawn).toBeGreaterThan(0);
    expect(heard.slice(withdrawn + 1)).toEqual([]);
    expect(bobOnOne.pushesOf('presence')).toEqual([]);
  });
});

describe('presence after parting across two nodes', () => {
  it('leaving the only group both wrote in withdraws presence on the other node too, and nothing follows', async () => {
    const { one, two } = await twoNodes();
    const alice = await h.createAccount(one);
    const bob = await h.createAccount(two);
    const carol = await h.createAccount(two);
    const aliceSocket = await h.connect(one, alice.token);
    const bobSocket = await h.connect(two, bob.token);
    const carolSocket = await h.connect(two, carol.token);
    // Carol, a contact of alice's on bob's node, marks how far that node's presence steps got.
    const { conversation: direct } = await aliceSocket.call(
      { type: 'start_conversation', username: carol.user.username },
      'conversation',
    );
    await carolSocket.waitForPush('conversation_added');
    await bothWrite({ alice, bob: carol, aliceSocket, bobSocket: carolSocket, conversation: direct });
    const trip = await createGroup(aliceSocket, { memberIds: [bob.user.id] });
    await bobSocket.waitForPush('conversation_added', (push) => push.conversation.id === trip.id);
    await bothWrite({ alice, bob, aliceSocket, bobSocket, conversation: trip });
    // Alice's first message there queued an introduction on node 1: done before bob leaves, or
    // what it read before the leave could reach alice after she heard bob go.
    await presenceSettled({ h, server: one, account: alice, socket: aliceSocket, contactId: bob.user.id });

    await groupChange(bobSocket, trip.id, randomUUID(), { kind: 'leave' });
    const gone = (userId: string) => (push: PresencePush) => push.userId === userId && !push.online && push.lastSeenAt === null;
    const told = await aliceSocket.waitForPush('presence', gone(bob.user.id));
    await bobSocket.waitForPush('presence', gone(alice.user.id));

    // Bob goes, then carol; he comes back, then she does. Node 2 signals in that order, so once
    // alice hears of carol, she would have heard of bob.
    await bobSocket.close();
    await carolSocket.close();
    await aliceSocket.waitForPush('presence', (push) => push.userId === carol.user.id && !push.online);
    const bobAgain = await h.connect(two, bob.token);
    await h.connect(two, carol.token);
    await aliceSocket.waitForPush('presence', (push) => push.userId === carol.user.id && push.online && push.lastSeenAt !== null);
    await Promise.all([aliceSocket.barrier(), bobAgain.barrier()]);
    const aboutBob = aliceSocket.pushes
      .slice(aliceSocket.pushes.indexOf(told) + 1)
      .filter((push) => push.type === 'presence' && push.userId === bob.user.id);
    expect(aboutBob).toEqual([]);
    expect(bobAgain.pushesOf('presence')).toEqual([]);
  });
});

/** Makes `nodeId` look silent to the others from now on (its own heartbeats land in the past). */
async function freezeHeartbeats(pool: pg.Pool, nodeId: string): Promise<void> {
  // Its last beat is long ago, and none of its beats reaches the table any more: the trigger skips
  // them (a beat that stored nothing does not tell the node it was forgotten, as a stuck node is never told).
  await pool.query('UPDATE cluster_nodes SET heartbeat_at = 0 WHERE node_id = $1', [nodeId]);
  await pool.query(
    `CREATE OR REPLACE FUNCTION freeze_heartbeat() RETURNS trigger AS $$
     BEGIN RETURN NULL; END $$ LANGUAGE plpgsql`,
  );
  await pool.query(
    `CREATE TRIGGER freeze_heartbeat BEFORE INSERT OR UPDATE ON cluster_nodes
     FOR EACH ROW WHEN (NEW.node_id = '${nodeId}') EXECUTE FUNCTION freeze_heartbeat()`,
  );
}
