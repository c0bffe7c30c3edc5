/**
 * A server with a tiny frame budget per connection: the outbox is turned away again and again
 * (rate_limited), waits as long as the server says each time, and still delivers every message
 * exactly once, in the order written, none marked failed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const MESSAGES = 200;
/**
 * Far less than the outbox puts on the wire at once (its whole window at first, then 32 rows once
 * turned away), and 200 messages take seconds.
 */
const TINY = { perSecond: 100, burst: 10, closeAfterRefused: 1_000 };

describe('outbox against a frame budget', () => {
  it(`drains ${MESSAGES} queued messages exactly once and in order, pacing itself on rate_limited`, async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
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
    await server.close();
    await eventually(
      () => alice.getConnectionState(),
      (state) => state === 'offline',
      'alice offline',
    );
    const written = Array.from({ length: MESSAGES }, (_, i) => `m${i + 1}`);
    for (const text of written) await alice.sendMessage({ conversationId, text });
    const refused = { count: 0, outOfOrder: 0 };
    const passOn = transport.fromServer;
    transport.fromServer = (frame, socket) => {
      if (frame.type === 'error' && frame.code === 'rate_limited') refused.count += 1;
      if (frame.type === 'error' && frame.code === 'out_of_order') refused.outOfOrder += 1;
      return passOn(frame, socket);
    };

    const tight = await servers.startServer({ dataDir: server.dataDir, port: server.port, frameRate: TINY });
    const expected = written.map((text, i) => [text, i + 1]);
    await eventually(
      async () => (await alice.listMessages({ conversationId, limit: 1000 })).messages.map((m) => [m.text, m.seq]),
      (list) => list.every(([, seq]) => seq !== null),
      'alice has every message acknowledged',
      30_000,
    );
    const mine = (await alice.listMessages({ conversationId, limit: 1000 })).messages;
    expect(mine.map((m) => [m.text, m.seq])).toEqual(expected);
    await eventually(
      async () => (await bob.listMessages({ conversationId, limit: 1000 })).messages.map((m) => [m.text, m.seq]),
      (list) => list.length >= MESSAGES,
      'bob has every message',
      30_000,
    );
    expect((await bob.listMessages({ conversationId, limit: 1000 })).messages.map((m) => [m.text, m.seq])).toEqual(expected);

    // The budget was hit, the client waited as told (never cut for flooding), and every
    // message went on the wire once more at most per time it was turned away.
    expect(refused.count).toBeGreaterThan(0);
    expect(tight.logLines.filter((line) => line.message.includes('past its frame budget'))).toEqual([]);
    // What the outbox sends goes sealed: envelopes, told apart by client id.
    const sends = transport.sent.flatMap((frame) => (frame.type === 'send_envelope' ? [frame.clientId] : []));
    expect(new Set(sends).size).toBe(MESSAGES);
    expect(sends.length).toBeLessThanOrEqual(MESSAGES + refused.count + refused.outOfOrder);
  });
});
