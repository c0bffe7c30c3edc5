/**
 * The server process killed with SIGKILL at random moments while three people send continuously.
 * After each kill its database must be intact and hold every message any client saw acknowledged,
 * no (sender, client id) twice and seqs 1..n without gaps; restarted on the same port and data, the
 * clients reconnect, resend what was in flight, and everyone converges to the server's log. The
 * server stores sealed envelopes, so it is compared by (seq, client id, sender) and the texts each
 * client shows against what the sender composed.
 *
 * The server is the real CLI (`sync/server/cli.ts`) as a child process; the clients are real client
 * cores in this process. Kill moments come from a seeded generator; the seed is printed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { composeNext, connectTriangle, expectComposedOnceInOrder, expectConverged, type ComposedTexts } from './triangle.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { DEFAULT_TEST_PASSWORD, createServerHarness } from '../../support/server-harness.js';
import { createProcessHarness, freePort, sleep, type ScriptProcess } from '../../support/processes.js';
import { mirrorProblems, readMirror, readServer, serverProblems, type ServerSnapshot } from '../../support/db-invariants.js';
import { faultSeed, seededRandom } from '../../support/seeded-random.js';

const processes = createProcessHarness();
const clients = createClientHarness();
const servers = createServerHarness(); // only for its temp dirs
let recorder: NodeJS.Timeout | undefined;
afterEach(async () => {
  clearInterval(recorder);
  await clients.cleanup();
  await processes.cleanup();
  await servers.cleanup();
});

interface Person {
  name: string;
  core: TestCore;
  profileDir: string;
  userId: string;
  conversations: string[];
  /** conversationId → the ids of the messages this person composed there, in order. */
  composed: Map<string, string[]>;
}

/** messageId → what a client showed as acknowledged, the first time it did. */
type Acks = Map<string, { conversationId: string; seq: number; senderId: string; text: string; person: string }>;

describe('server killed with SIGKILL', () => {
  it('while clients send: nothing acknowledged is lost, nothing stored twice, seqs stay gapless, everyone converges', async () => {
    const seed = faultSeed(0x5eed03);
    const rng = seededRandom(seed);
    const kills = 4;
    console.log(`[faults] server crash: seed ${seed} (FAULT_SEED=${seed} replays), ${kills} kills`);
    const context = `seed ${seed}`;

    const port = await freePort();
    const dataDir = await servers.tempDir();
    const url = `ws://127.0.0.1:${port}`;
    let server: ScriptProcess;
    const startServer = async () => {
      // sync/server/cli.ts itself, run through a wrapper that also exits if this test process dies.
      server = processes.spawnScript('test/support/server-process.ts', ['--port', String(port), '--data', dataDir], {
        name: 'sync server',
      });
      await server.waitForLine(/listening on ws:\/\//);
    };
    await startServer();

    const people: Person[] = [];
    for (const name of ['crash-ann', 'crash-ben', 'crash-cat']) {
      const profileDir = await clients.profileDir();
      const core = await clients.open(profileDir, url);
      const session = await core.createAccount({
        serverUrl: url,
        username: name,
        displayName: name,
        password: DEFAULT_TEST_PASSWORD,
      });
      await eventually(
        () => core.getConnectionState(),
        (state) => state === 'online',
        `${name} online`,
        20_000,
      );
      people.push({ name, core, profileDir, userId: session.user.id, conversations: [], composed: new Map() });
    }
    await connectTriangle(people);

    // -- the workload: everyone sends into both conversations until told to stop ---------------
    let stopped = false;
    const cap = 400;
    const texts: ComposedTexts = new Map();
    const senders = people.map(async (person, index) => {
      const pace = seededRandom(seed + index + 1);
      for (let round = 1; round <= cap && !stopped; round += 1) {
        for (const conversationId of person.conversations) await composeNext(person, conversationId, texts);
        await sleep(pace.int(30, 70));
      }
    });

    const acks: Acks = new Map();
    const ackConflicts: string[] = [];
    /** Notes every acknowledgement the clients show; returns how many own messages are still unacknowledged. */
    const recordAcks = async () => {
      let queued = 0;
      for (const person of people) {
        for (const conversationId of person.conversations) {
          const page = await person.core.listMessages({ conversationId, limit: 1000 });
          for (const message of page.messages) {
            if (message.own && message.seq === null) queued += 1;
            if (!message.own || message.seq === null) continue;
            const known = acks.get(message.id);
            if (!known) {
              acks.set(message.id, {
                conversationId,
                seq: message.seq,
                senderId: message.senderId,
                text: message.text,
                person: person.name,
              });
            } else if (known.seq !== message.seq) {
              ackConflicts.push(`${message.text} was acknowledged as seq ${known.seq}, later shown as ${message.seq}`);
            }
          }
        }
      }
      return queued;
    };
    // (A failure here shows in the awaited calls below; the timer only samples more often.)
    recorder = setInterval(() => void recordAcks().catch(() => undefined), 50);

    const checkServer = (when: string, snapshot: ServerSnapshot) => {
      expect(serverProblems(snapshot), `${when}, ${context}`).toEqual([]);
      const byClientId = new Map(snapshot.events.map((e) => [`${e.senderId}/${e.clientId}`, e]));
      const missing: string[] = [];
      for (const [id, ack] of acks) {
        // The envelope is sealed: the server is judged by where it stored the id, the text by the composer.
        const stored = byClientId.get(`${ack.senderId}/${id}`);
        if (!stored || stored.seq !== ack.seq || stored.conversationId !== ack.conversationId || stored.kind !== 'envelope') {
          missing.push(`${ack.text} (seq ${ack.seq}) → ${stored ? `${stored.kind} at seq ${stored.seq}` : 'missing'}`);
        }
        if (ack.text !== texts.get(id)) missing.push(`${id} shown as ${ack.text}, composed as ${texts.get(id)}`);
      }
      expect(missing, `${when}: acknowledged messages on the server, ${context}`).toEqual([]);
      expect(ackConflicts, context).toEqual([]);
    };

    try {
      for (let kill = 1; kill <= kills; kill += 1) {
        // Kill while they are connected and sending (right after a restart, they drain what they queued offline).
        for (const person of people) {
          await eventually(
            () => person.core.getConnectionState(),
            (state) => state === 'online',
            `${person.name} back online`,
            30_000,
          );
        }
        await sleep(rng.int(0, 500));
        await server!.kill('SIGKILL');
        // Whatever any client shows as acknowledged now was acknowledged by the server before it died.
        const queued = await recordAcks();
        const snapshot = readServer(dataDir);
        checkServer(`after kill ${kill}`, snapshot);
        console.log(
          `[faults] server kill ${kill}: ${snapshot.events.length} events stored, ${acks.size} acknowledgements seen, ${queued} messages queued in clients`,
        );
        await sleep(rng.int(50, 700)); // clients keep composing, offline
        await startServer();
      }
      await sleep(500);
    } finally {
      stopped = true;
      await Promise.all(senders);
    }

    // -- convergence -------------------------------------------------------------------------
    for (const person of people) {
      for (const conversationId of person.conversations) {
        await eventually(
          () => person.core.listMessages({ conversationId, limit: 1000 }),
          (page) => page.messages.every((m) => !m.own || m.seq !== null),
          `${person.name} has everything acknowledged`,
          60_000,
        );
      }
    }
    clearInterval(recorder);
    await recordAcks();
    await expectConverged(people, () => readServer(dataDir), texts, context, 30_000);

    // One more crash, then the final word on the database.
    await server!.kill('SIGKILL');
    const final = readServer(dataDir);
    checkServer('at the end', final);
    // Everything composed is there, once, in the order it was written.
    expectComposedOnceInOrder(people, final, context);
    for (const person of people) {
      const mirror = readMirror(person.profileDir);
      expect(mirrorProblems(mirror, person.userId), `${person.name}'s mirror, ${context}`).toEqual([]);
      expect(mirror.outbox, `${person.name}'s outbox`).toEqual([]);
    }
    const total = final.events.length;
    console.log(`[faults] server crash: ${total} messages, ${acks.size} acknowledgements checked (seed ${seed})`);
    expect(acks.size).toBe(total);
  }, 180_000);
});
