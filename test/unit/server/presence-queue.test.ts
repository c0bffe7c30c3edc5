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

/**
 * A node that restarts has a step queued for every connection that comes back: each step waits
 * one round trip to the store, not one per read (the directory, the contacts, the last visit).
 */
describe('a first connection', () => {
  it('reads the contacts and the last visit while the directory is written, and tells the contacts once all three are done', async () => {
    const gates = new Map<string, () => void>();
    const gated = <T>(name: string, value: T) => new Promise<T>((resolve) => gates.set(name, () => resolve(value)));
    const pushes: Array<{ to: string; frame: PresencePush }> = [];
    const toBob: PresencePush[] = [];
    const inFlight = new InFlight();
    const presence = new Presence({
      store: {
        listContacts: () => gated<Contact[]>('contacts', [{ userId: 'alice', lastSeenAt: 5 }]),
        listWriters: () => Promise.resolve([]),
        getLastSeen: () => gated('last seen', 700),
        recordLastSeen: () => Promise.resolve(),
      },
      registry: {
        isOnline: (userId) => userId === 'alice',
        isOnlineElsewhere: () => false,
        pushToUsers: (userIds, frame) => {
          for (const to of userIds) pushes.push({ to, frame: frame as PresencePush });
        },
        pushHere: () => undefined,
      },
      cluster: { connectionsChanged: () => gated('directory', undefined) },
      clock: { now: () => 1_000 },
      logger: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined },
      inFlight,
    });
    presence.connected(
      { userId: 'bob', push: (frame) => void toBob.push(frame as PresencePush), pushText: () => undefined },
      true,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect([...gates.keys()].sort()).toEqual(['contacts', 'directory', 'last seen']);
    expect(pushes).toEqual([]);
    // Nobody hears of Bob before the directory has him.
    gates.get('contacts')!();
    gates.get('last seen')!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pushes).toEqual([]);
    gates.get('directory')!();
    await inFlight.drain();
    expect(toBob).toEqual([{ type: 'presence', userId: 'alice', online: true, lastSeenAt: 5 }]);
    expect(pushes).toEqual([{ to: 'alice', frame: { type: 'presence', userId: 'bob', online: true, lastSeenAt: 700 } }]);
  });
});
