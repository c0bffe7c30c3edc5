import { afterEach, expect, it } from 'vitest';
import type { PresencePush } from '../../../sync/protocol/frames.js';
import {
  bothWrite,
  createServerHarness,
  groupChange,
  groupOf,
  manualRuntime,
  people,
  presenceSettled,
  type TestClient,
} from '../../support/server-harness.js';
import { eventually } from '../../support/client-harness.js';
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

/** Presence as the socket saw it change: a frame that repeats the one before it tells nothing new. */
function changesOf(frames: Array<Omit<PresencePush, 'type' | 'userId'>>): Array<Omit<PresencePush, 'type' | 'userId'>> {
  return frames.filter(
    (frame, index) =>
      index === 0 || frame.online !== frames[index - 1]!.online || frame.lastSeenAt !== frames[index - 1]!.lastSeenAt,
  );
}

/**
 * The first presence push about `userId` saying `online` that arrives after this call: call it
 * before the cause. A late repeat of what the socket was already told (an introduction that
 * arrives after the step that settled it) is not the push the cause brings; `changesOf` checks
 * that repeats tell nothing new.
 */
function nextPresence(socket: TestClient, userId: string, online: boolean): Promise<PresencePush> {
  const before = socket.pushes.length;
  return socket.waitForPush(
    'presence',
    (push) => push.userId === userId && push.online === online && socket.pushes.indexOf(push) >= before,
  );
}

/**
 * Whom the socket heard presence of, each once: an introduction may be told twice (the first
 * writer's step, run after the second one wrote, and the second's own), which tells nothing new.
 */
function heardOf(socket: TestClient): string[] {
  return [...new Set(socket.pushesOf('presence').map((push) => push.userId))];
}

function waitForPresence(socket: TestClient, userId: string, online: boolean): Promise<PresencePush> {
  return socket.waitForPush('presence', (push) => push.userId === userId && push.online === online);
}

describeEachStore('presence', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('follows the welcome with one presence frame per contact: online, offline with last seen; none for who never wrote', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const server = await h.startServer({ runtime });
    const alice = await h.createAccount(server, { username: 'alice' });
    const bob = await h.createAccount(server, { username: 'bob' });
    const carol = await h.createAccount(server, { username: 'carol' });
    const dave = await h.createAccount(server, { username: 'dave' });
    await h.createAccount(server, { username: 'stranger' });
    const aliceSocket = await h.connect(server, alice.token);
    const daveSocket = await h.connect(server, dave.token);
    const bobSocket = await h.connect(server, bob.token);
    for (const [account, socket] of [
      [bob, bobSocket],
      [dave, daveSocket],
    ] as const) {
      const { conversation } = await aliceSocket.call(
        { type: 'start_conversation', username: account.user.username },
        'conversation',
      );
      await socket.waitForPush('conversation_added', (push) => push.conversation.id === conversation.id);
      await bothWrite({ alice, bob: account, aliceSocket, bobSocket: socket, conversation });
    }
    // Carol has a conversation with alice, and alice wrote in it; carol never did.
    const { conversation: withCarol } = await aliceSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation');
    await aliceSocket.send(withCarol.id, 'to-carol', 'Are you there?');
    clock.set(5_000);
    const bobLeft = nextPresence(aliceSocket, bob.user.id, false);
    await bobSocket.close();
    expect(await bobLeft).toMatchObject({ online: false, lastSeenAt: 5_000 });
    // Bob's going was queued behind every introduction, so those have all pushed to Dave by now. Alice's
    // step may have run after Dave wrote and introduced her to him besides his own: a repeat, no news.
    await daveSocket.barrier();
    expect(changesOf(presenceOf(daveSocket, alice.user.id))).toEqual([{ online: true, lastSeenAt: null }]);
    const daveMark = daveSocket.pushes.length;

    const alicePhone = await h.connect(server, alice.token);
    const expected = [
      { type: 'presence', userId: bob.user.id, online: false, lastSeenAt: 5_000 },
      { type: 'presence', userId: dave.user.id, online: true, lastSeenAt: null },
    ];
    await Promise.all(expected.map((push) => waitForPresence(alicePhone, push.userId, push.online)));
    // Right after the welcome, before anything else; nothing about carol.
    expect(alicePhone.pushes.slice(0, 3).map((p) => p.type)).toEqual(['welcome', 'presence', 'presence']);
    await alicePhone.barrier();
    const snapshot = alicePhone.pushesOf('presence');
    expect([...snapshot].sort((x, y) => x.userId.localeCompare(y.userId))).toEqual(
      [...expected].sort((x, y) => x.userId.localeCompare(y.userId)),
    );
    expect(snapshot.map((p) => p.userId)).not.toContain(carol.user.id);
    // Alice's second device changes nothing for her contacts: she was online already. (Its step has
    // run: the phone has its snapshot; any push it made to Dave is in by his barrier.)
    await daveSocket.barrier();
    expect(daveSocket.pushes.slice(daveMark).filter((push) => push.type === 'presence' && push.userId === alice.user.id)).toEqual(
      [],
    );
  });

  it('pushes the first connect and the last disconnect to contacts, not the ones in between, not to oneself', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const server = await h.startServer({ runtime });
    const pair = await h.pair(server);
    const { bob, aliceSocket, bobSocket: bobPhone } = pair;
    await bothWrite(pair);
    await waitForPresence(aliceSocket, bob.user.id, true);
    await presenceSettled({ h, server, account: pair.alice, socket: aliceSocket, contactId: bob.user.id });
    clock.set(2_000);
    const offline = nextPresence(aliceSocket, bob.user.id, false);
    await bobPhone.close();
    expect(await offline).toMatchObject({ online: false, lastSeenAt: 2_000 });

    clock.set(3_000);
    const online = nextPresence(aliceSocket, bob.user.id, true);
    const bobPhoneAgain = await h.connect(server, bob.token);
    // Online again; lastSeenAt still says when the previous visit ended.
    expect(await online).toMatchObject({ online: true, lastSeenAt: 2_000 });
    const bobLaptop = await h.connect(server, bob.token);
    await waitForPresence(bobLaptop, aliceSocket.user.id, true);
    await bobPhoneAgain.close();
    clock.set(4_000);
    const offlineAgain = nextPresence(aliceSocket, bob.user.id, false);
    await bobLaptop.close();
    expect(await offlineAgain).toMatchObject({ online: false, lastSeenAt: 4_000 });

    await aliceSocket.barrier();
    // Each one's introduction may have told Alice he is online (whoever wrote first is introduced
    // when the step runs, and Bob may have written by then): a repeat tells nothing new.
    expect(changesOf(presenceOf(aliceSocket, bob.user.id))).toEqual([
      // Once both had written: both online.
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

  it('introduces two people once both have written, not when a conversation starts or one of them writes', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server, { username: 'alice' });
    const bob = await h.createAccount(server, { username: 'bob' });
    await h.createAccount(server, { username: 'carol' });
    const aliceSocket = await h.connect(server, alice.token);
    const bobSocket = await h.connect(server, bob.token);

    const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    await bobSocket.waitForPush('conversation_added');
    // Starting a conversation lets nobody watch anybody, and nor does writing alone.
    await aliceSocket.send(conversation.id, 'a1', 'Hello?');
    await aliceSocket.send(conversation.id, 'a2', 'Hello??');
    await bobSocket.waitForPush('event', (push) => push.event.seq === 2);
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(aliceSocket.pushesOf('presence')).toEqual([]);
    expect(bobSocket.pushesOf('presence')).toEqual([]);
    // Bob leaves and comes back: still nothing either way. (His socket is closed on his side before
    // the server has let go of it: back too soon, he would never have left.)
    await bobSocket.close();
    await eventually(
      () =>
        server.database!.query<{ n: number | string }>(
          `SELECT COUNT(*) AS n FROM users WHERE id = '${bob.user.id}' AND last_seen_at IS NOT NULL`,
        ),
      (rows) => Number(rows[0]?.n) === 1,
      'the server recording when Bob left',
    );
    const bobAgain = await h.connect(server, bob.token);
    await Promise.all([aliceSocket.barrier(), bobAgain.barrier()]);
    expect(aliceSocket.pushesOf('presence')).toEqual([]);
    expect(bobAgain.pushesOf('presence')).toEqual([]);

    // Bob answers: each hears the other's presence at once, without reconnecting.
    await bobAgain.send(conversation.id, 'b1', 'Hi');
    // Bob left once: his last seen is when.
    const bobOnline = await waitForPresence(aliceSocket, bob.user.id, true);
    expect(typeof bobOnline.lastSeenAt).toBe('number');
    expect(await waitForPresence(bobAgain, alice.user.id, true)).toMatchObject({ lastSeenAt: null });
    // Later messages introduce nobody again.
    await bobAgain.send(conversation.id, 'b2', 'Still here');
    await aliceSocket.send(conversation.id, 'a3', 'Good');
    await Promise.all([aliceSocket.barrier(), bobAgain.barrier()]);
    expect(aliceSocket.pushesOf('presence')).toHaveLength(1);
    expect(bobAgain.pushesOf('presence')).toHaveLength(1);

    // Carol has never connected, and never wrote: nothing about her.
    const { conversation: withCarol } = await aliceSocket.call({ type: 'start_conversation', username: 'carol' }, 'conversation');
    await aliceSocket.send(withCarol.id, 'c1', 'Hi Carol');
    await aliceSocket.barrier();
    expect(aliceSocket.pushesOf('presence').map((p) => p.userId)).toEqual([bob.user.id]);
  });

  it('in a group, shares presence only among members who have written there: any envelope is writing, a group change is not', async () => {
    const server = await h.startServer();
    const { alice, bob, carol, dave } = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const group = await groupOf(alice, [bob, carol]);
    await alice.socket.send(group.id, 'a1', 'Hello all');
    await bob.socket.waitForPush('event', (push) => push.event.conversationId === group.id && push.event.seq === 2);
    await bob.socket.send(group.id, 'b1', 'Hi');
    await waitForPresence(alice.socket, bob.user.id, true);
    await waitForPresence(bob.socket, alice.user.id, true);
    // Carol reads along but has not written: she sees nobody, nobody sees her.
    await Promise.all([alice.socket.barrier(), bob.socket.barrier(), carol.socket.barrier()]);
    expect(carol.socket.pushesOf('presence')).toEqual([]);
    expect(heardOf(alice.socket)).toEqual([bob.user.id]);
    expect(heardOf(bob.socket)).toEqual([alice.user.id]);
    // Changing who is in the group is not writing: not being made an admin, not adding someone.
    await groupChange(alice.socket, group.id, 'admin-carol', { kind: 'set_role', userId: carol.user.id, role: 'admin' });
    await groupChange(carol.socket, group.id, 'add-dave', { kind: 'add_members', userIds: [dave.user.id] });
    // Whatever presence steps the changes set off are over (and pushed) after this.
    await presenceSettled({ h, server, account: alice.account, socket: carol.socket, contactId: bob.user.id });
    await Promise.all([alice.socket.barrier(), bob.socket.barrier()]);
    expect(carol.socket.pushesOf('presence')).toEqual([]);
    expect(heardOf(alice.socket)).toEqual([bob.user.id]);

    // Any envelope is: the server cannot tell a reaction from a message.
    await carol.socket.send(group.id, 'c1', '👍 on a1');
    await waitForPresence(carol.socket, alice.user.id, true);
    await waitForPresence(carol.socket, bob.user.id, true);
    await waitForPresence(alice.socket, carol.user.id, true);
    await waitForPresence(bob.socket, carol.user.id, true);
  });
  it('keeps last-seen times across a restart, including for users connected at shutdown', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const first = await h.startServer({ runtime });
    const pair = await h.pair(first);
    const { alice, bob, aliceSocket, bobSocket } = pair;
    await bothWrite(pair);
    await waitForPresence(aliceSocket, bob.user.id, true);
    await presenceSettled({ h, server: first, account: alice, socket: aliceSocket, contactId: bob.user.id });
    clock.set(2_000);
    const bobLeft = nextPresence(aliceSocket, bob.user.id, false);
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
