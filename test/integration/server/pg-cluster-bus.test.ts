/**
 * The cluster bus on PostgreSQL's LISTEN/NOTIFY, on its own: a frame too large to notify travels
 * through the database (a call's ephemeral envelopes, which are stored nowhere, in parts instead), an event too large to travel with its signal is left to be read back, a node never hears its own signals, and while a node's listening connection
 * is down what it publishes still reaches the others, in order, and it hears of its own gap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { CLUSTER_CHANNEL, PostgresClusterBus } from '../../../sync/server/cluster/pg-cluster-bus.js';
import type { ClusterEnvelope, ClusterSignal } from '../../../sync/server/cluster/cluster-signal.js';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import { openPostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { eventually } from '../../support/client-harness.js';
import { freshDatabase } from '../../support/postgres.js';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  bus: PostgresClusterBus;
  received: ClusterEnvelope[];
  gaps: number;
  /** How many of the node's next NOTIFY statements fail (the database refusing them). */
  failNotifies: number;
  /** NOTIFY statements of this node that failed. */
  failedNotifies: number;
}

async function startNode(url: string, nodeId: string): Promise<Node> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const flaky = new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (text: string, values?: unknown[]) => {
        if (text.includes('pg_notify') && node.failNotifies > 0) {
          node.failNotifies -= 1;
          node.failedNotifies += 1;
          return Promise.reject(new Error('the notification could not be sent'));
        }
        return target.query(text, values);
      };
    },
  });
  const bus = new PostgresClusterBus({ url, pool: flaky, nodeId, runtime: realRuntime(), logger: quiet });
  const node: Node = { bus, received: [], gaps: 0, failNotifies: 0, failedNotifies: 0 };
  await bus.subscribe({
    signal: (envelope) => node.received.push(envelope),
    gap: () => (node.gaps += 1),
  });
  cleanups.push(async () => {
    await bus.close();
    await pool.end();
  });
  return node;
}

async function twoNodes() {
  const database = await freshDatabase();
  cleanups.push(() => database.drop());
  // The schema too: a payload too large to notify waits in its table cluster_payloads.
  await (await openPostgresServerStore(database.url)).close();
  return { url: database.url, one: await startNode(database.url, 'node-1'), two: await startNode(database.url, 'node-2') };
}

/** Node 1 publishes two events; node 2 hears the first, and the second's notification fails. */
async function secondNotifyFailed() {
  const { one, two } = await twoNodes();
  one.bus.publish(event(1));
  await eventually(
    () => seqsFrom(two, 'node-1'),
    (seqs) => seqs.length === 1,
    'node 2 hears the first',
  );
  one.failNotifies = 1;
  one.bus.publish(event(2));
  await eventually(
    () => one.failedNotifies,
    (n) => n === 1,
    'node 1 failed to notify',
  );
  return { one, two };
}

const event = (seq: number): ClusterSignal => ({ kind: 'event', conversationId: 'c1', seq, userIds: ['u1'] });
const seqsFrom = (node: Node, from: string) =>
  node.received
    .filter((envelope) => envelope.node === from && envelope.signal.kind === 'event')
    .map((envelope) => {
      const { signal } = envelope;
      return signal.kind === 'event' ? signal.seq : -1;
    });

describe('the cluster bus on PostgreSQL', () => {
  it('a notification that could not be sent is noticed by the others from the next one: a gap, so their clients catch up', async () => {
    const { one, two } = await secondNotifyFailed();
    expect(two.gaps).toBe(0);
    one.bus.publish(event(3));
    await eventually(
      () => seqsFrom(two, 'node-1'),
      (seqs) => seqs.length === 2,
      'node 2 hears the next one',
    );
    expect(seqsFrom(two, 'node-1')).toEqual([1, 3]);
    expect(two.gaps).toBe(1);
    // Numbers go on from there: no gap is seen again.
    one.bus.publish(event(4));
    await eventually(
      () => seqsFrom(two, 'node-1'),
      (seqs) => seqs.length === 3,
      'node 2 hears the one after',
    );
    expect(two.gaps).toBe(1);
  });

  it('a notification that could not be sent, with nothing published after it, is noticed by the others all the same: a lost signal follows', async () => {
    const { two } = await secondNotifyFailed();
    // The node publishes nothing more of its own: only the bus's `lost` signal can tell of the gap.
    await eventually(
      () => two.gaps,
      (gaps) => gaps === 1,
      'node 2 told of the gap',
    );
    expect(two.received.at(-1)).toMatchObject({ node: 'node-1', signal: { kind: 'lost' } });
    expect(seqsFrom(two, 'node-1')).toEqual([1]);
  });

  it('a backlog of more signals than one statement may name reaches the others all the same, in order and with no gap', async () => {
    const { one, two } = await twoNodes();
    // The first goes at once; the rest queue up behind it, as under load, and go as one batch.
    const backlog = 3_000;
    for (let seq = 1; seq <= backlog + 1; seq += 1) one.bus.publish(event(seq));
    await eventually(
      () => seqsFrom(two, 'node-1').length,
      (heard) => heard === backlog + 1,
      'node 2 hears every one',
      15_000,
    );
    expect(seqsFrom(two, 'node-1')).toEqual(Array.from({ length: backlog + 1 }, (_, i) => i + 1));
    expect(two.gaps).toBe(0);
    expect(two.received.filter((envelope) => envelope.signal.kind === 'lost')).toEqual([]);
  });

  it('drops a malformed notification alone: no gap (which would make every client catch up), and what follows arrives', async () => {
    const { url, one, two } = await twoNodes();
    const stranger = new pg.Client({ connectionString: url });
    await stranger.connect();
    try {
      for (const garbage of ['not json', '{"node":"node-9","signal":{"kind":"nope"}}', '[]', '{"ref":"no-such-payload"', '']) {
        await stranger.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, garbage]);
      }
    } finally {
      await stranger.end();
    }
    one.bus.publish(event(1));
    await eventually(
      () => seqsFrom(two, 'node-1'),
      (seqs) => seqs.length === 1,
      'node 2 hears node 1 after the garbage',
    );
    expect(seqsFrom(two, 'node-1')).toEqual([1]);
    expect(two.received).toHaveLength(1);
    expect(two.gaps).toBe(0);
  });

  it('a frame too large to notify reaches the others through the database; a node never hears its own signals', async () => {
    const { one, two } = await twoNodes();
    const members = Array.from({ length: 200 }, (_, i) => ({
      id: `user-${i}`,
      username: `member${i}`,
      displayName: `Member number ${i} of a large group`,
      role: 'member' as const,
      deliveredSeq: 0,
      readSeq: 0,
    }));
    const large: ServerFrame = {
      type: 'conversation_added',
      conversation: { id: 'g1', kind: 'group', name: 'Everyone', members, lastSeq: 1, createdAt: 1, isMember: true },
    };
    expect(JSON.stringify(large).length).toBeGreaterThan(8_000);
    one.bus.publish(event(1));
    one.bus.publish({ kind: 'frame', userIds: ['user-0'], frame: large });
    await eventually(
      () => two.received.length,
      (n) => n === 2,
      'node 2 has both',
    );
    expect(two.received.map((envelope) => envelope.signal)).toEqual([
      event(1),
      { kind: 'frame', userIds: ['user-0'], frame: large },
    ]);
    // Notifications arrive in commit order: once node 2's is in, node 1's own two have come and gone.
    two.bus.publish(event(7));
    await eventually(
      () => one.received.length,
      (n) => n > 0,
      'node 1 hears node 2',
    );
    expect(one.received.map((envelope) => [envelope.node, envelope.signal])).toEqual([['node-2', event(7)]]);
    expect(two.received.filter((envelope) => envelope.node === 'node-2')).toEqual([]);
  });

  it('a call’s ephemeral envelopes too large for one notification go in parts, in order, and are written to no table', async () => {
    const { url, one, two } = await twoNodes();
    // Two envelopes as large as a video offer sealed for a device each, and one in the largest frame a client may send.
    const envelope = (deviceNumber: number, chars: number) => ({
      senderUserId: 'alice',
      senderDevice: 1,
      deviceNumber,
      kind: 'whisper' as const,
      ciphertext: 'A'.repeat(chars - 4) + `${1000 + deviceNumber}`,
      sentAt: 1,
    });
    const offer: ServerFrame = { type: 'ephemeral_push', envelopes: [envelope(1, 12_000), envelope(2, 12_000)] };
    const largest: ServerFrame = { type: 'ephemeral_push', envelopes: [envelope(1, 48_000)] };
    const small: ServerFrame = { type: 'ephemeral_push', envelopes: [envelope(1, 200)] };
    const pushes = [offer, small, largest];
    one.bus.publish(event(1));
    for (const frame of pushes) one.bus.publish({ kind: 'frame', userIds: ['bob'], frame });
    one.bus.publish(event(2));
    await eventually(
      () => two.received.length,
      (n) => n === 5,
      'node 2 has all five',
    );
    expect(two.received.map((received) => received.signal)).toEqual([
      event(1),
      ...pushes.map((frame) => ({ kind: 'frame', userIds: ['bob'], frame })),
      event(2),
    ]);
    expect(two.gaps).toBe(0);
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    try {
      expect((await reader.query('SELECT count(*)::int AS n FROM cluster_payloads')).rows).toEqual([{ n: 0 }]);
    } finally {
      await reader.end();
    }
  });

  it('a signal whose parts do not all arrive is dropped, and the next signal of its node tells of the gap', async () => {
    const { url, one, two } = await twoNodes();
    one.bus.publish(event(1));
    await eventually(
      () => seqsFrom(two, 'node-1'),
      (seqs) => seqs.length === 1,
      'node 2 hears the first',
    );
    expect(two.gaps).toBe(0);
    // What node 1 would send next, written here: its second signal in parts whose last never comes
    // (a stray part of another node between them is dropped alone), then its third whole.
    const stranger = new pg.Client({ connectionString: url });
    await stranger.connect();
    try {
      const part = (index: number, text: string, node = 'node-1') => JSON.stringify({ node, n: 2, part: index, parts: 3, text });
      await stranger.query('SELECT pg_notify($1, $2), pg_notify($1, $3), pg_notify($1, $4)', [
        CLUSTER_CHANNEL,
        part(0, '{"node":'),
        part(2, 'x', 'node-9'),
        part(1, '"node-1"'),
      ]);
      const third = { node: 'node-1', at: Date.now(), n: 3, signal: event(3) };
      await stranger.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, JSON.stringify(third)]);
    } finally {
      await stranger.end();
    }
    await eventually(
      () => seqsFrom(two, 'node-1'),
      (seqs) => seqs.length === 2,
      'node 2 hears the third',
    );
    expect(seqsFrom(two, 'node-1')).toEqual([1, 3]);
    expect(two.received).toHaveLength(2);
    expect(two.gaps).toBe(1);
  });

  it('a stored event travels with its signal when it fits, and without it (to be read back) when it does not', async () => {
    const { one, two } = await twoNodes();
    const withCiphertext = (seq: number, ciphertext: string): ClusterSignal => ({
      kind: 'event',
      conversationId: 'c1',
      seq,
      userIds: ['u1'],
      event: {
        kind: 'envelope',
        conversationId: 'c1',
        seq,
        senderId: 'u2',
        senderDevice: 1,
        sentAt: 1,
        clientId: `e${seq}`,
        ciphertext,
        deleted: false,
        attachments: [],
      },
    });
    one.bus.publish(withCiphertext(1, 'aGVsbG8='));
    one.bus.publish(withCiphertext(2, 'A'.repeat(10_000)));
    await eventually(
      () => seqsFrom(two, 'node-1'),
      (seqs) => seqs.length === 2,
      'node 2 has both',
    );
    expect(two.received.map((envelope) => envelope.signal)).toEqual([withCiphertext(1, 'aGVsbG8='), event(2)]);
  });

  it('a large frame for a thousand people is stored once and addressed to all of them in runs of recipients', async () => {
    const { url, one, two } = await twoNodes();
    const members = Array.from({ length: 1000 }, (_, i) => ({
      id: `user-${i}`,
      username: `member${i}`,
      displayName: `Member number ${i}`,
      role: 'member' as const,
      deliveredSeq: 0,
      readSeq: 0,
    }));
    const added: ServerFrame = {
      type: 'conversation_added',
      conversation: { id: 'g1', kind: 'group', name: 'Everyone', members, lastSeq: 1, createdAt: 1, isMember: true },
    };
    const recipients = members.slice(1).map((member) => member.id);
    one.bus.publish({ kind: 'frame', userIds: recipients, frame: added });
    one.bus.publish(event(2));
    await eventually(
      () => seqsFrom(two, 'node-1'),
      (seqs) => seqs.length === 1,
      'node 2 has the event after the frame',
    );
    const frames = two.received.filter((envelope) => envelope.signal.kind === 'frame');
    expect(frames.length).toBeGreaterThan(1);
    const reached = frames.flatMap((envelope) => (envelope.signal.kind === 'frame' ? envelope.signal.userIds : []));
    expect(reached).toEqual(recipients);
    for (const envelope of frames) expect(envelope.signal.kind === 'frame' && envelope.signal.frame).toEqual(added);
    expect(two.gaps).toBe(0);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ count: string }>('SELECT count(*) AS count FROM cluster_payloads');
      expect(Number(rows[0]!.count)).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('while its listening connection is down, what a node publishes still reaches the others, in order, and it is told of its own gap', async () => {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    cleanups.push(() => admin.end());
    const one = await startNode(database.url, 'node-1');
    // Node 1's listener is the database's only other connection until node 2 starts.
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    expect(rows).toHaveLength(1);
    const two = await startNode(database.url, 'node-2');
    one.bus.publish(event(1));
    await eventually(
      () => seqsFrom(two, 'node-1').length,
      (n) => n === 1,
      'node 2 has the first',
    );
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    for (let seq = 2; seq <= 4; seq += 1) one.bus.publish(event(seq));
    await eventually(
      () => seqsFrom(two, 'node-1').length,
      (n) => n === 4,
      'node 2 has all four',
    );
    expect(seqsFrom(two, 'node-1')).toEqual([1, 2, 3, 4]);
    // Node 1 listens again and, having missed whatever was notified meanwhile, hears of a gap.
    await eventually(
      () => one.gaps,
      (n) => n === 1,
      'node 1 hears of its gap',
    );
    two.bus.publish(event(9));
    await eventually(
      () => seqsFrom(one, 'node-2').length,
      (n) => n === 1,
      'node 1 hears node 2',
    );
    expect(two.gaps).toBe(0);
  });
});
