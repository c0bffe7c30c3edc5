/**
 * Disappearing messages between real client cores and a real server (issue 33): the timer is
 * sealed content every device follows; a message keeps the timer it was written with; it goes on
 * the author's devices its timer after it was sent and on the reader's after it was read; a device
 * offline meanwhile never shows it; and the server keeps none of its ciphertext afterwards. The
 * shortest timer is 30 seconds, so the test waits for it in real time, once.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { acceptanceStored, converse, devicesPublished, offline, online, person } from '../../support/people.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const THIRTY_SECONDS = 30_000;
const WEEK = 7 * 24 * 60 * 60 * 1000;

const texts = async (core: TestCore, conversationId: string) =>
  (await core.listMessages({ conversationId })).messages.map((message) => (message.deleted ? '(deleted)' : message.text));

/** The server's stored envelope under a client id: whether its ciphertext is still there. */
function storedCiphertext(dataDir: string, clientId: string): string | null {
  const db = new Database(join(dataDir, SERVER_DATABASE_FILE), { readonly: true });
  try {
    const row = db.prepare("SELECT ciphertext FROM events WHERE kind = 'envelope' AND message_id = ?").get(clientId) as
      { ciphertext: string | null } | undefined;
    return row?.ciphertext ?? null;
  } finally {
    db.close();
  }
}

describe('disappearing messages', () => {
  it('a 30-second message goes on both sides and from the server, and a device offline meanwhile never shows it', async () => {
    const server = await servers.startServer({ disappearingSweepMs: 500 });
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const { core: bobPhone } = await person(clients, server, 'bob', { existing: true, linkedFrom: bob.core });
    await devicesPublished(server, (await bob.core.getSession())!.user.id, 2);
    const conversationId = await converse(alice.core, bob.core, 'bob');
    await acceptanceStored(server, bob.core, conversationId);
    await eventually(
      () => bobPhone.listConversations({ folder: 'all' }),
      (list) => list.some((c) => c.id === conversationId && !c.request),
      'the conversation, accepted, on the phone too',
    );
    await bobPhone.setPreferences({ workOffline: true });
    await offline(bobPhone);

    // Either person of a direct conversation sets it; both see it in force.
    await alice.core.setDisappearingTimer({ conversationId, timerMs: THIRTY_SECONDS });
    for (const core of [alice.core, bob.core]) {
      await eventually(
        async () => (await core.listConversations()).find((c) => c.id === conversationId)?.disappearingTimerMs,
        (timer) => timer === THIRTY_SECONDS,
        'the timer is in force',
      );
    }
    const sent = await alice.core.sendMessage({ conversationId, text: 'Gone in thirty' });
    expect(sent.expiresInMs).toBe(THIRTY_SECONDS);
    const arrived = await eventually(
      async () => (await bob.core.listMessages({ conversationId })).messages.find((m) => m.id === sent.id),
      (message) => message !== undefined,
      'Bob gets it',
    );
    // Unread, its timer has not started on Bob's side; on Alice's it started when the server stored it.
    expect(arrived).toMatchObject({ expiresInMs: THIRTY_SECONDS, expiresAt: null });
    const mine = (await alice.core.listMessages({ conversationId })).messages.find((m) => m.id === sent.id)!;
    expect(mine.expiresAt).toBe(mine.at + THIRTY_SECONDS);
    await bob.core.markRead({ conversationId });
    const read = (await bob.core.listMessages({ conversationId })).messages.find((m) => m.id === sent.id)!;
    expect(read.expiresAt).toBeGreaterThanOrEqual(mine.expiresAt!);
    // A later change of setting changes no message already written.
    await bob.core.setDisappearingTimer({ conversationId, timerMs: WEEK });

    for (const core of [alice.core, bob.core]) {
      await eventually(
        () => texts(core, conversationId),
        (shown) => !shown.includes('Gone in thirty'),
        'it goes',
        45_000,
      );
    }
    expect(await texts(bob.core, conversationId)).not.toContain('(deleted)');
    // The server purges it once both read it and its timer ran: nothing of what it said stays.
    await eventually(
      () => storedCiphertext(server.dataDir, sent.id),
      (ciphertext) => ciphertext === '',
      'the server purges it',
      15_000,
    );

    // Bob's phone comes back after it went: it never shows it, not even as deleted.
    await alice.core.setDisappearingTimer({ conversationId, timerMs: null });
    await alice.core.sendMessage({ conversationId, text: 'Stays' });
    await bobPhone.setPreferences({ workOffline: false });
    await online(bobPhone);
    const onPhone = await eventually(
      () => texts(bobPhone, conversationId),
      (shown) => shown.includes('Stays'),
      'the phone catches up',
    );
    expect(onPhone).not.toContain('Gone in thirty');
    expect(onPhone).not.toContain('(deleted)');
    const notices = (await bobPhone.listMessages({ conversationId })).notices.filter((n) => n.kind === 'disappearing_timer_set');
    expect(notices.map((notice) => notice.timerMs)).toEqual([THIRTY_SECONDS, WEEK, null]);
  }, 120_000);

  it('a device offline while its person read a message in a group goes by when they read it, though others have not', async () => {
    const server = await servers.startServer();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const carol = await person(clients, server, 'carol');
    const { core: bobPhone } = await person(clients, server, 'bob', { existing: true, linkedFrom: bob.core });
    await devicesPublished(server, (await bob.core.getSession())!.user.id, 2);
    await acceptanceStored(server, bob.core, await converse(alice.core, bob.core, 'bob'));
    await acceptanceStored(server, carol.core, await converse(alice.core, carol.core, 'carol'));
    const memberIds = await Promise.all(['bob', 'carol'].map(async (username) => (await alice.core.findUser({ username })).id));
    const { id: groupId } = await alice.core.createGroup({ name: 'Trip', memberIds });
    await alice.core.setDisappearingTimer({ conversationId: groupId, timerMs: THIRTY_SECONDS });
    await eventually(
      async () => (await bobPhone.listConversations({ folder: 'all' })).find((c) => c.id === groupId)?.disappearingTimerMs,
      (timer) => timer === THIRTY_SECONDS,
      'the phone knows the timer',
    );
    await bobPhone.setPreferences({ workOffline: true });
    await offline(bobPhone);

    const sent = await alice.core.sendMessage({ conversationId: groupId, text: 'Read on the laptop' });
    await eventually(
      () => texts(bob.core, groupId),
      (shown) => shown.includes('Read on the laptop'),
      'Bob gets it',
    );
    await bob.core.markRead({ conversationId: groupId });
    await eventually(
      () => texts(bob.core, groupId),
      (shown) => !shown.includes('Read on the laptop'),
      'it goes',
      45_000,
    );
    // Carol never read it: the server keeps it, and only Bob's laptop can tell the phone when he read it.
    expect(storedCiphertext(server.dataDir, sent.id)).not.toBe('');

    await alice.core.setDisappearingTimer({ conversationId: groupId, timerMs: null });
    await alice.core.sendMessage({ conversationId: groupId, text: 'Stays' });
    await bobPhone.setPreferences({ workOffline: false });
    await online(bobPhone);
    await eventually(
      () => texts(bobPhone, groupId),
      (shown) => shown.includes('Stays') && !shown.includes('Read on the laptop'),
      'the phone catches up without it',
    );
    expect(await texts(carol.core, groupId)).toContain('Read on the laptop');
  }, 120_000);

  it('in a group only the owner and admins set the timer until the owner lets every member', async () => {
    const server = await servers.startServer();
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    await acceptanceStored(server, bob.core, await converse(alice.core, bob.core, 'bob'));
    const member = await alice.core.findUser({ username: 'bob' });
    const group = await alice.core.createGroup({ name: 'Trip', memberIds: [member.id] });
    const info = await eventually(
      () => bob.core.getConversationInfo({ conversationId: group.id }).catch(() => null),
      (found) => found !== null && found.members.length === 2,
      'Bob is in the group',
    );
    expect(info?.disappearing).toMatchObject({ timerMs: null, everyoneMaySet: false, mayChange: false, mayChangePolicy: false });
    await expect(bob.core.setDisappearingTimer({ conversationId: group.id, timerMs: WEEK })).rejects.toMatchObject(
      new AppApiError('refused', 'not_allowed'),
    );
    await alice.core.setDisappearingPolicy({ conversationId: group.id, everyone: true });
    await eventually(
      async () => (await bob.core.getConversationInfo({ conversationId: group.id })).disappearing.mayChange,
      (may) => may,
      'Bob may set it now',
    );
    await bob.core.setDisappearingTimer({ conversationId: group.id, timerMs: WEEK });
    await eventually(
      async () => (await alice.core.listConversations()).find((c) => c.id === group.id)?.disappearingTimerMs,
      (timer) => timer === WEEK,
      'Alice sees the timer Bob set',
    );
  }, 60_000);
});
