import { afterEach, expect, it } from 'vitest';
import type { PresencePush } from '../../../sync/protocol/frames.js';
import { createServerHarness, manualRuntime, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/**
 * Presence steps run one at a time in the order of the transitions. So once a socket has the
 * push of some step, every earlier step's pushes have been written too, and a barrier on any
 * other socket makes "nothing else arrived there" a fact rather than a guess about timing.
 */
function presenceOf(socket: TestClient, userId: string): Array<Omit<PresencePush, 'type' | 'userId'>> {
  return socket
    .pushesOf('presence')
    .filter((push) => push.userId === userId)
    .map(({ online, lastSeenAt }) => ({ online, lastSeenAt }));
}

/** The first presence push about `userId` that arrives after this call: call it before the cause. */
function nextPresence(socket: TestClient, userId: string): Promise<PresencePush> {
  const before = socket.pushes.length;
  return socket.waitForPush('presence', (push) => push.userId === userId && socket.pushes.indexOf(push) >= before);
}

function waitForPresence(socket: TestClient, userId: string, online: boolean): Promise<PresencePush> {
  return socket.waitForPush('presence', (push) => push.userId === userId && push.online === online);
}

describeEachStore('presence', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('follows the welcome with one presence frame per contact: online, offline with last seen, never seen', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const server = await h.startServer({ runtime });
    const alice = await h.createAccount(server, { username: 'alice' });
    const bob = await h.createAccount(server, { username: 'bob' });
    const carol = await h.createAccount(server, { username: 'carol' });
    const dave = await h.createAccount(server, { username: 'dave' });
    await h.createAccount(server, { username: 'stranger' });
    const aliceSocket = await h.connect(server, alice.token);
    for (const username of ['bob', 'carol', 'dave']) {
      await aliceSocket.call({ type: 'start_conversation', username }, 'conversation');
    }
    // Introducing alice and dave is a step of its own after the reply: done once she hears of him,
    // so dave's connection below cannot also hear of her from that step.
    await waitForPresence(aliceSocket, dave.user.id, false);
    const daveSocket = await h.connect(server, dave.token);
    const bobSocket = await h.connect(server, bob.token);
    await waitForPresence(aliceSocket, bob.user.id, true);
    clock.set(5_000);
    const bobLeft = nextPresence(aliceSocket, bob.user.id);
    await bobSocket.close();
    expect(await bobLeft).toMatchObject({ online: false, lastSeenAt: 5_000 });

    const alicePhone = await h.connect(server, alice.token);
    const expected = [
      { type: 'presence', userId: bob.user.id, online: false, lastSeenAt: 5_000 },
      { type: 'presence', userId: carol.user.id, online: false, lastSeenAt: null },
      { type: 'presence', userId: dave.user.id, online: true, lastSeenAt: null },
    ];
    await Promise.all(expected.map((push) => waitForPresence(alicePhone, push.userId, push.online)));
    const snapshot = alicePhone.pushesOf('presence');
    expect([...snapshot].sort((x, y) => x.userId.localeCompare(y.userId))).toEqual(
      [...expected].sort((x, y) => x.userId.localeCompare(y.userId)),
    );
    // Right after the welcome, before anything else.
    expect(alicePhone.pushes.slice(0, 4).map((p) => p.type)).toEqual(['welcome', 'presence', 'presence', 'presence']);
    // Alice's second device changes nothing for her contacts: she was online already.
    await daveSocket.barrier();
    expect(presenceOf(daveSocket, alice.user.id)).toEqual([{ online: true, lastSeenAt: null }]);
  });

  it('pushes the first connect and the last disconnect to contacts, not the ones in between, not to oneself', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const server = await h.startServer({ runtime });
    const { bob, aliceSocket, bobSocket: bobPhone } = await h.pair(server);
    await waitForPresence(aliceSocket, bob.user.id, true);
    clock.set(2_000);
    const offline = nextPresence(aliceSocket, bob.user.id);
    await bobPhone.close();
    expect(await offline).toMatchObject({ online: false, lastSeenAt: 2_000 });

    clock.set(3_000);
    const online = nextPresence(aliceSocket, bob.user.id);
    const bobPhoneAgain = await h.connect(server, bob.token);
    // Online again; lastSeenAt still says when the previous visit ended.
    expect(await online).toMatchObject({ online: true, lastSeenAt: 2_000 });
    const bobLaptop = await h.connect(server, bob.token);
    await waitForPresence(bobLaptop, aliceSocket.user.id, true);
    await bobPhoneAgain.close();
    clock.set(4_000);
    const offlineAgain = nextPresence(aliceSocket, bob.user.id);
    await bobLaptop.close();
    expect(await offlineAgain).toMatchObject({ online: false, lastSeenAt: 4_000 });

    await aliceSocket.barrier();
    expect(presenceOf(aliceSocket, bob.user.id)).toEqual([
      // From the pair's new conversation: both online.
      { online: true, lastSeenAt: null },
      { online: false, lastSeenAt: 2_000 },
      { online: true, lastSeenAt: 2_000 },
      { online: false, lastSeenAt: 4_000 },
    ]);
    // Bob's devices only ever heard about Alice.
    for (const socket of [bobPhoneAgain, bobLaptop]) {
      expect(socket.pushesOf('presence').map((p) => p.userId)).toEqual([aliceSocket.user.id]);
    }
  });

  it('introduces the members of a new conversation to each other at once', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server, { username: 'alice' });
    const bob = await h.createAccount(server, { username: 'bob' });
    const carol = await h.createAccount(server, { username: 'carol' });
    const aliceSocket = await h.connect(server, alice.token);
    const bobSocket = await h.connect(server, bob.token);

    await aliceSocket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    expect(await waitForPresence(aliceSocket, bob.user.id, true)).toEqual({
      type: 'presence',
      userId: bob.user.id,
      online: true,
      lastSeenAt: null,
    });
    expect(await waitForPresence(bobSocket, alice.user.id, true)).toMatchObject({ lastSeenAt: null });
    // Before the conversation they were strangers: neither heard of the other's connect.
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(aliceSocket.pushesOf('presence')).toHaveLength(1);
    expect(bobSocket.pushesOf('presence')).toHaveLength(1);

    // Carol has never connected: offline, never seen.
    await aliceSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation');
    expect(await waitForPresence(aliceSocket, carol.user.id, false)).toMatchObject({ lastSeenAt: null });
    // Bob is no contact of Carol's.
    await bobSocket.barrier();
    expect(bobSocket.pushesOf('presence').map((p) => p.userId)).toEqual([alice.user.id]);
  });

  it('keeps last-seen times across a restart, including for users connected at shutdown', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const first = await h.startServer({ runtime });
    const { alice, bob, aliceSocket, bobSocket } = await h.pair(first);
    await waitForPresence(aliceSocket, bob.user.id, true);
    clock.set(2_000);
    const bobLeft = nextPresence(aliceSocket, bob.user.id);
    await bobSocket.close();
    expect(await bobLeft).toMatchObject({ online: false, lastSeenAt: 2_000 });
    clock.set(3_000);
    // Alice is still connected when the server stops: that is when she was last seen.
    const second = await h.restart(first);

    const bobAgain = await h.connect(second, bob.token);
    expect(await bobAgain.waitForPush('presence')).toEqual({
      type: 'presence',
      userId: alice.user.id,
      online: false,
      lastSeenAt: 3_000,
    });
    clock.set(4_000);
    const aliceAgain = await h.connect(second, alice.token);
    expect(await waitForPresence(bobAgain, alice.user.id, true)).toMatchObject({ lastSeenAt: 3_000 });
    expect(await aliceAgain.waitForPush('presence')).toEqual({
      type: 'presence',
      userId: bob.user.id,
      online: true,
      lastSeenAt: 2_000,
    });
  });
});
