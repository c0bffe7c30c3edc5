import { afterEach, describe, expect, it } from 'vitest';
import type { SyncTransport } from '../../../sync/client/transport.js';
import { wsTransport } from '../../../sync/client/ws-transport.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { converse, person } from '../../support/people.js';

/**
 * Regressions for bugs the deterministic simulation (test/sim/) found in the client core, each
 * reproduced here against a real server over real sockets.
 */
const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

/** Alice on a client core (optionally on a faulty transport), Bob as a raw socket. */
async function aliceAndRawBob(transport?: FaultyTransport) {
  const server = await servers.startServer();
  const bob = await servers.createAccount(server);
  const bobSocket = await servers.connect(server, bob.token);
  const aliceProfile = await clients.profileDir();
  const alice = await clients.open(aliceProfile, server.url, transport);
  const session = await alice.createAccount({
    serverUrl: server.url,
    username: 'alice',
    displayName: 'Alice',
    password: DEFAULT_TEST_PASSWORD,
  });
  await eventually(
    () => alice.getConnectionState(),
    (state) => state === 'online',
    'alice online',
  );
  const { id: conversationId } = await alice.startConversation({ username: bob.user.username });
  return { server, alice, aliceId: session.user.id, aliceProfile, bobSocket, conversationId };
}

describe('findings of the simulation', () => {
  it("tells the server that the sender's own acknowledged message is delivered to them", async () => {
    // Applying our own acknowledged message moved our delivered watermark locally, but no
    // receipt was scheduled: the server (and the peer) kept an older value until something else
    // arrived, so the device and the server disagreed indefinitely.
    const { alice, aliceId, bobSocket, conversationId } = await aliceAndRawBob();
    // Past the receipt flush that follows connecting, so only the acknowledgement can cause one.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await alice.sendMessage({ conversationId, text: 'mine' });
    const push = await bobSocket.waitForPush('watermark', (frame) => frame.userId === aliceId && frame.deliveredSeq === 1);
    expect(push).toMatchObject({ conversationId, deliveredSeq: 1, readSeq: 0 });
  });

  it('an edit or delete right after a send whose acknowledgement was lost reaches the server', async () => {
    // The server stored the message, the reply was lost with the connection, and the person then
    // edited (or deleted) it while the client thought it unsent. The change was folded into the
    // queued send locally, and the server's copy undid it: the edit or the delete vanished.
    const server = await servers.startServer();
    const faulty = new FaultyTransport();
    const alice = await person(clients, server, 'alice', { transport: faulty });
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');
    let cut = false;
    faulty.fromServer = (frame, socket) => {
      if (frame.type !== 'sent' || cut) return 'pass';
      cut = true;
      socket.close();
      return 'drop';
    };
    const kept = await alice.core.sendMessage({ conversationId, text: 'teh draft' });
    // Edit once the connection is gone (so the send is no longer in flight), before it comes back.
    await eventually(
      async () => (cut ? await alice.core.getConnectionState() : 'online'),
      (state) => state === 'offline',
      'the lost acknowledgement',
    );
    await alice.core.editMessage({ conversationId, messageId: kept.id, text: 'the draft' });
    await eventually(
      async () => (await alice.core.listMessages({ conversationId })).messages.map((m) => [m.seq, m.text, m.edited]),
      (list) => JSON.stringify(list) === JSON.stringify([[1, 'the draft', true]]),
      'the edit acknowledged',
    );
    // The server holds what was sealed, so the receiving device tells: the edit reached it behind
    // the message, not undone by the server's copy of the send.
    await eventually(
      async () => (await bob.core.listMessages({ conversationId })).messages.map((m) => [m.seq, m.text, m.edited]),
      (list) => JSON.stringify(list) === JSON.stringify([[1, 'the draft', true]]),
      'the edit on the other person’s device',
    );
  });

  it('a watermark push for a conversation it has not heard of yet neither throws nor is lost', async () => {
    // The push can overtake the conversation list on a fresh connection (or its
    // conversation_added). Raising the watermark of a conversation with no row broke a foreign
    // key, and the exception escaped the socket's message handler (uncaught: the process ends).
    const thrown: unknown[] = [];
    let lists = 0;
    const early: SyncTransport = {
      open: (url, token, handlers) =>
        wsTransport.open(url, token, {
          ...handlers,
          onMessage: (text) => {
            handlers.onMessage(text);
            if (text.includes('"type":"conversations"')) lists += 1;
            if (!text.includes('"type":"welcome"')) return;
            const push = {
              type: 'watermark',
              conversationId: 'not-heard-of-yet',
              userId: 'someone',
              deliveredSeq: 3,
              readSeq: 2,
            };
            try {
              handlers.onMessage(JSON.stringify(push));
            } catch (error) {
              thrown.push(error);
            }
          },
        }),
    };
    const server = await servers.startServer();
    const profile = await clients.profileDir();
    const alice = await clients.open(profile, server.url, early);
    await alice.createAccount({
      serverUrl: server.url,
      username: 'alice',
      displayName: 'Alice',
      password: DEFAULT_TEST_PASSWORD,
    });
    await eventually(
      () => alice.getConnectionState(),
      (state) => state === 'online',
      'alice online',
    );
    // It asked for the list again, which brings such a conversation with its current watermarks.
    await eventually(
      () => lists,
      (count) => count >= 2,
      'the conversation list asked for again',
    );
    expect(thrown).toEqual([]);
  });

  it('closing the core while a send is on the wire keeps the message queued, with no unhandled rejection', async () => {
    // The cut-short request failed after close() had shut the mirror; recording the failure threw
    // "The database connection is not open" as an unhandled rejection, which ends a Node process
    // (or the core's worker thread).
    const faulty = new FaultyTransport();
    let sendsSeen = 0;
    faulty.fromClient = (frame) => {
      if (frame.type !== 'send_envelope') return 'pass';
      sendsSeen += 1;
      return 'drop'; // on the wire, never answered
    };
    const { server, alice, aliceProfile, conversationId } = await aliceAndRawBob(faulty);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      await alice.sendMessage({ conversationId, text: 'still queued' });
      await eventually(
        () => sendsSeen,
        (count) => count === 1,
        'the send on the wire',
      );
      await alice.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(rejections).toEqual([]);

    const reopened = await clients.open(aliceProfile, server.url);
    await eventually(
      async () => (await reopened.listMessages({ conversationId })).messages.map((m) => [m.text, m.seq]),
      (list) => list.length === 1 && list[0]![1] === 1,
      'the queued message sent after reopening',
    );
  });
});
