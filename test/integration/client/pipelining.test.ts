/**
 * The outbox pipelines: up to OUTBOX_WINDOW rows of a conversation on the wire at once. Whatever
 * happens to a window (a row failing for a moment in its middle, the connection dropping with the
 * window full, replies lost while the server still works through the frames), every message
 * reaches the server exactly once and in the order it was written.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { acceptedBy } from '../../support/people.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MIRROR_FILE } from '../../../sync/client/client-core.js';
import { OUTBOX_WINDOW } from '../../../sync/client/outbox-sender.js';
import type { NewMessage, ServerStore } from '../../../sync/server/store/server-store.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { failingStore, onceForTexts } from '../../support/failing-store.js';
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
  for (const text of written) await alice.sendMessage({ conversationId, text });
  return { server, alice, bob, conversationId, written };
}

/** The server back on the same data and port, optionally on a store that fails now and then. */
async function restart(server: TestServer, fails?: (message: NewMessage) => boolean): Promise<TestServer> {
  if (!fails) return servers.startServer({ dataDir: server.dataDir, port: server.port });
  const store = openSqliteServerStore(server.dataDir);
  stores.push(store);
  return servers.startServer({ dataDir: server.dataDir, port: server.port, store: failingStore(store, fails) });
}

/** Reads the core's mirror through a connection of its own, as it is committed. */
function withMirror<T>(core: TestCore, read: (db: Database.Database) => T): T {
  const db = new Database(join(core.profileDir, MIRROR_FILE), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
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
    if (verdict === 'pass' && frame.type === 'send') {
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
  it('a window goes on the wire as one burst, written as soon as it is on the socket, not at the end of the task', async () => {
    const transport = new FaultyTransport();
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, OUTBOX_WINDOW + 3);
    const sentBefore = transport.sent.length;
    const flushesBefore = transport.flushes.length;
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    const first = transport.sent.findIndex((frame, i) => i >= sentBefore && frame.type === 'send');
    const end = first + OUTBOX_WINDOW;
    expect(transport.sent.slice(first, end).map((frame) => frame.type)).toEqual(Array<string>(OUTBOX_WINDOW).fill('send'));
    const flushes = transport.flushes.slice(flushesBefore);
    // Flushed once the whole window was handed over, and not in its middle.
    expect(flushes).toContain(end);
    expect(flushes.filter((at) => at > first && at < end)).toEqual([]);

    // Online, a message's frame is flushed right after it (sendMessage still has the view to read).
    await alice.sendMessage({ conversationId, text: 'online' });
    const index = transport.sent.findIndex((frame) => frame.type === 'send' && frame.text === 'online');
    expect(index).toBeGreaterThan(end);
    expect(transport.flushes).toContain(index + 1);
  });

  it('online, a message is on the wire before sendMessage returns, its row already counted as attempted on disk', async () => {
    const transport = new FaultyTransport();
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, 1);
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    let returned = false;
    const onTheWire: Array<{ returned: boolean; attempts: number[] }> = [];
    transport.fromClient = (frame) => {
      if (frame.type === 'send' && frame.text === 'probe') {
        // What another process would find on disk as the frame leaves: committed state only.
        const attempts = withMirror(alice, (db) =>
          (db.prepare("SELECT attempts FROM outbox WHERE kind = 'send'").all() as Array<{ attempts: number }>).map(
            (row) => row.attempts,
          ),
        );
        onTheWire.push({ returned, attempts });
      }
      return 'pass';
    };
    await alice.sendMessage({ conversationId, text: 'probe' });
    returned = true;
    expect(onTheWire).toEqual([{ returned: false, attempts: [1] }]);
    await expectExactlyOnceInOrder(alice, bob, conversationId, [...written, 'probe']);
  });

  it('online, listeners hear of a sent row only once its frame is flushed: nothing runs between the commit and the wire', async () => {
    const transport = new FaultyTransport();
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, 1);
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    const heard: Array<{ sent: number; flushed: number }> = [];
    alice.subscribe((event) => {
      if (event.type === 'outbox') heard.push({ sent: transport.sent.length, flushed: transport.flushes.at(-1) ?? 0 });
    });
    const before = transport.sent.length;
    await alice.sendMessage({ conversationId, text: 'heard after the wire' });
    const index = transport.sent.findIndex((frame) => frame.type === 'send' && frame.text === 'heard after the wire');
    expect(index).toBeGreaterThanOrEqual(before);
    expect(heard.length).toBeGreaterThan(0);
    for (const moment of heard) expect(moment.flushed).toBeGreaterThan(index);
    await expectExactlyOnceInOrder(alice, bob, conversationId, [...written, 'heard after the wire']);
  });

  it('puts a window of sends on the wire at once, never more, and they arrive in order, once each', async () => {
    const transport = new FaultyTransport();
    const window = watchWindow(transport);
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, OUTBOX_WINDOW * 2 + 5);
    await restart(server);
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    expect(window.seen.most).toBeGreaterThan(1);
    expect(window.seen.most).toBeLessThanOrEqual(OUTBOX_WINDOW);
    const sends = transport.sent.filter((frame) => frame.type === 'send');
    expect(sends).toHaveLength(written.length);
    // Each names the one written before it, except where a window started afresh.
    expect(sends.filter((frame) => frame.type === 'send' && frame.after !== undefined).length).toBeGreaterThan(
      written.length / 2,
    );
  });

  it('a send failing for a moment in the middle of a window: those behind it are refused unstored, and all go again in order', async () => {
    const transport = new FaultyTransport();
    const window = watchWindow(transport);
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, 20);
    await restart(server, onceForTexts('m4'));
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
    expect(window.seen.outOfOrder).toBeGreaterThan(0);
    const m4 = written.indexOf('m4');
    const sendsOf = (text: string) => transport.sent.filter((frame) => frame.type === 'send' && frame.text === text).length;
    // The failed one went twice; everything before it once; behind it at least once more.
    expect(sendsOf('m4')).toBe(2);
    for (const text of written.slice(0, m4)) expect(sendsOf(text)).toBe(1);
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
    const { server, alice, bob, conversationId, written } = await queuedWhileOffline(transport, 30);
    await restart(server, onceForTexts('m2', 'm17'));
    await expectExactlyOnceInOrder(alice, bob, conversationId, written);
  }, 40_000);
});
