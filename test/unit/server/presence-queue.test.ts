import { describe, expect, it } from 'vitest';
import type { PresencePush } from '../../../sync/protocol/frames.js';
import { InFlight } from '../../../sync/server/in-flight.js';
import { Presence } from '../../../sync/server/presence.js';
import type { Contact } from '../../../sync/server/store/server-store.js';

/**
 * Presence steps run one at a time, in order. A withdrawal (a block began, "Show when I'm online"
 * became nobody) is one of them: a step queued before it read the contacts before the change, and
 * must not tell anyone "online" after the withdrawal did.
 */
describe('presence withdrawal in the queue', () => {
  function world() {
    const pushes: Array<{ to: string; frame: PresencePush }> = [];
    let releaseContacts: (contacts: Contact[]) => void = () => undefined;
    // The first read waits until the test lets it go: it read the contacts before the block.
    const firstRead = new Promise<Contact[]>((resolve) => {
      releaseContacts = resolve;
    });
    const inFlight = new InFlight();
    const presence = new Presence({
      store: {
        listContacts: () => firstRead,
        listWriters: () => Promise.resolve([]),
        getLastSeen: () => Promise.resolve(null),
        recordLastSeen: () => Promise.resolve(),
      },
      registry: {
        isOnline: () => true,
        isOnlineElsewhere: () => false,
        pushToUsers: (userIds, frame) => {
          for (const to of userIds) pushes.push({ to, frame: frame as PresencePush });
        },
        pushHere: () => undefined,
      },
      cluster: null,
      clock: { now: () => 1_000 },
      logger: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined },
      inFlight,
    });
    return { presence, pushes, inFlight, release: (contacts: Contact[]) => releaseContacts(contacts) };
  }

  it('tells "away" last, after a step that read the contacts before the block', async () => {
    const { presence, pushes, inFlight, release } = world();
    // Bob is still online: his contacts, Alice among them, are to hear it (the read is slow).
    presence.stillOnline('bob');
    // Meanwhile Alice blocks Bob.
    presence.withdraw({ userId: 'alice', others: ['bob'] });
    release([{ userId: 'alice', lastSeenAt: null }]);
    await inFlight.drain();

    const aliceHeardOfBob = pushes.filter((push) => push.to === 'alice' && push.frame.userId === 'bob');
    expect(aliceHeardOfBob.map((push) => push.frame.online)).toEqual([true, false]);
    expect(aliceHeardOfBob.at(-1)?.frame).toEqual({ type: 'presence', userId: 'bob', online: false, lastSeenAt: null });
    expect(pushes.filter((push) => push.to === 'bob' && push.frame.userId === 'alice').map((push) => push.frame.online)).toEqual([
      false,
    ]);
  });

  it('tells nobody anything for a withdrawal from no one', async () => {
    const { presence, pushes, inFlight } = world();
    presence.withdraw({ userId: 'alice', others: [] });
    await inFlight.drain();
    expect(pushes).toEqual([]);
  });
});
