/**
 * The core's 'incoming' event, which the desktop host turns into notifications: it comes for a
 * message from someone else that arrives live, and never for your own (from any device), for
 * history a new device fetches, or for the backlog a reconnect catches up on.
 */
import { acceptedBy, linked } from '../../support/people.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { newestIncoming } from '../../../sync/client/sync-engine.js';
import type { MessageEvent } from '../../../sync/content/opened-events.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const incoming = (core: TestCore) =>
  core.events.filter((event): event is Extract<AppEvent, { type: 'incoming' }> => event.type === 'incoming');

async function online(core: TestCore) {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === 'online',
    'online',
  );
}

async function texts(core: TestCore, conversationId: string): Promise<string[]> {
  return (await core.listMessages({ conversationId, limit: 1000 })).messages.map((message) => message.text);
}

async function twoPeople() {
  const server = await servers.startServer();
  const aliceProfile = await clients.profileDir();
  const alice = await clients.open(aliceProfile, server.url);
  const bob = await clients.open(await clients.profileDir(), server.url);
  await alice.createAccount({ serverUrl: server.url, username: 'alice', displayName: 'Alice', password: DEFAULT_TEST_PASSWORD });
  await bob.createAccount({ serverUrl: server.url, username: 'bob', displayName: 'Bob', password: DEFAULT_TEST_PASSWORD });
  await online(alice);
  await online(bob);
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, conversationId);
  return { server, alice, bob, aliceProfile, conversationId };
}

describe('the incoming event', () => {
  it('comes for a live message from someone else, after the views that show it changed; never for your own', async () => {
    const { alice, bob, conversationId } = await twoPeople();
    const sent = await bob.sendMessage({ conversationId, text: 'Lunch?' });
    await eventually(
      () => incoming(alice),
      (events) => events.length === 1,
      'alice is told of the message',
    );
    expect(incoming(alice)).toEqual([{ type: 'incoming', conversationId, messageId: sent.id }]);
    const at = alice.events.findIndex((event) => event.type === 'incoming');
    expect(alice.events.slice(0, at)).toContainEqual({ type: 'messages', conversationId });
    expect((await alice.listMessages({ conversationId, aroundMessageId: sent.id, limit: 1 })).messages[0]).toMatchObject({
      id: sent.id,
      text: 'Lunch?',
      own: false,
    });
    // Each is told of the other's message alone: sending and its acknowledgement announce nothing.
    const answer = await alice.sendMessage({ conversationId, text: 'Sure' });
    await eventually(
      () => incoming(bob),
      (events) => events.length > 0,
      'bob is told of the answer',
    );
    expect(incoming(bob)).toEqual([{ type: 'incoming', conversationId, messageId: answer.id }]);
    expect(incoming(alice)).toHaveLength(1);
  });

  it('is not given for your own message sent from another device', async () => {
    const { server, alice, bob, conversationId } = await twoPeople();
    const laptop = await clients.open(await clients.profileDir(), server.url);
    await laptop.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
    await linked(laptop, alice);
    await online(laptop);
    await eventually(
      () => laptop.listConversations(),
      (list) => list.length === 1,
      'the laptop has the conversation',
    );
    await laptop.sendMessage({ conversationId, text: 'From my laptop' });
    await eventually(
      () => texts(alice, conversationId),
      (list) => list.includes('From my laptop'),
      'the phone has it',
    );
    // A live message from Bob afterwards is announced, so the one before was not held back.
    const later = await bob.sendMessage({ conversationId, text: 'Seen it' });
    await eventually(
      () => incoming(alice),
      (events) => events.length > 0,
      'alice is told of bob’s message',
    );
    expect(incoming(alice).map((event) => event.messageId)).toEqual([later.id]);
  });

  it('is not given for history a new device fetches, nor for the backlog caught up on reconnecting', async () => {
    const { server, alice, bob, aliceProfile, conversationId } = await twoPeople();
    await bob.sendMessage({ conversationId, text: 'before the new device' });
    await eventually(
      () => texts(alice, conversationId),
      (list) => list.length === 1,
      'alice has it',
    );
    const fresh = await clients.open(await clients.profileDir(), server.url);
    await fresh.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
    // Linked: the history comes from Alice's phone.
    await linked(fresh, alice);
    await online(fresh);
    await eventually(
      () => texts(fresh, conversationId),
      (list) => list.length === 1,
      'the new device has the history',
    );
    expect(incoming(fresh)).toEqual([]);

    await alice.close();
    for (const text of ['while you were away', 'and this too']) await bob.sendMessage({ conversationId, text });
    // On the server before Alice is back (they wait for Bob's key to be handed to her new device).
    await eventually(
      async () => (await bob.listMessages({ conversationId })).messages.map((message) => message.status),
      (statuses) => statuses.length === 3 && statuses.every((status) => status !== 'sending'),
      'bob sent the backlog',
    );
    const back = await clients.open(aliceProfile, server.url);
    await online(back);
    await eventually(
      () => texts(back, conversationId),
      (list) => list.length === 3,
      'alice caught up',
    );
    expect(incoming(back)).toEqual([]);
    const live = await bob.sendMessage({ conversationId, text: 'now you are here' });
    await eventually(
      () => incoming(back),
      (events) => events.length === 1,
      'alice is told of the live one',
    );
    expect(incoming(back)).toEqual([{ type: 'incoming', conversationId, messageId: live.id }]);
  });
});

describe('newestIncoming', () => {
  const event = (seq: number, senderId: string, extra: Partial<MessageEvent> = {}): MessageEvent => ({
    kind: 'message',
    conversationId: 'c',
    seq,
    senderId,
    sentAt: seq,
    clientMessageId: `m${seq}`,
    text: 'hi',
    replyTo: null,
    deleted: false,
    attachments: [],
    ...extra,
  });

  it('picks the newest message from someone else that the batch applied', () => {
    const events = [event(3, 'bob'), event(4, 'bob'), event(5, 'me'), event(6, 'bob', { deleted: true, text: '' })];
    expect(newestIncoming(events, 'me', 2, 6)).toBe('m4');
    // Only what moved the cursor: before it (already here) and beyond it (after a gap) are not.
    expect(newestIncoming(events, 'me', 3, 3)).toBeNull();
    expect(newestIncoming(events, 'me', 2, 3)).toBe('m3');
    expect(newestIncoming([event(5, 'me')], 'me', 4, 5)).toBeNull();
    expect(newestIncoming([], 'me', 0, 0)).toBeNull();
  });
});
