/**
 * A client process killed with SIGKILL at random moments — while it sends, and while it applies a
 * large catch-up — must reopen to an intact mirror that lost, doubled and reordered nothing.
 *
 * The client is test/support/client-driver.ts (a real client core in its own process) against a
 * real server in this process; after each kill the test reads the profile's mirror.sqlite from
 * disk. Kill moments come from a seeded generator; the seed is printed (FAULT_SEED=<n> replays it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServer } from '../../support/server-harness.js';
import { createProcessHarness, sleep, type ScriptProcess } from '../../support/processes.js';
import {
  envelopesWaiting,
  mirrorProblems,
  mirrorUserId,
  readMirror,
  readServer,
  serverProblems,
  type MirrorMessage,
  type ServerEvent,
} from '../../support/db-invariants.js';
import { devicesPublished } from '../../support/people.js';
import { engineDevices, postAll, signal } from '../../support/crypto-devices.js';
import { faultSeed, seededRandom } from '../../support/seeded-random.js';

const DRIVER = 'test/support/client-driver.ts';

const servers = createServerHarness();
const devices = engineDevices(servers);
const processes = createProcessHarness();
const dirs: string[] = [];
afterEach(async () => {
  await processes.cleanup();
  await devices.cleanup();
  await servers.cleanup();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function profileDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-crash-profile-'));
  dirs.push(dir);
  return dir;
}

function startDriver(server: TestServer, profile: string, username: string, mode: string[]): ScriptProcess {
  return processes.spawnScript(
    DRIVER,
    ['--profile', profile, '--server', server.url, '--username', username, '--password', DEFAULT_TEST_PASSWORD, ...mode],
    { name: `driver ${username}` },
  );
}

/** The driver's arguments to catch `username` up on what `peer` sent, until it holds `expected` messages. */
const catchUpArgs = (peer: string, expected: number) => ['--mode', 'catch-up', '--peer', peer, '--expect', String(expected)];

/** A last run of the catching-up driver, left to finish: it ends cleanly with everything there. */
async function catchUpToTheEnd(server: TestServer, profile: string, username: string, peer: string, expected: number) {
  const last = startDriver(server, profile, username, catchUpArgs(peer, expected));
  await last.waitForLine(/^done /, { timeoutMs: 60_000 });
  expect((await last.exited).code).toBe(0);
}

const text = (prefix: string, n: number) => `${prefix}${String(n).padStart(4, '0')}`;
const numberOf = (value: string) => Number(value.slice(value.indexOf('-') + 1));

/**
 * What an event in the server's log says, as the sender's mirror knows it: the client seals what it
 * sends, so the server holds an envelope, told by its client id (the message's id in the mirror).
 */
function composedText(event: Pick<ServerEvent, 'kind' | 'clientId'>, byId: ReadonlyMap<string, MirrorMessage>): string {
  const message = event.kind === 'envelope' ? byId.get(event.clientId) : undefined;
  return message?.text ?? `${event.kind} ${event.clientId}, not a message the mirror holds`;
}

/** What the driver printed, over all its runs. */
class Observed {
  readonly queued = new Map<string, string>();
  readonly acked = new Map<string, number>();
  record(lines: readonly string[]): void {
    for (const line of lines) {
      const [what, id, value] = line.split(' ');
      if (what === 'error' || what === 'failed') throw new Error(`driver reported: ${line}`);
      if (what === 'queued' && id && value) this.queued.set(id, value);
      if (what === 'acked' && id && value) this.acked.set(id, Number(value));
    }
  }
}

describe('client killed with SIGKILL', () => {
  it('while sending: after each kill the mirror is intact, acknowledged messages are there once, the rest still queued; the server ends with each message once, in order', async () => {
    const seed = faultSeed(0x5eed01);
    const rng = seededRandom(seed);
    const kills = 8;
    console.log(`[faults] client crash while sending: seed ${seed} (FAULT_SEED=${seed} replays), ${kills} kills`);
    const context = `seed ${seed}`;

    const server = await servers.startServer();
    const alice = await servers.createAccount(server, { username: 'crash-alice' });
    const bob = await servers.createAccount(server, { username: 'crash-bob' });
    const profile = await profileDir();
    const observed = new Observed();
    const send = (count: number) => ['--mode', 'send', '--peer', 'crash-bob', '--count', String(count), '--interval-ms', '4'];
    let conversationId = '';
    let killsWithUnacked = 0;
    let killsSoFar = 0;
    const lostAcks = new Set<string>();

    const check = (round: string): MirrorMessage[] => {
      const mirror = readMirror(profile);
      expect(mirrorProblems(mirror, alice.user.id), `${round}, ${context}`).toEqual([]);
      const own = mirror.messages.filter((m) => m.senderId === alice.user.id);
      // Composed in order, each once: m-0001 … m-K with nothing missing or doubled.
      expect(
        own.map((m) => numberOf(m.text)).sort((a, b) => a - b),
        `${round}: composed texts, ${context}`,
      ).toEqual(own.map((_, i) => i + 1));
      const byId = new Map(own.map((m) => [m.id, m]));
      for (const [id, queuedText] of observed.queued) {
        const stored = byId.get(id);
        expect(stored?.text, `${round}: queued ${id} ${queuedText} is in the mirror, ${context}`).toBe(queuedText);
        const ackedSeq = observed.acked.get(id);
        if (ackedSeq !== undefined)
          expect(stored?.seq, `${round}: acked ${queuedText} keeps seq ${ackedSeq}, ${context}`).toBe(ackedSeq);
        // Otherwise mirrorProblems already proved it is acknowledged or pending in the outbox.
      }
      // Each kill may have struck between a composition and its "queued" line, no more.
      expect(own.length - observed.queued.size, `${round}: unreported compositions, ${context}`).toBeLessThanOrEqual(killsSoFar);
      // Acknowledged in composition order.
      const acked = own.filter((m) => m.seq !== null).sort((a, b) => a.seq! - b.seq!);
      expect(
        acked.map((m) => numberOf(m.text)),
        `${round}: acknowledged order, ${context}`,
      ).toEqual(acked.map((_, i) => i + 1));

      const serverState = readServer(server.dataDir);
      expect(serverProblems(serverState), `${round}, ${context}`).toEqual([]);
      const events = serverState.events.filter((e) => e.conversationId === conversationId);
      // The server holds a prefix of what was composed, in order, each once; the mirror agrees on every seq it knows.
      expect(
        events.map((e) => composedText(e, byId)),
        `${round}: server log, ${context}`,
      ).toEqual(events.map((_, i) => text('m-', i + 1)));
      const serverById = new Map(events.map((e) => [e.clientId, e]));
      for (const message of acked) {
        expect(serverById.get(message.id)?.seq, `${round}: ${message.text} has the same seq on the server, ${context}`).toBe(
          message.seq,
        );
      }
      for (const event of events)
        expect(byId.has(event.clientId), `${round}: server event ${event.clientId} is known to the mirror`).toBe(true);
      // Stored by the server but never acknowledged to the mirror: the resend after restart must not double it.
      for (const m of own) if (m.seq === null && serverById.has(m.id)) lostAcks.add(m.id);
      return own;
    };

    for (let round = 1; round <= kills; round += 1) {
      const driver = startDriver(server, profile, 'crash-alice', send(40));
      const ready = await driver.waitForLine(/^ready /);
      conversationId = ready.split(' ')[1]!;
      await sleep(rng.int(0, 350));
      await driver.kill('SIGKILL');
      killsSoFar += 1;
      observed.record(driver.lines);
      const own = check(`after kill ${round}`);
      if (own.some((m) => m.seq === null)) killsWithUnacked += 1;
    }
    console.log(
      `[faults] ${killsWithUnacked} of ${kills} kills left unacknowledged messages behind; ${lostAcks.size} stored by the server before the client heard (seed ${seed})`,
    );

    // Back for good: it sends what is left and a few more, and every message reaches the server once, in order.
    const last = startDriver(server, profile, 'crash-alice', send(10));
    const done = await last.waitForLine(/^done /, { timeoutMs: 60_000 });
    expect((await last.exited).code).toBe(0);
    observed.record(last.lines);
    const total = Number(done.split(' ')[1]);
    const own = check('after the final run');
    expect(own).toHaveLength(total);
    expect(own.every((m) => m.seq !== null)).toBe(true);
    expect(readMirror(profile).outbox).toEqual([]);
    const events = readServer(server.dataDir).events.filter((e) => e.conversationId === conversationId);
    const byId = new Map(own.map((m) => [m.id, m]));
    expect(events.map((e) => [e.seq, e.clientId, composedText(e, byId)])).toEqual(
      [...own].sort((a, b) => a.seq! - b.seq!).map((m) => [m.seq, m.id, m.text]),
    );
    expect(events.map((e) => composedText(e, byId))).toEqual(Array.from({ length: total }, (_, i) => text('m-', i + 1)));
    // And what the peer gets by catching up: each message's envelope once, in the order composed.
    const peer = await servers.connect(server, bob.token);
    const caughtUp = await peer.allEvents(conversationId);
    expect(caughtUp.map((e) => [e.seq, 'clientId' in e ? composedText(e, byId) : e.kind])).toEqual(
      Array.from({ length: total }, (_, i) => [i + 1, text('m-', i + 1)]),
    );
  }, 180_000);

  it('while applying a large catch-up: after each kill the cursor has no gap below it and matches the server; at the end it has everything once', async () => {
    const seed = faultSeed(0x5eed02);
    const rng = seededRandom(seed);
    const backlog = 4000;
    const kills = 4;
    console.log(
      `[faults] client crash during catch-up: seed ${seed} (FAULT_SEED=${seed} replays), backlog ${backlog}, ${kills} kills`,
    );
    const context = `seed ${seed}`;

    const server = await servers.startServer();
    // Bob's app first, so what Alice seals is handed to its device; then it goes away.
    const profile = await profileDir();
    const signUp = startDriver(server, profile, 'backlog-bob', ['--create', '--mode', 'catch-up', '--peer', 'backlog-alice']);
    await signUp.waitForLine(/^online$/);
    const bobId = mirrorUserId(profile);
    await devicesPublished(server, bobId, 1);
    await signUp.kill('SIGKILL');

    // Alice writes from a device of her own in this process: sealed under her sender key, sent pipelined.
    const sender = await servers.createAccount(server, { username: 'backlog-alice' });
    const alice = {
      device: await devices.device(server, sender.user.id, sender.token, signal.IdentityKeyPair.generate()),
      socket: await servers.connect(server, sender.token),
    };
    const { conversation } = await alice.socket.call({ type: 'start_conversation', username: 'backlog-bob' }, 'conversation');
    let sent = 0;
    /** Seals and sends `count` more messages (the server keeps their order). */
    const sendMore = async (count: number, gapMs = 0) => {
      for (let done = 0; done < count;) {
        const batch = Math.min(count - done, gapMs > 0 ? 1 : 250);
        const contents = Array.from({ length: batch }, () => {
          const clientId = text('a-', ++sent);
          return { clientId, content: { kind: 'message' as const, text: clientId } };
        });
        await postAll(alice, conversation.id, contents);
        done += batch;
        if (gapMs > 0) await sleep(gapMs);
      }
    };
    await sendMore(backlog);

    let midway = 0;
    const check = (round: string, printed: number): number => {
      const mirror = readMirror(profile);
      expect(mirrorProblems(mirror, bobId), `${round}, ${context}`).toEqual([]);
      const cursor = mirror.conversations.find((c) => c.id === conversation.id)?.appliedSeq ?? 0;
      expect(printed, `${round}: what the driver saw applied is still applied, ${context}`).toBeLessThanOrEqual(cursor);
      const events = readServer(server.dataDir).events.filter((e) => e.conversationId === conversation.id);
      const held = mirror.messages.filter((m) => m.conversationId === conversation.id);
      // Exactly the server's first `cursor` envelopes, each opened once, in seq order (each says its own id).
      expect(
        held.map((m) => [m.seq, m.id, m.text]),
        `${round}: mirror vs server, ${context}`,
      ).toEqual(events.slice(0, cursor).map((e) => [e.seq, e.clientId, e.clientId]));
      expect(envelopesWaiting(profile), `${round}: waiting for a key, ${context}`).toEqual([]);
      expect(mirror.outbox).toEqual([]);
      return cursor;
    };

    let cursor = 0;
    for (let round = 1; round <= kills; round += 1) {
      const driver = startDriver(server, profile, 'backlog-bob', catchUpArgs('backlog-alice', sent));
      // Live messages arrive while it catches up (pushes during a catch-up must not skip or double anything).
      const live = sendMore(rng.int(5, 25), rng.int(1, 10));
      const target = cursor + Math.ceil((sent - cursor) * (0.1 + rng.next() * 0.4));
      await driver.waitForLine((line) => line.startsWith('progress ') && Number(line.split(' ')[1]) >= target);
      await sleep(rng.int(0, 25));
      await driver.kill('SIGKILL');
      await live;
      const printed = Math.max(0, ...driver.lines.filter((l) => l.startsWith('progress ')).map((l) => Number(l.split(' ')[1])));
      cursor = check(`after kill ${round}`, printed);
      if (cursor < sent) midway += 1;
      console.log(`[faults] catch-up kill ${round}: cursor ${cursor} of ${sent} (asked to kill past ${target})`);
    }
    expect(midway, `at least one kill must land mid catch-up (${context})`).toBeGreaterThan(0);

    await catchUpToTheEnd(server, profile, 'backlog-bob', 'backlog-alice', sent);
    expect(check('after the final run', 0)).toBe(sent);
  }, 180_000);

  it('while opening a sealed catch-up: after each kill what opened is stored with the key that opened it, nothing waits for a burned key, and at the end every message reads once', async () => {
    const seed = faultSeed(0x5eed03);
    const rng = seededRandom(seed);
    const backlog = 4500;
    const kills = 4;
    console.log(`[faults] client crash opening sealed envelopes: seed ${seed} (FAULT_SEED=${seed} replays), backlog ${backlog}`);
    const context = `seed ${seed}`;
    const server = await servers.startServer();

    // Bob's device first, so what Alice seals is handed to it; then it goes away.
    const bobProfile = await profileDir();
    const signUp = startDriver(server, bobProfile, 'sealed-bob', ['--create', '--mode', 'catch-up', '--peer', 'sealed-alice']);
    await signUp.waitForLine(/^online$/);
    const bobId = mirrorUserId(bobProfile);
    await devicesPublished(server, bobId, 1);
    await signUp.kill('SIGKILL');

    // Alice's app seals the backlog (a sender key, handed to Bob's device through its inbox).
    const aliceProfile = await profileDir();
    const alice = startDriver(server, aliceProfile, 'sealed-alice', [
      '--create',
      '--mode',
      'send',
      '--peer',
      'sealed-bob',
      '--count',
      String(backlog),
    ]);
    const ready = await alice.waitForLine(/^ready /, { timeoutMs: 60_000 });
    const conversationId = ready.split(' ')[1]!;
    await alice.waitForLine(/^done /, { timeoutMs: 120_000 });
    expect(
      readServer(server.dataDir).events.filter((e) => e.conversationId === conversationId && e.kind === 'envelope'),
    ).toHaveLength(backlog);

    const check = (round: string): number => {
      const mirror = readMirror(bobProfile);
      expect(mirrorProblems(mirror, bobId), `${round}, ${context}`).toEqual([]);
      const cursor = mirror.conversations.find((c) => c.id === conversationId)?.appliedSeq ?? 0;
      const held = mirror.messages.filter((m) => m.conversationId === conversationId);
      // Every envelope up to the cursor opened: its message, in order, each once, none waiting.
      expect(
        held.map((m) => [m.seq, m.text]),
        `${round}: opened, ${context}`,
      ).toEqual(Array.from({ length: cursor }, (_, i) => [i + 1, text('m-', i + 1)]));
      expect(envelopesWaiting(bobProfile), `${round}: waiting for a key, ${context}`).toEqual([]);
      return cursor;
    };

    let cursor = 0;
    let midway = 0;
    for (let round = 1; round <= kills; round += 1) {
      const driver = startDriver(server, bobProfile, 'sealed-bob', catchUpArgs('sealed-alice', backlog));
      const target = cursor + Math.ceil((backlog - cursor) * (0.1 + rng.next() * 0.4));
      await driver.waitForLine((line) => line.startsWith('progress ') && Number(line.split(' ')[1]) >= target, {
        timeoutMs: 60_000,
      });
      await sleep(rng.int(0, 25));
      await driver.kill('SIGKILL');
      cursor = check(`after kill ${round}`);
      if (cursor < backlog) midway += 1;
      console.log(`[faults] sealed catch-up kill ${round}: ${cursor} of ${backlog} opened (asked to kill past ${target})`);
    }
    expect(midway, `at least one kill must land mid catch-up (${context})`).toBeGreaterThan(0);

    await catchUpToTheEnd(server, bobProfile, 'sealed-bob', 'sealed-alice', backlog);
    expect(check('after the final run')).toBe(backlog);
  }, 240_000);
});
