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
  const bobAccount = await servers.createAccount(server, { username: 'bob' });
  const store = openSqliteServerStore(server.dataDir);
  const groupIds = await seedGroupFlood(store, bobAccount.user.id, { groups: 100 }).finally(() => store.close());

  const transport = new FaultyTransport();
  const listFrameBytes: number[] = [];
  transport.fromServer = (frame: ServerFrame) => {
    if (frame.type === 'conversations') listFrameBytes.push(Buffer.byteLength(JSON.stringify(frame)));
    return 'pass';
  };
  const bob = await person(clients, server, 'bob', { existing: true, transport });

  expect(listFrameBytes.length).toBeGreaterThan(1);
  for (const bytes of listFrameBytes) expect(bytes).toBeLessThan(LIMITS.maxServerFrameBytes);
  const listed = await bob.core.listConversations({ folder: 'all' });
  expect(listed.map((conversation) => conversation.id).sort()).toEqual(groupIds);
  expect((await bob.core.getConversationInfo({ conversationId: groupIds[42]! })).members).toHaveLength(LIMITS.maxGroupMembers);

  await bob.core.sendMessage({ conversationId: groupIds[42]!, text: 'Please stop adding me' });
  await eventually(
    async () => (await bob.core.listMessages({ conversationId: groupIds[42]!, limit: 10 })).messages.map((m) => m.status),
    (statuses) => statuses.includes('sent'),
    'the message reached the server',
  );
  await bob.core.leaveGroup({ conversationId: groupIds[7]! });
  const after = openSqliteServerStore(server.dataDir);
  try {
    await eventually(
      () => after.getConversationForMember(groupIds[7]!, bobAccount.user.id),
      (membership) => membership === null,
      'the server has Bob out of the group',
    );
  } finally {
    await after.close();
  }
}, 180_000);
