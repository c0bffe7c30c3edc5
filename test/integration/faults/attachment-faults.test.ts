/**
 * Uploads interrupted every way a person's machine interrupts them — the app closed mid-upload,
 * the network cut at random moments, the process killed with SIGKILL — must resume from the
 * server's last confirmed offset (never from zero: fewer bytes than twice the file go through the
 * proxy) and deliver the file exactly once, byte for byte. Interruption moments come from a
 * seeded generator; the seed is printed (FAULT_SEED=<n> replays it).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageView } from '../../../sync/app-api/contract.js';
import { attachFile, fileBytes, storedBytes } from '../../support/attachments-files.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { acceptedBy } from '../../support/people.js';
import { readMirrorAttachments, readServer } from '../../support/db-invariants.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { createProcessHarness, freePort, sleep } from '../../support/processes.js';
import { faultSeed, seededRandom } from '../../support/seeded-random.js';
import {
  createServerHarness,
  DEFAULT_TEST_PASSWORD,
  type TestServer,
  type TestServerOptions,
} from '../../support/server-harness.js';

const DRIVER = 'test/support/client-driver.ts';
const MiB = 1024 * 1024;
/** One tus chunk is 8 MiB: a file of three chunks has offsets to resume from. */
const SIZE = 24 * MiB;

const servers = createServerHarness();
const clients = createClientHarness();
const processes = createProcessHarness();
const proxies: FaultProxy[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await processes.cleanup();
  await clients.cleanup();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await servers.cleanup();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attachment-faults-'));
  dirs.push(dir);
  return dir;
}

async function online(core: TestCore) {
  await eventually(
    () => core.getConnectionState(),
    (state) => state === 'online',
    'online',
  );
}

/** Alice's account, reached through a fault proxy (by a core in the test or a driver process); Bob direct. */
async function setUp(server: TestServer) {
  const proxy = await startFaultProxy(server.port);
  proxies.push(proxy);
  await servers.createAccount(server, { username: 'alice' });
  const bob = await clients.open(await clients.profileDir(), server.url);
  await bob.createAccount({ serverUrl: server.url, username: 'bob', displayName: 'Bob', password: DEFAULT_TEST_PASSWORD });
  await online(bob);
  return { proxy, bob };
}

/** Alice signed in through the fault proxy, in a conversation with Bob, a big file in her store. */
async function aliceWithBigFile(serverOptions: TestServerOptions = {}) {
  const server = await servers.startServer(serverOptions);
  const { proxy, bob } = await setUp(server);
  const profile = await clients.profileDir();
  const alice = await clients.open(profile, proxy.url);
  await alice.logIn({ serverUrl: proxy.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
  await online(alice);
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  const bytes = fileBytes(SIZE);
  const file = await attachFile(profile, await tempDir(), 'big.bin', bytes);
  return { server, proxy, bob, profile, alice, conversationId, file, bytes };
}

async function receivedFile(bob: TestCore, what: string): Promise<MessageView> {
  const conversationId = await eventually(
    async () => (await bob.listConversations({ folder: 'all' }))[0]?.id ?? null,
    (id) => id !== null,
    'bob sees the conversation',
    30_000,
  );
  await acceptedBy(bob, conversationId!);
  const list = await eventually(
    async () => (await bob.listMessages({ conversationId: conversationId! })).messages,
    (messages) => messages.length > 0,
    what,
    60_000,
  );
  const [message] = list;
  await bob.downloadAttachment({ conversationId: conversationId!, messageId: message!.id, index: 0 });
  await eventually(
    async () => (await bob.listMessages({ conversationId: conversationId! })).messages[0]?.attachments[0]?.localUrl ?? null,
    (url) => url !== null,
    'bob downloads the file',
    60_000,
  );
  return (await bob.listMessages({ conversationId: conversationId! })).messages[0]!;
}

/**
 * Exactly one message, with the one file, on the server (one sealed envelope under its client id)
 * and at Bob's; Bob's copy opens to the bytes sent.
 */
async function expectDeliveredOnce(server: TestServer, bob: TestCore, bytes: Buffer, what: string): Promise<void> {
  const message = await receivedFile(bob, what);
  expect(message.attachments.map((a) => a.size)).toEqual([SIZE]);
  expect((await storedBytes(bob.profileDir, message.attachments[0]!.sha256))!.equals(bytes)).toBe(true);
  const stored = readServer(server.dataDir).events.filter((event) => event.clientId === message.id);
  expect(stored.map((event) => event.kind)).toEqual(['envelope']);
  expect((await bob.listMessages({ conversationId: message.conversationId })).messages).toHaveLength(1);
}

async function confirmedOffset(profileDir: string, atLeast: number, what: string): Promise<number> {
  const row = await eventually(
    () => readMirrorAttachments(profileDir)[0] ?? null,
    (found) => found !== null && found.uploadState === 'pending' && found.uploadOffset >= atLeast,
    what,
    60_000,
  );
  return row!.uploadOffset;
}

describe('interrupted uploads resume', () => {
  it('closing the app mid-upload: the next start resumes from the confirmed chunk', async () => {
    const { server, proxy, bob, profile, alice, conversationId, file, bytes } = await aliceWithBigFile();
    proxy.throttle(16 * MiB);
    const before = proxy.bytesToServer;
    await alice.sendMessage({ conversationId, text: '', attachments: [{ sha256: file.sha256, name: 'big.bin', kind: 'file' }] });
    const offset = await confirmedOffset(profile, 8 * MiB, 'a chunk confirmed');
    await alice.close();
    expect(readMirrorAttachments(profile)[0]).toMatchObject({ uploadState: 'pending', uploadOffset: offset });

    proxy.throttle(null);
    // Opened again, as the app is: the stored session signs it in, and the upload goes on.
    await clients.open(profile, proxy.url);
    await expectDeliveredOnce(server, bob, bytes, 'the file arrives after the restart');
    expect(proxy.bytesToServer - before).toBeLessThan(2 * SIZE);
  }, 120_000);

  it('network cuts at random moments: each attempt resumes, the file arrives once', async () => {
    const seed = faultSeed(0x5eed08);
    const rng = seededRandom(seed);
    console.log(`[faults] upload cuts: seed ${seed} (FAULT_SEED=${seed} replays)`);
    const { server, proxy, bob, profile, alice, conversationId, file, bytes } = await aliceWithBigFile();
    proxy.throttle(12 * MiB);
    const before = proxy.bytesToServer;
    await alice.sendMessage({ conversationId, text: '', attachments: [{ sha256: file.sha256, name: 'big.bin', kind: 'file' }] });
    let midUpload = 0;
    for (let cut = 0; cut < 3; cut += 1) {
      await sleep(rng.int(150, 700));
      if (readMirrorAttachments(profile)[0]?.uploadState === 'pending') midUpload += 1;
      if (rng.next() < 0.5) proxy.cut();
      else proxy.reset();
    }
    expect(midUpload, `at least one cut lands mid-upload (seed ${seed})`).toBeGreaterThan(0);
    proxy.throttle(null);
    await expectDeliveredOnce(server, bob, bytes, `the file arrives despite the cuts (seed ${seed})`);
    expect(proxy.bytesToServer - before, `seed ${seed}`).toBeLessThan(2 * SIZE);
  }, 120_000);

  it('the server restarting mid-upload: the client resumes from what the server kept', async () => {
    // A fixed port, so the restarted server is where the proxy (and so the client) looks for it.
    const started = await aliceWithBigFile({ port: await freePort() });
    let { server } = started;
    const { proxy, bob, profile, alice, conversationId, file, bytes } = started;
    proxy.throttle(16 * MiB);
    const before = proxy.bytesToServer;
    await alice.sendMessage({ conversationId, text: '', attachments: [{ sha256: file.sha256, name: 'big.bin', kind: 'file' }] });
    await confirmedOffset(profile, 8 * MiB, 'a chunk confirmed before the restart');
    server = await servers.restart(server);
    proxy.throttle(null);
    await online(bob);
    await expectDeliveredOnce(server, bob, bytes, 'the file arrives after the server restarted');
    expect(proxy.bytesToServer - before).toBeLessThan(2 * SIZE);
  }, 120_000);

  it('SIGKILL of the client mid-upload: the restarted client resumes and the file arrives once', async () => {
    const server = await servers.startServer();
    const { proxy, bob } = await setUp(server);
    const profile = await tempDir();
    const original = join(await tempDir(), 'big.bin');
    const bytes = fileBytes(SIZE);
    await writeFile(original, bytes);
    const args = ['--profile', profile, '--server', proxy.url, '--username', 'alice', '--password', DEFAULT_TEST_PASSWORD];
    const attach = [...args, '--mode', 'attach', '--peer', 'bob', '--file', original];
    proxy.throttle(16 * MiB);
    const before = proxy.bytesToServer;
    const first = processes.spawnScript(DRIVER, attach, { name: 'driver alice' });
    await first.waitForLine(/^attached /, { timeoutMs: 30_000 });
    await confirmedOffset(profile, 8 * MiB, 'a chunk confirmed before the kill');
    await first.kill('SIGKILL');

    proxy.throttle(null);
    const second = processes.spawnScript(DRIVER, attach, { name: 'driver alice again' });
    await second.waitForLine(/^done /, { timeoutMs: 60_000 });
    expect(second.lines.filter((line) => line.startsWith('attached '))).toEqual(
      first.lines.filter((line) => line.startsWith('attached ')),
    );
    await expectDeliveredOnce(server, bob, bytes, 'the file arrives after the kill');
    expect(proxy.bytesToServer - before).toBeLessThan(2 * SIZE);
  }, 120_000);
});
