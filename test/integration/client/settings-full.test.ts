/**
 * When the server has no room for more of a person's sealed settings (settings_full, the
 * account's budget: docs/protocol.md §16): what they changed stays in effect on this device and
 * pending, the core says so (getCoreState: settingsFull), nothing is sent again and again, the
 * settings the server reads still go, and everything goes once there is room.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncSocket } from '../../../sync/client/transport.js';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { converse, person } from '../../support/people.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const summary = async (core: TestCore, conversationId: string) =>
  (await core.listConversations({ folder: 'all' })).find((c) => c.id === conversationId);
const settingsFull = async (core: TestCore) => {
  const state = await core.getCoreState();
  return state.kind === 'ready' && state.settingsFull;
};

describe('settings the server has no room for', () => {
  it('stay in effect here and wait, sent once per connection or new write (never in a loop), and go once there is room', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const alice = await person(clients, server, 'alice', { transport });
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');
    const laptop = await person(clients, server, 'alice', { existing: true, linkedFrom: alice.core });
    await eventually(
      () => summary(laptop.core, conversationId),
      (found) => found !== undefined,
      'the laptop has the conversation',
    );

    // The server's budget is full: every frame with a sealed register is refused as the server would.
    let full = true;
    let refused = 0;
    let socket: SyncSocket | null = null;
    transport.fromClient = (frame, current) => {
      socket = current;
      if (frame.type !== 'set_settings' || !full || !frame.settings.some((register) => register.setting.kind === 'sealed')) {
        return 'pass';
      }
      refused += 1;
      return {
        answer: {
          type: 'error',
          rid: frame.rid,
          code: 'forbidden',
          reason: 'settings_full',
          message: 'Your sealed settings would use more storage than this server keeps for one account',
        },
      };
    };
    const eventsBefore = alice.core.events.length;
    await alice.core.setDraft({ conversationId, text: 'kept here' });
    await alice.core.setMuted({ conversationId, muted: true });
    await eventually(
      () => settingsFull(alice.core),
      (yes) => yes,
      'the core says the server has no room',
    );
    expect(alice.core.events.slice(eventsBefore)).toContainEqual({ type: 'core_state' });
    // In effect on this device, and not on the other.
    expect(await alice.core.getDraft({ conversationId })).toMatchObject({ text: 'kept here' });
    expect(await summary(alice.core, conversationId)).toMatchObject({ muted: true, draft: 'kept here' });
    expect(await laptop.core.getDraft({ conversationId })).toBeNull();

    // A setting the server reads goes on its own; what waits is not sent again with it.
    const refusedSoFar = refused;
    await alice.core.setShowOnline({ showOnline: 'nobody' });
    await eventually(
      () => laptop.core.getPrivacySettings(),
      (privacy) => privacy.showOnline === 'nobody',
      'the laptop hides when Alice is online',
    );
    expect(refused).toBe(refusedSoFar);
    // A new write of a waiting setting is tried once more, and waits again.
    await alice.core.setDraft({ conversationId, text: 'kept here, and more' });
    await eventually(
      () => refused,
      (count) => count === refusedSoFar + 1,
      'the new draft tried once',
    );
    await alice.core.setShowOnline({ showOnline: 'everyone' });
    await eventually(
      () => laptop.core.getPrivacySettings(),
      (privacy) => privacy.showOnline === 'everyone',
      'the laptop shows when Alice is online',
    );
    expect(refused).toBe(refusedSoFar + 1);
    expect(await settingsFull(alice.core)).toBe(true);

    // Room again (a budget raised, say): the next connection sends what waited, and the core says so.
    full = false;
    (socket as SyncSocket | null)?.close();
    await eventually(
      () => summary(laptop.core, conversationId),
      (found) => found?.muted === true && found.draft === 'kept here, and more',
      'the laptop has the draft and the mute',
    );
    await eventually(
      () => settingsFull(alice.core),
      (yes) => !yes,
      'the core says nothing waits for room',
    );
    expect(refused).toBe(refusedSoFar + 1);
  });

  it("a draft the server's budget has no room for goes once sending empties another: the server takes the emptied one, and then the other", async () => {
    // Room for one long draft (10,000 euro signs seal to about 40,000 characters) and the small
    // registers beside it, not for two.
    const server = await servers.startServer({ settingsBudget: { sealedSettings: 1_000, sealedSettingsBytes: 60_000 } });
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const carol = await person(clients, server, 'carol');
    const withBob = await converse(alice.core, bob.core, 'bob');
    const withCarol = await converse(alice.core, carol.core, 'carol');
    const laptop = await person(clients, server, 'alice', { existing: true, linkedFrom: alice.core });
    const long = '€'.repeat(10_000);

    await alice.core.setDraft({ conversationId: withBob, text: long });
    await eventually(
      () => laptop.core.getDraft({ conversationId: withBob }),
      (draft) => draft?.text === long,
      'the first long draft on the laptop',
    );
    await alice.core.setDraft({ conversationId: withCarol, text: long });
    await eventually(
      () => settingsFull(alice.core),
      (yes) => yes,
      'the core says the server has no room',
    );
    expect(await alice.core.getDraft({ conversationId: withCarol })).toMatchObject({ text: long });

    // Sending empties the first draft: the server takes that, and then the one that waited fits.
    await alice.core.sendMessage({ conversationId: withBob, text: 'sent at last' });
    await eventually(
      () => laptop.core.getDraft({ conversationId: withCarol }),
      (draft) => draft?.text === long,
      'the second long draft on the laptop',
    );
    await eventually(
      () => settingsFull(alice.core),
      (yes) => !yes,
      'the core says nothing waits for room',
    );
    expect(await laptop.core.getDraft({ conversationId: withBob })).toBeNull();
  });
});
