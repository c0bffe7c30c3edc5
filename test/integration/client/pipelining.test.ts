/**
 * The outbox pipelines: up to OUTBOX_WINDOW rows of a conversation on the wire at once. Whatever
 * happens to a window (a row failing for a moment in its middle, the connection dropping with the
 * window full, replies lost while the server still works through the frames), every message
 * reaches the server exactly once and in the order it was written. Messages go sealed
 * (`send_envelope`), so frames are told apart by their client id, the message's id.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { acceptedBy } from '../../support/people.js';
import { afterEach, describe, expect, it } from 'vitest';
import { OUTBOX_WINDOW } from '../../../sync/client/outbox-sender.js';
import type { NewEnvelope, ServerStore } from '../../../sync/server/store/server-store.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { withMirrorOf } from '../../support/db-invariants.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { failingEnvelopes, onceForClientIds } from '../../support/failing-store.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
const stores: ServerStore[] = [];
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/**
 * Alice (on `transport`) and Bob in a direct conversation; then the server goes away and Alice
 * writes `count` messages, "m1"… in order, so they wait in her outbox to go out together.
 * `ids` are their message ids (their envelopes' client ids), in the same order.
 */
async function queuedWhileOffline(transport: FaultyTransport, count: number) {
  const server = await servers.startServer();
  const alice = await clients.open(await clients.profileDir(), server.url, transport);
  const bob = await clients.open(await clients.profileDir(), server.url);
  for (const [core, username] of [
    [alice, 'alice'],
    [bob, 'bob'],
  ] as const) {
    await core.createAccount({ serverUrl: server.url, username, displayName: username, password: DEFAULT_TEST_PASSWORD });
    await eventually(
      () => core.getConnectionState(),
      (state) => state === 'online',
      `${username} online`,
    );
  }
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, conversationId);
  await server.close();
  await eventually(
    () => alice.getConnectionState(),
    (state) => state === 'offline',
    'alice offline',
  );
  const written = Array.from({ length: count }, (_, i) => `m${i + 1}`);
  const ids: string[] = [];
  for (const text of written) ids.push((await alice.sendMessage({ conversationId, text })).id);
  return { server, alice, bob, conversationId, written, ids };
}

/** The server back on the same data and port, optionally on a store that fails to store an envelope now and then. */
async function restart(server: TestServer, fails?: (envelope: NewEnvelope) => boolean): Promise<TestServer> {
  if (!fails) return servers.startServer({ dataDir: server.dataDir, port: server.port });
  const store = openSqliteServerStore(server.dataDir);
  stores.push(store);
  return servers.startServer({ dataDir: server.dataDir, port: server.port, store: failingEnvelopes(store, fails) });
}

/** Reads the core's mirror through a connection of its own, as it is committed. */
function withMirror<T>(core: TestCore, read: (db: Database.Database) => T): T {
  return withMirrorOf(core.profileDir, read);
}

/** What Bob's device holds, in order: text and sequence number. */
async function received(bob: TestCore, conversationId: string) {
  return (await bob.listMessages({ conversationId, limit: 1000 })).messages.map((m) => [m.text, m.seq]);
}

/** Every message once, in the order written, with gap-free sequence numbers; Alice's outbox drained. */
async function expectExactlyOnceInOrder(alice: TestCore, bob: TestCore, conversationId: string, written: string[]) {
  const expected = written.map((text, i) => [text, i + 1]);
  await eventually(
    () => received(bob, conversationId),
    (list) => list.length >= written.length,
    'bob has every message',
    30_000,
  );
  expect(await received(bob, conversationId)).toEqual(expected);
  await eventually(
    async () => (await alice.listMessages({ conversationId, limit: 1000 })).messages.map((m) => [m.text, m.seq]),
    (list) => JSON.stringify(list) === JSON.stringify(expected),
    'alice has every message acknowledged, in order',
    30_000,
  );
}

/** Counts the outbox's frames on the wire: sends handed to the socket and not yet answered. */
function watchWindow(transport: FaultyTransport) {
  const open = new Set<string>();
  const seen = { most: 0, outOfOrder: 0 };
  const previous = { fromClient: transport.fromClient, fromServer: transport.fromServer };
  transport.fromClient = (frame, socket) => {
    const verdict = previous.fromClient(frame, socket);
    if (verdict === 'pass' && frame.type === 'send_envelope') {
      open.add(frame.rid);
      seen.most = Math.max(seen.most, open.size);
    }
    return verdict;
  };
  transport.fromServer = (frame, socket) => {
    if ('rid' in frame && frame.rid !== undefined) open.delete(frame.rid);
    if (frame.type === 'error' && frame.code === 'out_of_order') seen.outOfOrder += 1;
    return previous.fromServer(frame, socket);
  };
  return { seen, reset: () => open.clear() };
}

describe('outbox pipelining', () => {
  it('a sealed window goes on the wire as one burst; a row sealed for the first time is written as soon as it is sealed', async () => {
    const transport = new FaultyTransport();
    const { server, alice, bob, conversationId, written, ids } = await queuedWhileOffline(transport, OUTBOX_WINDOW + 3);
    const sentBefore = transport.sent.length;
    // The first row fails for a moment: the window behind it is refused unstored, and all of it
    // goes again once that row's retry is due, every row sealed by then.
    await restart(server, onceForClientIds(ids[0]!));
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    const envelopesAt = (clientId: string) =>
      transport.sent.flatMap((frame, i) =>
        i >= sentBefore && frame.type === 'send_envelope' && frame.clientId === clientId ? [i] : [],
      );
    // Sealed one by one as they first go: each is flushed right after it, not at the end of the window.
    for (const id of ids.slice(0, OUTBOX_WINDOW)) expect(transport.flushes).toContain(envelopesAt(id)[0]! + 1);
    // Going again, sealed already: the window is one burst, flushed once it is all handed over.
    const first = envelopesAt(ids[0]!)[1]!;
    const end = first + OUTBOX_WINDOW;
    expect(
      transport.sent.slice(first, end).map((frame) => (frame.type === 'send_envelope' ? frame.clientId : frame.type)),
    ).toEqual(ids.slice(0, OUTBOX_WINDOW));
    expect(transport.flushes).toContain(end);
    expect(transport.flushes.filter((at) => at > first && at < end)).toEqual([]);

    // Online, a message's frame is flushed right after it is sealed.
    const online = await alice.sendMessage({ conversationId, text: 'online' });
    const index = (
      await eventually(
        () => envelopesAt(online.id),
        (at) => at.length > 0,
        'the message on the wire',
      )
    )[0]!;
    expect(index).toBeGreaterThan(end);
    expect(transport.flushes).toContain(index + 1);
  }, 40_000);

  it('online, a message goes on the wire once sealed, its row counted as attempted and its envelope kept on disk', async () => {
    const transport = new FaultyTransport();
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, 1);
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    // Everything before is acknowledged: the next envelope on the wire is the probe's.
    const onTheWire: Array<{ clientId: string; rows: Array<{ attempts: number; sealed: string | null }>; ciphertext: string }> =
      [];
    transport.fromClient = (frame) => {
      if (frame.type === 'send_envelope') {
        // What another process would find on disk as the frame leaves: committed state only. A
        // row found so after a crash goes again as this very envelope.
        const rows = withMirror(
          alice,
          (db) =>
            db.prepare("SELECT attempts, sealed FROM outbox WHERE kind = 'send'").all() as Array<{
              attempts: number;
              sealed: string | null;
            }>,
        );
        onTheWire.push({ clientId: frame.clientId, rows, ciphertext: frame.ciphertext });
      }
      return 'pass';
    };
    const probe = await alice.sendMessage({ conversationId, text: 'probe' });
    await expectExactlyOnceInOrder(alice, bob, conversationId, [...written, 'probe']);
    expect(onTheWire).toHaveLength(1);
    const [leaving] = onTheWire;
    expect(leaving).toEqual({
      clientId: probe.id,
      rows: [{ attempts: 1, sealed: leaving!.ciphertext }],
      ciphertext: leaving!.ciphertext,
    });
  });

  it('online, no listener runs before a sent row’s sealed frame is on the wire', async () => {
    const transport = new FaultyTransport();
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, 1);
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    const before = transport.sent.length;
    const frameIndex = () => transport.sent.findIndex((frame, i) => i >= before && frame.type === 'send_envelope');
    const heard: Array<{ sealedOnDisk: boolean; flushedPastFrame: boolean }> = [];
    alice.subscribe(() => {
      const sealedOnDisk = withMirror(
        alice,
        (db) => db.prepare('SELECT 1 FROM outbox WHERE sealed IS NOT NULL').get() !== undefined,
      );
      const index = frameIndex();
      heard.push({ sealedOnDisk, flushedPastFrame: index >= 0 && (transport.flushes.at(-1) ?? 0) > index });
    });
    await alice.sendMessage({ conversationId, text: 'heard after the wire' });
    await expectExactlyOnceInOrder(alice, bob, conversationId, [...written, 'heard after the wire']);
    expect(frameIndex()).toBeGreaterThanOrEqual(before);
    // The send's seal and frame go ahead of its events: listeners hear of the row (queued, then
    // acknowledged) only once its envelope is committed with it and on the wire.
    expect(heard.length).toBeGreaterThan(0);
    expect(heard.every((moment) => moment.flushedPastFrame)).toBe(true);
  });

  it('puts a window of sends on the wire at once, never more, and they arrive in order, once each', async () => {
    const transport = new FaultyTransport();
    const window = watchWindow(transport);
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, OUTBOX_WINDOW * 2 + 5);
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    expect(window.seen.most).toBeGreaterThan(1);
    expect(window.seen.most).toBeLessThanOrEqual(OUTBOX_WINDOW);
    const sends = transport.sent.filter((frame) => frame.type === 'send_envelope');
    expect(sends).toHaveLength(written.length);
    // Each names the one written before it, except where a window started afresh.
    expect(sends.filter((frame) => frame.type === 'send_envelope' && frame.after !== undefined).length).toBeGreaterThan(
      written.length / 2,
    );
  });

  it('a send failing for a moment in the middle of a window: those behind it are refused unstored, and all go again in order', async () => {
    const transport = new FaultyTransport();
    const window = watchWindow(transport);
    const { server, alice, bob, conversationId, written, ids } = await queuedWhileOffline(transport, 20);
    const m4 = written.indexOf('m4');
    await restart(server, onceForClientIds(ids[m4]!));
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    expect(window.seen.outOfOrder).toBeGreaterThan(0);
    const sendsOf = (id: string) =>
      transport.sent.filter((frame) => frame.type === 'send_envelope' && frame.clientId === id).length;
    // The failed one went twice; everything before it once; behind it at least once more.
    expect(sendsOf(ids[m4]!)).toBe(2);
    for (const id of ids.slice(0, m4)) expect(sendsOf(id)).toBe(1);
    for (const id of ids.slice(m4 + 1)) expect(sendsOf(id)).toBeGreaterThanOrEqual(1);
  }, 40_000);

  it('the connection dropping with a full window on the wire: replies lost, the server finishing the frames; each stored once, in order', async () => {
    const transport = new FaultyTransport();
    let acknowledgements = 0;
    transport.fromServer = (frame, socket) => {
      if (frame.type !== 'sent') return 'pass';
      acknowledgements += 1;
      // The 5th acknowledgement never arrives: the socket goes, with the rest of the window on the wire.
      if (acknowledgements !== 5) return 'pass';
      socket.close();
      return 'drop';
    };
    const window = watchWindow(transport);
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, OUTBOX_WINDOW + 10);
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    expect(window.seen.most).toBeGreaterThan(5);
  }, 40_000);

  it('a reconnect before any reply, and another failure in the next window: still each once, in order', async () => {
    const transport = new FaultyTransport();
    let cut = false;
    transport.fromServer = (frame, socket) => {
      if (frame.type !== 'sent' || cut) return 'pass';
      cut = true;
      socket.close();
      return 'drop';
    };
    const { server, alice, bob, conversationId, written, ids } = await queuedWhileOffline(transport, 30);
    await restart(server, onceForClientIds(ids[written.indexOf('m2')]!, ids[written.indexOf('m17')]!));
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
  }, 40_000);
});
