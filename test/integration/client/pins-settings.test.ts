import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError, type ConversationSummary } from '../../../sync/app-api/contract.js';
import { createServerHarness } from '../../support/server-harness.js';
import { filesHolding } from '../../support/stored-bytes.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { converse, offline, online, person } from '../../support/people.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

type Core = Awaited<ReturnType<typeof person>>['core'];

const summary = async (core: Core, conversationId: string): Promise<ConversationSummary | undefined> =>
  (await core.listConversations({ folder: 'all' })).find((c) => c.id === conversationId);
const pinnedTexts = async (core: Core, conversationId: string) =>
  (await core.listPinnedMessages({ conversationId })).map((p) => [p.text, p.pending]);

/** Alice on two devices, and Bob, in one direct conversation. */
async function twoDevices() {
  const server = await servers.startServer();
  const alice = await person(clients, server, 'alice');
  const bob = await person(clients, server, 'bob');
  const conversationId = await converse(alice.core, bob.core, 'bob');
  // Linked before anything is written: it reads all that is sealed from then on.
  const laptop = await person(clients, server, 'alice', { existing: true, linkedFrom: alice.core });
  await eventually(
    () => laptop.core.listConversations(),
    (list) => list.some((c) => c.id === conversationId),
    'the second device has the conversation',
  );
  return { server, alice, bob, laptop, conversationId };
}

describe('pins between people and devices', () => {
  it('a pin reaches everyone, the newest pinned first; an unpin by the other person too', async () => {
    const { alice, bob, laptop, conversationId } = await twoDevices();
    const first = await bob.core.sendMessage({ conversationId, text: 'first' });
    const second = await alice.core.sendMessage({ conversationId, text: 'second' });
    await eventually(
      async () => (await alice.core.listMessages({ conversationId })).messages.map((m) => m.seq),
      (seqs) => seqs.length === 2 && seqs.every((seq) => seq !== null),
      'both messages stored',
    );
    await alice.core.pinMessage({ conversationId, messageId: first.id, on: true });
    expect(await pinnedTexts(alice.core, conversationId)).toEqual([['first', true]]);
    await alice.core.pinMessage({ conversationId, messageId: second.id, on: true });
    for (const core of [alice.core, bob.core, laptop.core]) {
      await eventually(
        () => pinnedTexts(core, conversationId),
        (list) =>
          JSON.stringify(list) ===
          JSON.stringify([
            ['second', false],
            ['first', false],
          ]),
        'both pins, newest first',
      );
    }
    expect((await bob.core.listPinnedMessages({ conversationId }))[0]).toMatchObject({ pinnedBy: 'Alice', senderName: 'Alice' });
    expect((await laptop.core.listMessages({ conversationId })).messages.map((m) => m.pinned)).toEqual([true, true]);

    await bob.core.pinMessage({ conversationId, messageId: second.id, on: false });
    for (const core of [alice.core, bob.core, laptop.core]) {
      await eventually(
        () => pinnedTexts(core, conversationId),
        (list) => JSON.stringify(list) === JSON.stringify([['first', false]]),
        'the unpin everywhere',
      );
    }
  });
});

describe('settings across one person’s devices', () => {
  it('archive, mute and drafts converge on both devices, the last writer winning, and the server reads none of them', async () => {
    const { server, alice, laptop, conversationId } = await twoDevices();
    await alice.core.setArchived({ conversationId, archived: true });
    expect((await alice.core.listConversations()).map((c) => c.id)).not.toContain(conversationId);
    await eventually(
      async () => (await laptop.core.listConversations({ folder: 'archived' })).map((c) => c.id),
      (ids) => ids.includes(conversationId),
      'archived on the laptop',
    );
    expect(laptop.core.events).toContainEqual({ type: 'settings', conversationIds: [conversationId] });

    await laptop.core.setMuted({ conversationId, muted: true });
    await eventually(
      () => summary(alice.core, conversationId),
      (s) => s?.muted === true,
      'muted on the phone',
    );

    await alice.core.setDraft({ conversationId, text: 'half a thought' });
    await eventually(
      () => laptop.core.getDraft({ conversationId }),
      (draft) => draft?.text === 'half a thought',
      'the draft on the laptop',
    );
    expect(await summary(laptop.core, conversationId)).toMatchObject({ draft: 'half a thought' });
    // Typed on both, the later one stays on both.
    await alice.core.setDraft({ conversationId, text: 'phone words' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await laptop.core.setDraft({ conversationId, text: 'laptop words' });
    for (const core of [alice.core, laptop.core]) {
      await eventually(
        () => core.getDraft({ conversationId }),
        (draft) => draft?.text === 'laptop words',
        'the later draft wins',
      );
    }

    await alice.core.setArchived({ conversationId, archived: false });
    await eventually(
      async () => (await laptop.core.listConversations()).map((c) => c.id),
      (ids) => ids.includes(conversationId),
      'back in the main list on the laptop',
    );
    // They went sealed: no draft is anywhere in what the server stored.
    for (const text of ['half a thought', 'phone words', 'laptop words']) expect(filesHolding(server.dataDir, text)).toEqual([]);
  });

  it('a message from the other person brings the conversation back on every device, unless muted', async () => {
    const { alice, bob, laptop, conversationId } = await twoDevices();
    await alice.core.setArchived({ conversationId, archived: true });
    await eventually(
      () => summary(laptop.core, conversationId),
      (s) => s?.archived === true,
      'archived on the laptop',
    );
    await bob.core.sendMessage({ conversationId, text: 'are you there?' });
    for (const core of [alice.core, laptop.core]) {
      await eventually(
        async () => (await core.listConversations()).map((c) => c.id),
        (ids) => ids.includes(conversationId),
        'back in the main list',
      );
    }
    // Muted and archived: it stays archived whatever arrives.
    await laptop.core.setMuted({ conversationId, muted: true });
    await laptop.core.setArchived({ conversationId, archived: true });
    await eventually(
      () => summary(alice.core, conversationId),
      (s) => s?.archived === true && s.muted,
      'muted and archived on the phone',
    );
    await bob.core.sendMessage({ conversationId, text: 'hello?' });
    await eventually(
      async () => (await laptop.core.listMessages({ conversationId })).messages.length,
      (n) => n === 2,
      'the second message arrives',
    );
    expect(await summary(laptop.core, conversationId)).toMatchObject({ archived: true });
    expect(await summary(alice.core, conversationId)).toMatchObject({ archived: true });

    // Unmuted: what came while it was muted does not bring it back, on either device; the next message does.
    await laptop.core.setMuted({ conversationId, muted: false });
    expect(await summary(laptop.core, conversationId)).toMatchObject({ archived: true, muted: false });
    await eventually(
      () => summary(alice.core, conversationId),
      (s) => s?.archived === true && !s.muted,
      'unmuted and still archived on the phone',
    );
    await bob.core.sendMessage({ conversationId, text: 'and now?' });
    for (const core of [alice.core, laptop.core]) {
      await eventually(
        () => summary(core, conversationId),
        (s) => s?.archived === false,
        'back in the main list after the next message',
      );
    }
  });

  it('changes made offline are kept, and sync when the server is back; a closed device catches up when it opens', async () => {
    const { server, alice, laptop, conversationId } = await twoDevices();
    const laptopDir = laptop.profileDir;
    await laptop.core.close();
    const port = server.port;
    await server.close();
    await offline(alice.core);
    await alice.core.setMuted({ conversationId, muted: true });
    await alice.core.setDraft({ conversationId, text: 'written on a train' });
    await alice.core.setArchived({ conversationId, archived: true });
    expect(await summary(alice.core, conversationId)).toMatchObject({ muted: true, archived: true, draft: 'written on a train' });

    await servers.startServer({ dataDir: server.dataDir, port });
    await online(alice.core);
    const reopened = await clients.open(laptopDir, server.url);
    await online(reopened);
    await eventually(
      () => summary(reopened, conversationId),
      (s) => s?.muted === true && s.archived && s.draft === 'written on a train',
      'the laptop has every change',
    );
    expect(await reopened.getDraft({ conversationId })).toEqual({ text: 'written on a train', replyTo: null });
  });

  it('a draft typed offline survives closing and reopening the app, and reaches the other device once online', async () => {
    const { server, alice, laptop, conversationId } = await twoDevices();
    const port = server.port;
    await server.close();
    await offline(alice.core);
    await alice.core.setDraft({ conversationId, text: 'typed before the restart', replyTo: null });
    await alice.core.close();

    const reopened = await clients.open(alice.profileDir, server.url);
    expect(await reopened.getDraft({ conversationId })).toEqual({ text: 'typed before the restart', replyTo: null });
    expect(await summary(reopened, conversationId)).toMatchObject({ draft: 'typed before the restart' });
    await servers.startServer({ dataDir: server.dataDir, port });
    await online(reopened);
    await eventually(
      () => laptop.core.getDraft({ conversationId }),
      (draft) => draft?.text === 'typed before the restart',
      'the draft on the laptop',
    );
  });

  it('a transient failure is retried with backoff; nothing pending is dropped', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const alice = await person(clients, server, 'alice', { transport });
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');
    const laptop = await person(clients, server, 'alice', { existing: true, linkedFrom: alice.core });
    let refusals = 0;
    transport.fromClient = (frame) => {
      if (frame.type !== 'set_settings' || refusals >= 2) return 'pass';
      refusals += 1;
      return { answer: { type: 'error', rid: frame.rid, code: 'internal', message: 'try again later' } };
    };
    await alice.core.setMuted({ conversationId, muted: true });
    await alice.core.setDraft({ conversationId, text: 'one' });
    await alice.core.setDraft({ conversationId, text: 'two' });
    await eventually(
      () => summary(laptop.core, conversationId),
      (s) => s?.muted === true && s.draft === 'two',
      'the laptop has both, after the retries',
    );
    expect(refusals).toBe(2);
    // Only the latest draft went out once the server took them, sealed: the server reads neither.
    const accepted = transport.sent.filter((frame) => frame.type === 'set_settings');
    const registers = accepted.flatMap((frame) => (frame.type === 'set_settings' ? frame.settings : []));
    expect(registers.map((r) => r.setting.kind)).toEqual(['sealed', 'sealed']);
    expect(JSON.stringify(transport.sent)).not.toMatch(/muted|draft|"two"/);
  });

  it('sending empties the draft on every device', async () => {
    const { alice, laptop, conversationId } = await twoDevices();
    await alice.core.setDraft({ conversationId, text: 'about to send' });
    await eventually(
      () => laptop.core.getDraft({ conversationId }),
      (draft) => draft?.text === 'about to send',
      'the draft on the laptop',
    );
    await alice.core.sendMessage({ conversationId, text: 'about to send' });
    expect(await alice.core.getDraft({ conversationId })).toBeNull();
    await eventually(
      () => laptop.core.getDraft({ conversationId }),
      (draft) => draft === null,
      'no draft on the laptop',
    );
  });
});

describe('blocking', () => {
  it('the blocker cannot send; what the blocked person sends never arrives, and what comes after the unblock does', async () => {
    const { server, alice, bob, laptop, conversationId } = await twoDevices();
    const bobId = (await bob.core.getSession())!.user.id;
    // A third device, away (working offline) from the block to the end: it then catches up.
    const tablet = await person(clients, server, 'alice', { existing: true, linkedFrom: alice.core });
    await bob.core.sendMessage({ conversationId, text: 'before' });
    for (const core of [laptop.core, tablet.core]) {
      await eventually(
        async () => (await core.listMessages({ conversationId })).messages.length,
        (n) => n === 1,
        'the laptop and the tablet have it',
      );
    }
    await tablet.core.setPreferences({ workOffline: true });
    await offline(tablet.core);
    await alice.core.setBlocked({ userId: bobId, blocked: true });
    expect(await alice.core.listBlocked()).toEqual([{ id: bobId, username: 'bob', displayName: 'Bob' }]);
    expect(await summary(alice.core, conversationId)).toMatchObject({ blocked: true });
    await expect(alice.core.sendMessage({ conversationId, text: 'nope' })).rejects.toEqual(new AppApiError('refused', 'blocked'));
    await eventually(
      () => laptop.core.listBlocked(),
      (list) => list.length === 1,
      'the block reaches the laptop',
    );
    await eventually(
      async () => {
        try {
          await laptop.core.sendMessage({ conversationId, text: 'nope' });
          return 'sent';
        } catch (error) {
          return error instanceof AppApiError ? error.message : 'other';
        }
      },
      (outcome) => outcome === 'blocked',
      'the laptop refuses too',
    );

    // Stored for Bob alone: sent as far as he can tell, never delivered to Alice.
    const hidden = await bob.core.sendMessage({ conversationId, text: 'hidden one' });
    await bob.core.sendMessage({ conversationId, text: 'hidden two' });
    await eventually(
      async () => (await bob.core.listMessages({ conversationId })).messages.map((m) => m.status),
      (statuses) => statuses.length === 3 && statuses.every((status) => status !== 'sending'),
      'Bob’s sends acknowledged',
    );
    await bob.core.pinMessage({ conversationId, messageId: hidden.id, on: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await alice.core.listMessages({ conversationId })).messages.map((m) => m.text)).toEqual(['before']);

    await alice.core.setBlocked({ userId: bobId, blocked: false });
    expect(await alice.core.listBlocked()).toEqual([]);
    // The unblock takes effect once the server has it (what Bob sends before that is still hidden):
    // the laptop hears of it from the server.
    await eventually(
      () => laptop.core.listBlocked(),
      (list) => list.length === 0,
      'the unblock reaches the laptop',
    );
    await bob.core.sendMessage({ conversationId, text: 'after' });
    for (const core of [alice.core, laptop.core]) {
      await eventually(
        async () => (await core.listMessages({ conversationId })).messages.map((m) => m.text),
        (list) => JSON.stringify(list) === JSON.stringify(['before', 'after']),
        'the message after the unblock arrives, the hidden ones never',
      );
    }
    // A device that was away catches up past the hidden run too (a device linked now could read
    // nothing sealed before it was linked, so the one away was linked first).
    await tablet.core.setPreferences({ workOffline: false });
    await eventually(
      async () => (await tablet.core.listMessages({ conversationId })).messages.map((m) => m.text),
      (list) => JSON.stringify(list) === JSON.stringify(['before', 'after']),
      'the device that was away catches up past the hidden run',
    );
  });
});
