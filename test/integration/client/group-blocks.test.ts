import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { createServerHarness, type TestServer } from '../../support/server-harness.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { acceptanceStored, converse, devicesPublished, offline, person, settled } from '../../support/people.js';

/**
 * A block in a group the two share, as the blocker's app shows it: nothing the blocked person sends
 * there while it stands, nothing of it counted unread, and no conversation left waiting to catch up
 * to what will never come; after the unblock, what they send shows again.
 */

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const texts = async (core: TestCore, conversationId: string) =>
  (await core.listMessages({ conversationId, limit: 1000 })).messages.map((message) => message.text);
const unread = async (core: TestCore, conversationId: string) =>
  (await core.listConversations()).find((summary) => summary.id === conversationId)?.unreadCount;

/** Waits until the server (on SQLite) has the block begun (`standing`) or lifted: from then on it decides what is hidden. */
async function blockStored(server: TestServer, blockerId: string, blockedId: string, standing: boolean): Promise<void> {
  const db = new Database(join(server.dataDir, SERVER_DATABASE_FILE), { readonly: true });
  try {
    const stored = db.prepare('SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?');
    await eventually(
      () => stored.get(blockerId, blockedId) !== undefined,
      (found) => found === standing,
      `the server has the block ${standing ? 'begun' : 'lifted'}`,
    );
  } finally {
    db.close();
  }
}

it("the blocker's app shows nothing the blocked person sends in a shared group, counts none of it unread, and is not left behind", async () => {
  const server = await servers.startServer();
  const alice = await person(clients, server, 'alice');
  const bob = await person(clients, server, 'bob');
  const carol = await person(clients, server, 'carol');
  await acceptanceStored(server, bob.core, await converse(alice.core, bob.core, 'bob'));
  await acceptanceStored(server, carol.core, await converse(alice.core, carol.core, 'carol'));
  const aliceId = (await alice.core.getSession())!.user.id;
  const bobId = (await bob.core.getSession())!.user.id;
  const carolId = (await carol.core.getSession())!.user.id;
  const group = await alice.core.createGroup({ name: 'Trip', memberIds: [bobId, carolId] });
  await eventually(
    async () => (await bob.core.listConversations()).some((summary) => summary.id === group.id),
    (found) => found,
    'the group reaches bob',
  );

  // A device of hers away (working offline) from before the block: it catches up afterwards. It is
  // linked now, as a device linked later reads nothing sealed before.
  const laptop = await person(clients, server, 'alice', { existing: true, linkedFrom: alice.core });
  await devicesPublished(server, aliceId, 2);
  await laptop.core.setPreferences({ workOffline: true });
  await offline(laptop.core);

  await alice.core.setBlocked({ userId: bobId, blocked: true });
  await blockStored(server, aliceId, bobId, true);
  await carol.core.sendMessage({ conversationId: group.id, text: 'from carol' });
  await settled(carol.core, group.id);
  await bob.core.sendMessage({ conversationId: group.id, text: 'hidden one' });
  await bob.core.sendMessage({ conversationId: group.id, text: 'hidden two' });
  // carol gets them all; alice only carol's, one unread.
  await eventually(
    () => texts(carol.core, group.id),
    (list) => list.join() === 'from carol,hidden one,hidden two',
    'carol has every message',
  );
  await eventually(
    () => texts(alice.core, group.id),
    (list) => list.join() === 'from carol',
    'alice has carol’s message',
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await texts(alice.core, group.id)).toEqual(['from carol']);
  expect(await unread(alice.core, group.id)).toBe(1);
  // Her device that was away catches up to the same, and is not left waiting for the hidden run.
  await laptop.core.setPreferences({ workOffline: false });
  await eventually(
    () => texts(laptop.core, group.id),
    (list) => list.join() === 'from carol',
    'the device that was away catches up past the hidden run',
  );
  expect(await unread(laptop.core, group.id)).toBe(1);

  await alice.core.setBlocked({ userId: bobId, blocked: false });
  await blockStored(server, aliceId, bobId, false);
  await bob.core.sendMessage({ conversationId: group.id, text: 'after' });
  for (const core of [alice.core, laptop.core]) {
    await eventually(
      () => texts(core, group.id),
      (list) => list.join() === 'from carol,after',
      'the message after the unblock arrives, the hidden ones never',
    );
  }
});
