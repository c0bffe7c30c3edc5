/**
 * The network between real client cores and the real server misbehaves: a loopback TCP proxy per
 * client stalls (bytes held, sockets open), cuts (FIN) and resets (RST) connections on a seeded
 * schedule while everyone sends. Clients must notice a stalled socket by themselves (a request
 * without an answer times out after 15 s), reconnect, catch up, resend, and all devices must end
 * with identical message lists: each message once, in the order its author wrote them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { composeNext, connectTriangle, expectComposedOnceInOrder, expectConverged, type ComposedTexts } from './triangle.js';
import { createClientHarness, eventually, FaultyTransport, type TestCore } from '../../support/client-harness.js';
import { acceptedBy } from '../../support/people.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { mirrorProblems, readMirror, readServer, serverProblems } from '../../support/db-invariants.js';
import { sleep } from '../../support/processes.js';
import { faultSeed, seededRandom } from '../../support/seeded-random.js';

const servers = createServerHarness();
const clients = createClientHarness();
const proxies: FaultProxy[] = [];
afterEach(async () => {
  await clients.cleanup();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await servers.cleanup();
});

interface Person {
  name: string;
  core: TestCore;
  profileDir: string;
  userId: string;
  proxy: FaultProxy;
  conversations: string[];
  composed: Map<string, string[]>;
}

describe('network faults between clients and server', () => {
  it('stalls, cuts and resets: clients detect the stall, reconnect, catch up and converge', async () => {
    const seed = faultSeed(0x5eed04);
    const rng = seededRandom(seed);
    const faults = 8;
    const longStallAt = rng.int(1, faults - 2);
    console.log(
      `[faults] network: seed ${seed} (FAULT_SEED=${seed} replays), ${faults} faults, the long stall is fault ${longStallAt + 1}`,
    );
    const context = `seed ${seed}`;

    const server = await servers.startServer();
    const people: Person[] = [];
    for (const name of ['net-ann', 'net-ben', 'net-cat']) {
      const proxy = await startFaultProxy(server.port);
      proxies.push(proxy);
      const profileDir = await clients.profileDir();
      const core = await clients.open(profileDir, proxy.url);
      const session = await core.createAccount({
        serverUrl: proxy.url,
        username: name,
        displayName: name,
        password: DEFAULT_TEST_PASSWORD,
      });
      await eventually(
        () => core.getConnectionState(),
        (state) => state === 'online',
        `${name} online`,
      );
      people.push({ name, core, profileDir, userId: session.user.id, proxy, conversations: [], composed: new Map() });
    }
    await connectTriangle(people);

    let stopped = false;
    const cap = 300;
    const texts: ComposedTexts = new Map();
    const senders = people.map(async (person, index) => {
      const pace = seededRandom(seed + index + 1);
      for (let round = 1; round <= cap && !stopped; round += 1) {
        for (const conversationId of person.conversations) await composeNext(person, conversationId, texts);
        await sleep(pace.int(60, 140));
      }
    });

    const log: string[] = [];
    try {
      for (let step = 0; step < faults; step += 1) {
        await sleep(rng.int(200, 1000));
        const person = rng.pick(people);
        const { proxy } = person;
        if (step === longStallAt) {
          // Long enough for the client to give up on the socket by itself: wait until it opens a
          // new connection (which stalls too, like everything in the tunnel), then let bytes flow.
          const before = proxy.accepted;
          proxy.stall();
          await eventually(
            () => proxy.accepted,
            (accepted) => accepted > before,
            `${person.name} notices the stalled socket`,
            45_000,
          );
          proxy.unstall();
          log.push(`long stall ${person.name} (noticed, reconnected)`);
          continue;
        }
        const kind = rng.pick(['cut', 'reset', 'stall'] as const);
        if (kind === 'cut') proxy.cut();
        if (kind === 'reset') proxy.reset();
        if (kind === 'stall') {
          const ms = rng.int(200, 2500);
          proxy.stall();
          await sleep(ms);
          proxy.unstall();
        }
        log.push(`${kind} ${person.name}`);
      }
      await sleep(500);
    } finally {
      stopped = true;
      for (const proxy of proxies) proxy.unstall();
      await Promise.all(senders);
    }
    console.log(`[faults] network schedule (seed ${seed}): ${log.join(', ')}`);

    // -- convergence: the server holds sealed envelopes, so the texts come from what was composed --
    await expectConverged(people, () => readServer(server.dataDir), texts, context, 60_000);
    const final = readServer(server.dataDir);
    expect(serverProblems(final), context).toEqual([]);
    expectComposedOnceInOrder(people, final, context);
    for (const person of people) {
      const mirror = readMirror(person.profileDir);
      expect(mirrorProblems(mirror, person.userId), `${person.name}'s mirror, ${context}`).toEqual([]);
      expect(mirror.outbox, `${person.name}'s outbox`).toEqual([]);
    }
    // Both members of each conversation hold the same list (each compared with the server's log above).
    console.log(
      `[faults] network: ${final.events.length} messages; connections per client: ${people.map((p) => `${p.name} ${p.proxy.accepted}`).join(', ')}`,
    );
  }, 180_000);

  it('a catch-up cut off by a disconnect is not an unhandled rejection (it would end the core process); the client still converges', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const server = await servers.startServer();
      const bobTransport = new FaultyTransport();
      const alice = await clients.open(await clients.profileDir(), server.url);
      const bob = await clients.open(await clients.profileDir(), server.url, bobTransport);
      await alice.createAccount({
        serverUrl: server.url,
        username: 'gap-alice',
        displayName: 'Alice',
        password: DEFAULT_TEST_PASSWORD,
      });
      await bob.createAccount({
        serverUrl: server.url,
        username: 'gap-bob',
        displayName: 'Bob',
        password: DEFAULT_TEST_PASSWORD,
      });
      await eventually(
        () => alice.getConnectionState(),
        (state) => state === 'online',
        'alice online',
      );
      await eventually(
        () => bob.getConnectionState(),
        (state) => state === 'online',
        'bob online',
      );
      const { id: conversationId } = await alice.startConversation({ username: 'gap-bob' });
      await acceptedBy(bob, conversationId);

      // Bob misses the push of seq 1, so seq 2 reveals a gap and starts a catch-up in the
      // background; its request goes unanswered and the connection drops while it waits.
      let cutOnce = false;
      bobTransport.fromServer = (frame) => (frame.type === 'event' && frame.event.seq === 1 ? 'drop' : 'pass');
      bobTransport.fromClient = (frame, socket) => {
        if (frame.type !== 'catch_up' || cutOnce) return 'pass';
        cutOnce = true;
        setTimeout(() => socket.close(), 10);
        return 'drop';
      };
      await alice.sendMessage({ conversationId, text: 'one' });
      await alice.sendMessage({ conversationId, text: 'two' });
      await eventually(
        () => cutOnce,
        (cut) => cut,
        'the catch-up was cut off',
      );
      bobTransport.fromServer = () => 'pass';
      await eventually(
        async () => (await bob.listMessages({ conversationId })).messages.map((m) => [m.seq, m.text]),
        (list) =>
          JSON.stringify(list) ===
          JSON.stringify([
            [1, 'one'],
            [2, 'two'],
          ]),
        'bob converges after reconnecting',
        20_000,
      );
      // Give a stray rejection its turn of the event loop before judging.
      await sleep(50);
      expect(rejections.map((reason) => String(reason))).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  }, 60_000);
});
