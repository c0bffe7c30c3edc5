import { afterEach, expect, it } from 'vitest';
import type { OnlineVisibility, PresencePush } from '../../../sync/protocol/frames.js';
import {
  bothWrite,
  createServerHarness,
  manualRuntime,
  type Pair,
  type TestClient,
  type TestServer,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/** "Show when I'm online" set from `socket`'s device at `at` (the register's clock). */
async function showOnline(socket: TestClient, value: OnlineVisibility, at: number): Promise<void> {
  await socket.call(
    { type: 'set_settings', settings: [{ setting: { kind: 'show_online', value }, at, by: 'device-1' }] },
    'settings',
  );
}

function presenceAbout(socket: TestClient, userId: string): Array<Omit<PresencePush, 'type' | 'userId'>> {
  return socket
    .pushesOf('presence')
    .filter((push) => push.userId === userId)
    .map(({ online, lastSeenAt }) => ({ online, lastSeenAt }));
}

describeEachStore('presence privacy', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  /** Alice and bob, who have both written to each other, and alice's second device. */
  async function talkingPair(server: TestServer): Promise<Pair & { aliceLaptop: TestClient }> {
    const pair = await h.pair(server);
    await bothWrite(pair);
    const aliceLaptop = await h.connect(server, pair.alice.token);
    await aliceLaptop.waitForPush('presence', (push) => push.userId === pair.bob.user.id);
    // Each has been told the other is online (the push when they became contacts may come after the
    // second send's reply), so the pushes a test counts from here on are its own.
    await pair.bobSocket.waitForPush('presence', (push) => push.userId === pair.alice.user.id && push.online);
    await pair.aliceSocket.waitForPush('presence', (push) => push.userId === pair.bob.user.id && push.online);
    return { ...pair, aliceLaptop };
  }

  it('"nobody" hides presence and last seen from everyone at once, and the person sees nobody’s either', async () => {
    const { runtime, clock } = manualRuntime(1_000);
    const server = await h.startServer({ runtime });
    const { alice, bob, aliceSocket, bobSocket, aliceLaptop } = await talkingPair(server);
    const bobMark = bobSocket.pushes.length;
    const aliceMark = aliceLaptop.pushes.length;

    await showOnline(aliceSocket, 'nobody', 2_000);
    // Withdrawn without reconnecting: bob sees alice away, last seen unknown; alice's devices see
    // bob so too (the one that changed it, and the other one).
    const hidden = { online: false, lastSeenAt: null };
    expect(await bobSocket.waitForPush('presence', (p) => bobSocket.pushes.indexOf(p) >= bobMark)).toMatchObject(hidden);
    expect(await aliceLaptop.waitForPush('presence', (p) => aliceLaptop.pushes.indexOf(p) >= aliceMark)).toMatchObject({
      userId: bob.user.id,
      ...hidden,
    });
    await aliceSocket.waitForPush('presence', (p) => p.userId === bob.user.id && !p.online);

    // From now on nothing about either reaches the other: not bob leaving, not alice leaving and
    // coming back (her last seen), not a new connection's snapshot.
    clock.set(3_000);
    await bobSocket.close();
    clock.set(4_000);
    await aliceLaptop.close();
    await aliceSocket.close();
    const aliceAgain = await h.connect(server, alice.token);
    const bobAgain = await h.connect(server, bob.token);
    await Promise.all([aliceAgain.barrier(), bobAgain.barrier()]);
    expect(aliceAgain.pushesOf('presence')).toEqual([]);
    expect(bobAgain.pushesOf('presence')).toEqual([]);

    // Back to everyone: both hear each other again, at once.
    await showOnline(aliceAgain, 'everyone', 5_000);
    expect(await aliceAgain.waitForPush('presence', (p) => p.userId === bob.user.id)).toMatchObject({
      online: true,
      lastSeenAt: 3_000,
    });
    expect(await bobAgain.waitForPush('presence', (p) => p.userId === alice.user.id)).toMatchObject({
      online: true,
      lastSeenAt: 4_000,
    });
  });

  it('"nobody" on the other side hides them from me, and my own presence from them', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket } = await talkingPair(server);
    await showOnline(bobSocket, 'nobody', 2_000);
    await aliceSocket.waitForPush('presence', (p) => p.userId === bob.user.id && !p.online && p.lastSeenAt === null);
    await bobSocket.waitForPush('presence', (p) => p.userId === alice.user.id && !p.online && p.lastSeenAt === null);
    const before = presenceAbout(bobSocket, alice.user.id).length;
    // Alice's second device comes and goes: bob, who hides, is told nothing of it.
    const aliceLaptop = await h.connect(server, alice.token);
    await aliceLaptop.close();
    await aliceSocket.close();
    const aliceAgain = await h.connect(server, alice.token);
    await Promise.all([aliceAgain.barrier(), bobSocket.barrier()]);
    expect(presenceAbout(bobSocket, alice.user.id)).toHaveLength(before);
    expect(aliceAgain.pushesOf('presence')).toEqual([]);
  });

  it('an older write of the setting changes nothing, and writing the same value again withdraws nothing twice', async () => {
    const server = await h.startServer();
    const { bob, aliceSocket, bobSocket } = await talkingPair(server);
    await showOnline(aliceSocket, 'nobody', 2_000);
    await bobSocket.waitForPush('presence', (p) => !p.online && p.lastSeenAt === null);
    await showOnline(aliceSocket, 'everyone', 1_500);
    await showOnline(aliceSocket, 'nobody', 2_500);
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    expect(presenceAbout(bobSocket, aliceSocket.user.id).filter((p) => p.lastSeenAt === null && !p.online)).toHaveLength(1);
    expect(presenceAbout(aliceSocket, bob.user.id).at(-1)).toEqual({ online: false, lastSeenAt: null });
  });

  it('typing still flows between two who both wrote when one hides when they are online', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, bobSocket, conversation } = await talkingPair(server);
    await showOnline(aliceSocket, 'nobody', 2_000);
    await aliceSocket.call({ type: 'typing', conversationId: conversation.id }, 'ok');
    expect(await bobSocket.waitForPush('typing')).toEqual({
      type: 'typing',
      conversationId: conversation.id,
      userId: alice.user.id,
    });
  });
});
