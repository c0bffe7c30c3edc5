import { afterEach, expect, it } from 'vitest';
import type { Conversation, PresencePush } from '../../../sync/protocol/frames.js';
import {
  createServerHarness,
  groupChange,
  groupOf,
  manualRuntime,
  people,
  type SocketPerson,
  type TestClient,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/**
 * Presence flows only between people who share a conversation both wrote in (presence-rules.ts).
 * Leaving a group, or being removed from it, can end that: then each hears the other away, last
 * seen unknown (as when a block begins), and nothing about the other after that. Presence steps run
 * one at a time in order, so once a socket has a later step's push, every earlier step's pushes to
 * any socket have been written: a barrier then makes "nothing else arrived" a fact.
 */

/** What `socket` was told about `userId`, from push index `from` on. */
function presenceAbout(socket: TestClient, userId: string, from = 0): Array<Omit<PresencePush, 'type' | 'userId'>> {
  return socket.pushes
    .slice(from)
    .filter((push): push is PresencePush => push.type === 'presence' && push.userId === userId)
    .map(({ online, lastSeenAt }) => ({ online, lastSeenAt }));
}

/** Where what `socket` got after `push` begins. */
function after(socket: TestClient, push: PresencePush): number {
  return socket.pushes.indexOf(push) + 1;
}

/** The first presence push about `userId` that arrives after this call: call it before the cause. */
function nextPresence(socket: TestClient, userId: string): Promise<PresencePush> {
  const before = socket.pushes.length;
  return socket.waitForPush('presence', (push) => push.userId === userId && socket.pushes.indexOf(push) >= before);
}

/**
 * The next "presence about `userId` is gone" push `socket` gets after this call: call it before the
 * cause. (An introduction may be told twice, the second time after this call; it does no harm.)
 */
function nextGone(socket: TestClient, userId: string): Promise<PresencePush> {
  const before = socket.pushes.length;
  return socket.waitForPush(
    'presence',
    (push) => push.userId === userId && !push.online && push.lastSeenAt === null && socket.pushes.indexOf(push) >= before,
  );
}

/** Each writes in the group in turn; resolves once every pair of them has been introduced there. */
async function allWrite(group: Conversation, writers: SocketPerson[]): Promise<void> {
  const introduced = writers.flatMap((one) =>
    writers.filter((other) => other !== one).map((other) => nextPresence(one.socket, other.user.id)),
  );
  for (const [index, writer] of writers.entries()) await writer.socket.send(group.id, `${group.id}-${index}`, 'Hello');
  for (const push of await Promise.all(introduced)) expect(push).toMatchObject({ online: true });
}

describeEachStore('presence after parting', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('ends both ways when one leaves the only group both wrote in, and keeps flowing through a group still shared', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const server = await h.startServer({ runtime });
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const trip = await groupOf(alice, [bob, carol]);
    const dinner = await groupOf(bob, [carol]);
    await allWrite(trip, [alice, bob, carol]);
    await allWrite(dinner, [bob, carol]);
    const bobGoneForAlice = nextGone(alice.socket, bob.user.id);
    const aliceGoneForBob = nextGone(bob.socket, alice.user.id);
    await groupChange(bob.socket, trip.id, 'bob-leaves', { kind: 'leave' });
    const told = await bobGoneForAlice;
    await aliceGoneForBob;
    // Carol and bob still share Dinner: each still sees the other online.
    await Promise.all([bob.socket.barrier(), carol.socket.barrier()]);
    expect(presenceAbout(carol.socket, bob.user.id).at(-1)).toEqual({ online: true, lastSeenAt: null });
    expect(presenceAbout(bob.socket, carol.user.id).at(-1)).toEqual({ online: true, lastSeenAt: null });
    const carolMark = carol.socket.pushes.length;

    // Bob goes: carol, who still shares Dinner with him, hears it; alice hears nothing more of him.
    clock.set(2_000);
    const bobOffline = nextPresence(carol.socket, bob.user.id);
    await bob.socket.close();
    expect(await bobOffline).toMatchObject({ online: false, lastSeenAt: 2_000 });
    clock.set(3_000);
    const bobBack = nextPresence(carol.socket, bob.user.id);
    const bobAgain = await h.connect(server, bob.account.token);
    expect(await bobBack).toMatchObject({ online: true, lastSeenAt: 2_000 });
    await alice.socket.barrier();
    expect(presenceAbout(alice.socket, bob.user.id, after(alice.socket, told))).toEqual([]);
    expect(presenceAbout(carol.socket, bob.user.id, carolMark)).toEqual([
      { online: false, lastSeenAt: 2_000 },
      { online: true, lastSeenAt: 2_000 },
    ]);
    // Bob's new connection is told of carol only; and nothing of alice going and coming back.
    await bobAgain.waitForPush('presence', (push) => push.userId === carol.user.id);
    clock.set(4_000);
    const aliceOffline = nextPresence(carol.socket, alice.user.id);
    await alice.socket.close();
    await aliceOffline;
    // Carol hears alice is back in the same step that would tell bob: after it, bob's barrier says.
    const aliceBack = nextPresence(carol.socket, alice.user.id);
    const aliceAgain = await h.connect(server, alice.account.token);
    expect(await aliceBack).toMatchObject({ online: true, lastSeenAt: 4_000 });
    await Promise.all([aliceAgain.barrier(), bobAgain.barrier()]);
    expect(bobAgain.pushesOf('presence').map((push) => push.userId)).toEqual([carol.user.id]);
    expect(aliceAgain.pushesOf('presence').map((push) => push.userId)).toEqual([carol.user.id]);
  });

  it('ends both ways, on every device, when an admin removes someone, though a direct conversation only one wrote in remains', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const { conversation: direct } = await alice.socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    await alice.socket.send(direct.id, 'a-direct', 'Are you coming?');
    const trip = await groupOf(alice, [bob, carol]);
    await allWrite(trip, [alice, bob, carol]);
    const bobLaptop = await h.connect(server, bob.account.token);
    await bobLaptop.waitForPush('presence', (push) => push.userId === alice.user.id);
    const told = [
      nextGone(alice.socket, bob.user.id),
      nextGone(carol.socket, bob.user.id),
      nextGone(bob.socket, alice.user.id),
      nextGone(bob.socket, carol.user.id),
      nextGone(bobLaptop, alice.user.id),
      nextGone(bobLaptop, carol.user.id),
    ];
    await groupChange(alice.socket, trip.id, 'remove-bob', { kind: 'remove_member', userId: bob.user.id });
    const [toAlice, toCarol] = await Promise.all(told);

    // Bob goes and comes back, then carol goes: alice hears of carol only.
    await bobLaptop.close();
    await bob.socket.close();
    const bobAgain = await h.connect(server, bob.account.token);
    const carolOffline = nextPresence(alice.socket, carol.user.id);
    await carol.socket.close();
    expect(await carolOffline).toMatchObject({ online: false });
    await bobAgain.barrier();
    expect(presenceAbout(alice.socket, bob.user.id, after(alice.socket, toAlice!))).toEqual([]);
    expect(presenceAbout(carol.socket, bob.user.id, after(carol.socket, toCarol!))).toEqual([]);
    expect(bobAgain.pushesOf('presence')).toEqual([]);
  });
});
