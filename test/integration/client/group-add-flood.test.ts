/**
 * Issue 30, group-add flood, as the app meets it: strangers put Bob into a hundred groups of 1,000
 * members, more than one frame a client accepts could list. His client syncs them all, page after
 * page, then writes in one and leaves another.
 */
import { afterEach, expect, it } from 'vitest';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { seedGroupFlood } from '../../support/group-flood.js';
import { person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

it('a person in 100 groups of 1,000 members syncs them all page by page, writes in one and leaves one', async () => {
  const server = await servers.startServer();
  const transport = new FaultyTransport();
  // Bob signs up (his device makes the account's identity) and closes the app; strangers then put
  // him in the groups, which his device learns of when it opens again.
  const bob = await person(clients, server, 'bob', { transport });
  const bobId = (await bob.core.getSession())!.user.id;
  await bob.core.close();
  const store = openSqliteServerStore(server.dataDir);
  const groupIds = await seedGroupFlood(store, bobId, { groups: 100 }).finally(() => store.close());

  const listFrameBytes: number[] = [];
  transport.fromServer = (frame: ServerFrame) => {
    if (frame.type === 'conversations') listFrameBytes.push(Buffer.byteLength(JSON.stringify(frame)));
    return 'pass';
  };
  const reopened = await clients.open(bob.profileDir, server.url, transport);
  // The whole list and the catch-up of every group come before "online": a while on a busy machine.
  await eventually(
    () => reopened.getConnectionState(),
    (state) => state === 'online',
    'online after syncing every group',
    120_000,
  );

  expect(listFrameBytes.length).toBeGreaterThan(1);
  for (const bytes of listFrameBytes) expect(bytes).toBeLessThan(LIMITS.maxServerFrameBytes);
  const listed = await reopened.listConversations({ folder: 'all' });
  expect(listed.map((conversation) => conversation.id).sort()).toEqual(groupIds);
  expect((await reopened.getConversationInfo({ conversationId: groupIds[42]! })).members).toHaveLength(LIMITS.maxGroupMembers);

  await reopened.sendMessage({ conversationId: groupIds[42]!, text: 'Please stop adding me' });
  await eventually(
    async () => (await reopened.listMessages({ conversationId: groupIds[42]!, limit: 10 })).messages.map((m) => m.status),
    (statuses) => statuses.includes('sent'),
    'the message reached the server',
  );
  await reopened.leaveGroup({ conversationId: groupIds[7]! });
  const after = openSqliteServerStore(server.dataDir);
  try {
    await eventually(
      () => after.getConversationForMember(groupIds[7]!, bobId),
      (membership) => membership === null,
      'the server has Bob out of the group',
    );
  } finally {
    await after.close();
  }
}, 180_000);
