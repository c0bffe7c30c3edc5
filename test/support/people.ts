/**
 * Sets up people (client cores with accounts) on a real server for integration tests.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
import type { MessageView } from '../../sync/app-api/contract.js';
import { SERVER_DATABASE_FILE } from '../../sync/server/store/sqlite-server-store.js';
import type { SyncTransport } from '../../sync/client/transport.js';
import { DEFAULT_TEST_PASSWORD, type ServerHarness, type TestServer } from './server-harness.js';
import { eventually, type ClientHarness, type TestCore } from './client-harness.js';

export interface Person {
  core: TestCore;
  profileDir: string;
}

/**
 * Opens a profile and creates (or, with `existing`, logs into) the account `username`. A device of
 * an account whose identity is on another device is linked by `linkedFrom`, one of those devices.
 */
export async function person(
  clients: ClientHarness,
  server: TestServer,
  username: string,
  options: { transport?: SyncTransport; existing?: boolean; linkedFrom?: TestCore } = {},
): Promise<Person> {
  const profileDir = await clients.profileDir();
  const core = await clients.open(profileDir, server.url, options.transport);
  if (options.existing) {
    await core.logIn({ serverUrl: server.url, username, password: DEFAULT_TEST_PASSWORD });
    if (options.linkedFrom) await linked(core, options.linkedFrom);
  } else {
    await core.createAccount({
      serverUrl: server.url,
      username,
      displayName: username[0]!.toUpperCase() + username.slice(1),
      password: DEFAULT_TEST_PASSWORD,
    });
  }
  await online(core);
  return { core, profileDir };
}

/** Links `device` (waiting, with its link code) from `linkedFrom`, and waits until it has the account's identity. */
export async function linked(device: TestCore, linkedFrom: TestCore): Promise<void> {
  const waiting = await eventually(
    () => device.getLinkState(),
    (state) => state.kind === 'waiting' && state.code !== null,
    'the new device shows its link code',
    20_000,
  );
  if (waiting.kind !== 'waiting' || waiting.code === null) throw new Error('unreachable');
  await linkedFrom.linkDevice({ code: waiting.code });
  await eventually(
    () => device.getLinkState(),
    (state) => state.kind === 'linked',
    'the new device is linked',
    20_000,
  );
}

export async function online(core: TestCore): Promise<void> {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === 'online',
    'online',
    20_000,
  );
}

export async function offline(core: TestCore): Promise<void> {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === 'offline',
    'offline',
    20_000,
  );
}

/**
 * Starts a conversation from `a` with `b` and waits until `b` has it too, then `b` accepts the
 * message request it is to them: two people who know each other.
 */
export async function converse(a: TestCore, b: TestCore, bUsername: string): Promise<string> {
  const { id } = await a.startConversation({ username: bUsername });
  await acceptedBy(b, id);
  return id;
}

/** A new server with Alice and Bob on it, in a conversation Bob has accepted and the server knows he has. */
export async function twoTalking(servers: ServerHarness, clients: ClientHarness) {
  const server = await servers.startServer();
  const alice = await person(clients, server, 'alice');
  const bob = await person(clients, server, 'bob');
  const conversationId = await converse(alice.core, bob.core, 'bob');
  await acceptanceStored(server, bob.core, conversationId);
  return { server, alice, bob, conversationId };
}

/**
 * Waits until the server (on SQLite) holds `core`'s "Accept" of the conversation: from then on the
 * person who started it counts as their contact when adding them to groups (request-rules.ts).
 */
export async function acceptanceStored(server: TestServer, core: TestCore, conversationId: string): Promise<void> {
  const userId = (await core.getSession())?.user.id;
  const db = new Database(join(server.dataDir, SERVER_DATABASE_FILE), { readonly: true });
  try {
    const stored = db.prepare('SELECT 1 FROM accepted_requests WHERE user_id = ? AND conversation_id = ?');
    await eventually(
      () => stored.get(userId, conversationId) !== undefined,
      (found) => found,
      'the server holds the acceptance',
    );
  } finally {
    db.close();
  }
}

/**
 * Waits until the server (on SQLite) holds published keys for `devices` devices of the account:
 * from then on what others seal reaches each of them, even one that goes away at once.
 */
export async function devicesPublished(server: TestServer, userId: string, devices: number): Promise<void> {
  const db = new Database(join(server.dataDir, SERVER_DATABASE_FILE), { readonly: true });
  try {
    const count = db.prepare('SELECT count(*) FROM device_keys WHERE user_id = ?').pluck();
    await eventually(
      () => count.get(userId),
      (published) => published === devices,
      `keys of ${devices} devices published`,
    );
  } finally {
    db.close();
  }
}

/**
 * Waits until `core` has the conversation, and accepts it when it is a message request to them
 * (someone who knows the person who started it, or added them).
 */
export async function acceptedBy(core: TestCore, conversationId: string): Promise<void> {
  const arrived = await eventually(
    () => core.listConversations({ folder: 'all' }),
    (list) => list.some((c) => c.id === conversationId),
    'the conversation arrives',
  );
  if (arrived.find((c) => c.id === conversationId)?.request) await core.answerRequest({ conversationId, answer: 'accept' });
}

/** The parts of a message every device must agree on (status and local times differ by design). */
export function shared(message: MessageView) {
  return {
    id: message.id,
    seq: message.seq,
    senderId: message.senderId,
    text: message.text,
    edited: message.edited,
    deleted: message.deleted,
    replyTo: message.replyTo && {
      messageId: message.replyTo.messageId,
      text: message.replyTo.text,
      deleted: message.replyTo.deleted,
    },
    reactions: message.reactions.map(({ emoji, count }) => ({ emoji, count })),
  };
}

export async function sharedPage(core: TestCore, conversationId: string) {
  return (await core.listMessages({ conversationId, limit: 1000 })).messages.map(shared);
}

/** Waits until nothing is left to send (every own message acknowledged, no queued change pending). */
export async function settled(core: TestCore, conversationId: string): Promise<void> {
  await eventually(
    () => core.listMessages({ conversationId, limit: 1000 }),
    (page) => page.messages.every((m) => m.status !== 'sending'),
    'own messages acknowledged',
    20_000,
  );
}

export type { ServerHarness };
