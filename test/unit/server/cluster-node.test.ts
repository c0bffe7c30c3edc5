/**
 * A node's part in a cluster, against a hand-driven bus, directory and clock: what it pushes to its
 * own connections for each signal, who it counts as online elsewhere, what a gap and a dead node do.
 */
import { describe, expect, it } from 'vitest';
import type { ConversationEvent, ServerFrame } from '../../../sync/protocol/frames.js';
import { ClusterNode } from '../../../sync/server/cluster/cluster-node.js';
import type { ClusterBus, ClusterEnvelope, ClusterSignal, NodeDirectory } from '../../../sync/server/cluster/cluster-signal.js';
import { InFlight } from '../../../sync/server/in-flight.js';
import { completeLogger } from '../../../sync/server/logger.js';
import { createServerMetrics } from '../../../sync/server/metrics.js';
import { handRuntime, settle } from '../../support/hand-runtime.js';

const TIMING = { heartbeatMs: 1_000, deadAfterMs: 3_000 };

class HandBus implements ClusterBus {
  published: ClusterSignal[] = [];
  handlers: Parameters<ClusterBus['subscribe']>[0] | null = null;
  publish(signal: ClusterSignal): void {
    this.published.push(signal);
  }
  async subscribe(handlers: Parameters<ClusterBus['subscribe']>[0]): Promise<void> {
    this.handlers = handlers;
  }
  async close(): Promise<void> {}
  private readonly sent = new Map<string, number>();
  /** Delivers the next envelope of `node` (numbered as that node would number it). */
  deliver(node: string, signal: ClusterSignal, at = 0): void {
    const n = (this.sent.get(node) ?? 0) + 1;
    this.sent.set(node, n);
    this.handlers!.signal({ node, at, n, signal } satisfies ClusterEnvelope);
  }
}

/** The directory as a table of (node, user) and heartbeats, as PostgresNodeDirectory keeps it. */
class TableDirectory implements NodeDirectory {
  heartbeats = new Map<string, number>();
  online = new Set<string>();
  async heartbeat(nodeId: string, at: number): Promise<boolean> {
    const forgotten = !this.heartbeats.has(nodeId);
    this.heartbeats.set(nodeId, Math.max(at, this.heartbeats.get(nodeId) ?? 0));
    return forgotten;
  }
  async setOnline(nodeId: string, userId: string, online: boolean): Promise<void> {
    if (online) this.online.add(`${nodeId} ${userId}`);
    else this.online.delete(`${nodeId} ${userId}`);
  }
  async liveNodes(liveSince: number): Promise<string[]> {
    return [...this.heartbeats].filter(([, at]) => at >= liveSince).map(([node]) => node);
  }
  async onlineElsewhere(nodeId: string, liveSince: number) {
    return [...this.online]
      .map((key) => key.split(' ') as [string, string])
      .filter(([node]) => node !== nodeId && (this.heartbeats.get(node) ?? -Infinity) >= liveSince)
      .map(([node, userId]) => ({ nodeId: node, userId }));
  }
  async reapDeadNodes(deadBefore: number): Promise<string[]> {
    const dead = [...this.heartbeats].filter(([, at]) => at < deadBefore).map(([node]) => node);
    const users = new Set<string>();
    for (const node of dead) {
      this.heartbeats.delete(node);
      for (const key of [...this.online]) {
        const [owner, userId] = key.split(' ') as [string, string];
        if (owner !== node) continue;
        this.online.delete(key);
        users.add(userId);
      }
    }
    return [...users].filter((userId) => ![...this.online].some((key) => key.endsWith(` ${userId}`)));
  }
  async leave(nodeId: string): Promise<void> {
    this.heartbeats.delete(nodeId);
    for (const key of [...this.online]) if (key.startsWith(`${nodeId} `)) this.online.delete(key);
  }
  async close(): Promise<void> {}
}

/** An envelope of Alice's; `text` stands for what it seals, so each event is told apart by it. */
function envelope(seq: number, text: string): ConversationEvent {
  return {
    kind: 'envelope',
    conversationId: 'conv',
    seq,
    senderId: 'alice',
    senderDevice: 1,
    clientId: `m${seq}`,
    ciphertext: Buffer.from(text, 'utf8').toString('base64'),
    attachments: [],
    deleted: false,
    sentAt: 1,
  };
}

function setUp(options: {
  here: string[];
  events?: Map<string, ConversationEvent | null>;
  slow?: boolean;
  /** userId → the people they share presence with, as the store answers. */
  contacts?: Map<string, string[]>;
}) {
  const bus = new HandBus();
  const directory = new TableDirectory();
  const { runtime, advance } = handRuntime();
  const pushed: Array<{ userIds: string[]; frame: ServerFrame }> = [];
  const reads: string[] = [];
  /** How many events each read-back asked for. */
  const batches: number[] = [];
  const slowReads: Array<{ seq: number; answer(event: ConversationEvent): void }> = [];
  const here = new Set(options.here);
  const calls = {
    resync: 0,
    vanished: [] as string[],
    appeared: [] as string[],
    stillOnline: [] as string[],
    sessionsEnded: [] as Array<{ userId: string; sessionIds: readonly string[] }>,
  };
  const inFlight = new InFlight();
  const node = new ClusterNode({
    nodeId: 'node-1',
    bus,
    directory,
    timing: TIMING,
    runtime,
    logger: completeLogger({ error: () => undefined }),
    metrics: createServerMetrics({ processMetrics: false }),
    inFlight,
    registry: {
      isOnline: (userId) => here.has(userId),
      all: () => [...here].map((userId) => ({ userId, push: () => undefined, pushText: () => undefined })),
      pushToUsers: (userIds, frame) => void pushed.push({ userIds: [...userIds].filter((id) => here.has(id)), frame }),
    },
    store: {
      readEventsAt: (requests) => {
        batches.push(requests.length);
        return Promise.all(
          requests.map(async ({ userId, seq }): Promise<ConversationEvent | null> => {
            reads.push(userId);
            if (options.slow) return new Promise<ConversationEvent>((answer) => slowReads.push({ seq, answer }));
            return options.events?.get(`${userId} ${seq}`) ?? null;
          }),
        );
      },
      recordLastSeen: async () => undefined,
      listContacts: async (userId) =>
        (options.contacts?.get(userId) ?? []).map((contact) => ({ userId: contact, lastSeenAt: null })),
    },
    resync: () => void (calls.resync += 1),
    vanished: (userId) => void calls.vanished.push(userId),
    appeared: (userId) => void calls.appeared.push(userId),
    stillOnline: (userId) => void calls.stillOnline.push(userId),
    sessionsEnded: (userId, sessionIds) => void calls.sessionsEnded.push({ userId, sessionIds }),
  });
  return { node, bus, directory, advance, pushed, reads, batches, slowReads, here, calls, inFlight };
}

describe('ClusterNode', () => {
  it('pushes another node’s event, read from the store as the first reader connected here who may see it', async () => {
    const events = new Map<string, ConversationEvent | null>([
      ['carol 5', null], // hidden from Carol (a block): her read skips it
      ['bob 5', envelope(5, 'hello')],
    ]);
    const { node, bus, pushed, reads } = setUp({ here: ['carol', 'bob'], events });
    await node.start();
    bus.deliver('node-2', { kind: 'event', conversationId: 'conv', seq: 5, userIds: ['dave', 'carol', 'bob'] });
    await settle();
    expect(reads).toEqual(['carol', 'bob']);
    expect(pushed).toEqual([{ userIds: ['carol', 'bob'], frame: { type: 'event', event: envelope(5, 'hello') } }]);
  });

  it('pushes an event that came with its signal without reading it back, in order with one that is read back', async () => {
    const { node, bus, pushed, reads, slowReads } = setUp({ here: ['bob'], slow: true });
    await node.start();
    bus.deliver('node-2', { kind: 'event', conversationId: 'conv', seq: 1, userIds: ['bob'] });
    bus.deliver('node-2', {
      kind: 'event',
      conversationId: 'conv',
      seq: 2,
      userIds: ['dave', 'bob'],
      event: envelope(2, 'carried'),
    });
    await settle();
    expect(slowReads.map((read) => read.seq)).toEqual([1]);
    expect(pushed).toEqual([]);
    slowReads[0]!.answer(envelope(1, 'read back'));
    await settle();
    expect(reads).toEqual(['bob']);
    expect(pushed).toEqual([
      { userIds: ['bob'], frame: { type: 'event', event: envelope(1, 'read back') } },
      { userIds: ['bob'], frame: { type: 'event', event: envelope(2, 'carried') } },
    ]);
  });

  it('reads the events of several signals at once and still pushes them in the order they came', async () => {
    const { node, bus, pushed, slowReads } = setUp({ here: ['bob'], slow: true });
    await node.start();
    bus.deliver('node-2', { kind: 'event', conversationId: 'conv', seq: 1, userIds: ['bob'] });
    bus.deliver('node-2', { kind: 'event', conversationId: 'conv', seq: 2, userIds: ['bob'] });
    await settle();
    // Both reads are under way before either is answered.
    expect(slowReads.map((read) => read.seq)).toEqual([1, 2]);
    slowReads[1]!.answer(envelope(2, 'second'));
    await settle();
    expect(pushed).toEqual([]);
    slowReads[0]!.answer(envelope(1, 'first'));
    await settle();
    expect(pushed.map((push) => (push.frame.type === 'event' ? push.frame.event.seq : 0))).toEqual([1, 2]);
  });

  it('ignores its own signals and pushes frames only to its own connections', async () => {
    const { node, bus, pushed } = setUp({ here: ['bob'] });
    await node.start();
    const frame: ServerFrame = { type: 'typing', conversationId: 'conv', userId: 'alice' };
    bus.deliver('node-1', { kind: 'frame', userIds: ['bob'], frame });
    bus.deliver('node-2', { kind: 'frame', userIds: ['bob', 'zed'], frame });
    await settle();
    expect(pushed).toEqual([{ userIds: ['bob'], frame }]);
  });

  it('pushes another node’s presence only to those who share presence with its subject when it arrives; a withdrawal to all it names', async () => {
    const contacts = new Map([['alice', ['bob']]]);
    const { node, bus, pushed } = setUp({ here: ['bob', 'carol'], contacts });
    await node.start();
    // Carol parted from alice (a block, "nobody", a group left) after the other node read its contacts.
    const online: ServerFrame = { type: 'presence', userId: 'alice', online: true, lastSeenAt: 5 };
    const withdrawal: ServerFrame = { type: 'presence', userId: 'alice', online: false, lastSeenAt: null };
    bus.deliver('node-2', { kind: 'frame', userIds: ['bob', 'carol'], frame: online });
    bus.deliver('node-2', { kind: 'frame', userIds: ['carol'], frame: withdrawal });
    await settle();
    expect(pushed).toEqual([
      { userIds: ['bob'], frame: online },
      { userIds: ['carol'], frame: withdrawal },
    ]);
  });

  it('hands sessions another node ended to this node, which closes their sockets', async () => {
    const { node, bus, calls } = setUp({ here: ['bob'] });
    await node.start();
    bus.deliver('node-1', { kind: 'sessions_ended', userId: 'bob', sessionIds: ['own'] });
    bus.deliver('node-2', { kind: 'sessions_ended', userId: 'bob', sessionIds: ['s1', 's2'] });
    await settle();
    expect(calls.sessionsEnded).toEqual([{ userId: 'bob', sessionIds: ['s1', 's2'] }]);
  });

  it('counts users connected to other nodes from their signals, tells its contacts of changes, and answers an offline it knows is wrong', async () => {
    const { node, bus, calls } = setUp({ here: ['bob'] });
    await node.start();
    bus.deliver('node-2', { kind: 'connections', userId: 'alice', online: true });
    bus.deliver('node-3', { kind: 'connections', userId: 'alice', online: true });
    await settle();
    expect(node.isOnlineElsewhere('alice')).toBe(true);
    bus.deliver('node-2', { kind: 'connections', userId: 'alice', online: false });
    await settle();
    expect(node.isOnlineElsewhere('alice')).toBe(true);
    bus.deliver('node-3', { kind: 'connections', userId: 'alice', online: false });
    // Node 2 did not know Bob had just connected here.
    bus.deliver('node-2', { kind: 'connections', userId: 'bob', online: false });
    await settle();
    expect(node.isOnlineElsewhere('alice')).toBe(false);
    // Contacts here hear of Alice when she is first connected anywhere and when she is gone everywhere.
    expect(calls.appeared).toEqual(['alice']);
    expect(calls.vanished).toEqual(['alice']);
    expect(calls.stillOnline).toEqual(['bob']);
  });

  it('records its own users in the directory before telling the others', async () => {
    const { node, bus, directory } = setUp({ here: [] });
    await node.start();
    const seen: boolean[] = [];
    const publish = bus.publish.bind(bus);
    bus.publish = (signal) => {
      seen.push(directory.online.has('node-1 alice'));
      publish(signal);
    };
    await node.connectionsChanged('alice', true);
    expect(bus.published).toEqual([{ kind: 'started' }, { kind: 'connections', userId: 'alice', online: true }]);
    expect(seen).toEqual([true]);
  });

  it('after a gap, reads who is where from the directory and makes every client here catch up', async () => {
    const { node, bus, directory, calls } = setUp({ here: [] });
    await node.start();
    await directory.heartbeat('node-2', 10_000);
    await directory.setOnline('node-2', 'alice', true);
    bus.handlers!.gap();
    await settle();
    expect(node.isOnlineElsewhere('alice')).toBe(true);
    expect(calls.resync).toBe(1);
  });

  it('once draining, takes no more work from the others: signals and gaps arriving meanwhile start nothing to wait for', async () => {
    const { node, bus, slowReads, calls, inFlight } = setUp({ here: ['bob'], slow: true });
    await node.start();
    node.stopListening();
    // Found by the simulation: a flapping listener kept adding recoveries, and the drain never ended.
    bus.deliver('node-2', { kind: 'event', conversationId: 'conv', seq: 1, userIds: ['bob'] });
    bus.handlers!.gap();
    await settle();
    expect(slowReads).toEqual([]);
    expect(calls.resync).toBe(0);
    let drained = false;
    void inFlight.drain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(true);
    node.publish({ kind: 'connections', userId: 'bob', online: false });
    expect(bus.published.at(-1)).toEqual({ kind: 'connections', userId: 'bob', online: false });
  });

  it('reads back the events told while its reads are in flight together, and pushes them in order', async () => {
    const { node, bus, slowReads, pushed, batches } = setUp({ here: ['bob'], slow: true });
    await node.start();
    for (let seq = 1; seq <= 5; seq += 1) bus.deliver('node-2', { kind: 'event', conversationId: 'conv', seq, userIds: ['bob'] });
    await settle();
    // Two reads in flight; the three told meanwhile wait for one of them.
    expect(batches).toEqual([1, 1]);
    slowReads[0]!.answer(envelope(1, 'one'));
    await settle();
    expect(batches).toEqual([1, 1, 3]);
    for (const read of slowReads.slice(1)) read.answer(envelope(read.seq, `text ${read.seq}`));
    await settle();
    expect(pushed.map((push) => (push.frame.type === 'event' ? push.frame.event.seq : null))).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps beating while signals wait in its queue, so the others do not take a busy node for dead', async () => {
    const { node, bus, directory, advance, slowReads, pushed, calls } = setUp({ here: ['bob'], slow: true });
    await directory.heartbeat('node-2', 10_000);
    await node.start();
    // A read that does not come back holds every signal after it, and the look for dead nodes.
    bus.deliver('node-2', { kind: 'event', conversationId: 'conv', seq: 1, userIds: ['bob'] });
    await settle();
    for (let beat = 1; beat <= 5; beat += 1) {
      await advance(TIMING.heartbeatMs);
      await directory.heartbeat('node-2', 10_000 + beat * TIMING.heartbeatMs);
      expect(directory.heartbeats.get('node-1')).toBe(10_000 + beat * TIMING.heartbeatMs);
    }
    // 5 s behind, longer than deadAfterMs: node 2 would have reaped it, but sees it beat.
    expect(await directory.liveNodes(10_000 + 5 * TIMING.heartbeatMs - TIMING.deadAfterMs)).toContain('node-1');
    slowReads[0]!.answer(envelope(1, 'late'));
    await settle();
    expect(pushed).toEqual([{ userIds: ['bob'], frame: { type: 'event', event: envelope(1, 'late') } }]);
    expect(calls.resync).toBe(0);
  });

  it('taken for dead while alive, it records its users again and tells the others at its next beat', async () => {
    const { node, bus, directory, advance, calls } = setUp({ here: ['bob', 'carol'] });
    await node.start();
    await directory.setOnline('node-1', 'bob', true);
    await directory.setOnline('node-1', 'carol', true);
    // Another node reaped it after a stall longer than deadAfterMs: its row and its users are gone.
    expect(await directory.reapDeadNodes(Number.MAX_SAFE_INTEGER)).toEqual(['bob', 'carol']);
    const before = bus.published.length;
    await advance(TIMING.heartbeatMs);
    await settle();
    expect([...directory.online].sort()).toEqual(['node-1 bob', 'node-1 carol']);
    expect(bus.published.slice(before)).toEqual([
      { kind: 'connections', userId: 'bob', online: true },
      { kind: 'connections', userId: 'carol', online: true },
    ]);
    // Beats after that find it registered: nothing more to tell.
    await advance(TIMING.heartbeatMs);
    await settle();
    expect(bus.published.slice(before)).toHaveLength(2);
    expect(calls.resync).toBe(0);
  });

  it('a node that died without leaving makes every client here catch up; one that left cleanly does not', async () => {
    const { node, bus, directory, advance, calls } = setUp({ here: [] });
    await directory.heartbeat('node-2', 10_000);
    await directory.heartbeat('node-3', 10_000);
    await node.start();
    // Node 3 shuts down cleanly; node 2 dies (its last notifications may never have been sent).
    bus.deliver('node-3', { kind: 'leaving' });
    await directory.leave('node-3');
    await settle();
    await advance(TIMING.heartbeatMs);
    expect(calls.resync).toBe(0);
    await advance(TIMING.deadAfterMs + TIMING.heartbeatMs);
    expect(calls.resync).toBe(1);
    await advance(TIMING.heartbeatMs * 3);
    expect(calls.resync).toBe(1);
  });

  it('a node back under its id after dying makes every client here catch up; one back after leaving cleanly does not', async () => {
    const { node, bus, directory, advance, calls } = setUp({ here: [] });
    await directory.heartbeat('node-2', 10_000);
    await directory.heartbeat('node-3', 10_000);
    await node.start();
    // Both come back at once under their ids, so neither ever misses a heartbeat: node 3 after a
    // clean shutdown, node 2 after dying between storing events and notifying them.
    bus.deliver('node-3', { kind: 'leaving' });
    bus.deliver('node-3', { kind: 'started' });
    await settle();
    expect(calls.resync).toBe(0);
    bus.deliver('node-2', { kind: 'started' });
    await settle();
    expect(calls.resync).toBe(1);
    // Node 3's new run dies for good: its earlier clean leaving does not excuse it.
    await directory.heartbeat('node-2', 10_000 + TIMING.deadAfterMs * 2);
    await advance(TIMING.deadAfterMs + TIMING.heartbeatMs);
    expect(calls.resync).toBe(2);
  });

  it('a node heard from before any refresh listed it, back under its id, makes every client here catch up', async () => {
    const { node, bus, calls } = setUp({ here: [] });
    // Node 2 had not beaten yet when this node read the directory: it is known only by its signals.
    await node.start();
    bus.deliver('node-2', { kind: 'started' });
    bus.deliver('node-2', { kind: 'connections', userId: 'bob', online: true });
    await settle();
    expect(calls.resync).toBe(0);
    // It dies after storing events it never told, and is back at once, before this node's next refresh.
    bus.deliver('node-2', { kind: 'started' });
    await settle();
    expect(calls.resync).toBe(1);
  });

  it('a node never seen before that starts costs nobody a catch-up', async () => {
    const { node, bus, calls } = setUp({ here: [] });
    await node.start();
    bus.deliver('node-2~a1b2c3', { kind: 'started' });
    await settle();
    expect(calls.resync).toBe(0);
  });

  it('a node that stops heartbeating is reaped: its users vanish for the contacts here', async () => {
    const { node, bus, directory, advance, calls } = setUp({ here: [] });
    await directory.heartbeat('node-2', 10_000);
    await directory.setOnline('node-2', 'alice', true);
    await node.start();
    bus.deliver('node-2', { kind: 'connections', userId: 'alice', online: true });
    await settle();
    expect(node.isOnlineElsewhere('alice')).toBe(true);
    // Node 2 never beats again; node 1 does, every second.
    await advance(TIMING.deadAfterMs - 500);
    expect(calls.vanished).toEqual([]);
    await advance(TIMING.heartbeatMs + 500);
    expect(node.isOnlineElsewhere('alice')).toBe(false);
    expect(calls.vanished).toEqual(['alice']);
    expect(directory.heartbeats.has('node-2')).toBe(false);
    await node.stop();
    expect(directory.heartbeats.has('node-1')).toBe(false);
  });
});
