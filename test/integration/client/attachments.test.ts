/**
 * Attachments between real client cores and a real server over 127.0.0.1: composed offline,
 * uploaded with tus once the connection is back, received, downloaded (images by themselves, other
 * files on request) and verified byte for byte; refusals fail only their own message.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { acceptedBy } from '../../support/people.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachmentView, MessageView } from '../../../sync/app-api/contract.js';
import { profileBlobStore } from '../../support/file-keys.js';
import { attachFile, fileBytes, imageBytes, sha256Of, storedBytes } from '../../support/attachments-files.js';
import { sealedSizeOf } from '../../../sync/client/attachments/sealed-file.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { readMirrorAttachments } from '../../support/db-invariants.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServerOptions } from '../../support/server-harness.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

const servers = createServerHarness();
const clients = createClientHarness();
const proxies: (TcpProxy | FaultProxy)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await clients.cleanup();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await servers.cleanup();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const MiB = 1024 * 1024;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attachment-originals-'));
  dirs.push(dir);
  return dir;
}

async function online(core: TestCore, state: 'online' | 'offline' = 'online') {
  await eventually(
    () => core.getConnectionState(),
    (now) => now === state,
    state,
  );
}

async function signUp(core: TestCore, serverUrl: string, username: string) {
  await core.createAccount({ serverUrl, username, displayName: username, password: DEFAULT_TEST_PASSWORD });
  await online(core);
}

/**
 * Alice and Bob in a direct conversation. Alice reaches the server through a proxy that can be
 * cut (`aliceVia: 'tcp'`, which refuses new connections while cut) or made to misbehave ('fault');
 * Bob through a fault proxy of his own when `bobVia` is 'fault'.
 */
async function twoPeople(options: { server?: TestServerOptions; aliceVia?: 'tcp' | 'fault'; bobVia?: 'fault' } = {}) {
  const server = await servers.startServer(options.server ?? {});
  const aliceProxy = options.aliceVia === 'fault' ? await startFaultProxy(server.port) : await startTcpProxy(server.port);
  proxies.push(aliceProxy);
  const bobProxy = options.bobVia === 'fault' ? await startFaultProxy(server.port) : null;
  if (bobProxy) proxies.push(bobProxy);
  const aliceProfile = await clients.profileDir();
  const bobProfile = await clients.profileDir();
  const alice = await clients.open(aliceProfile, aliceProxy.url);
  const bob = await clients.open(bobProfile, bobProxy?.url ?? server.url);
  await signUp(alice, aliceProxy.url, 'alice');
  await signUp(bob, bobProxy?.url ?? server.url, 'bob');
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, conversationId);
  return { server, alice, bob, aliceProfile, bobProfile, aliceProxy, bobProxy, conversationId };
}

async function messages(core: TestCore, conversationId: string): Promise<MessageView[]> {
  return (await core.listMessages({ conversationId, limit: 1000 })).messages;
}

async function messageWhere(
  core: TestCore,
  conversationId: string,
  accept: (m: MessageView) => boolean,
  what: string,
  timeoutMs = 30_000,
) {
  const list = await eventually(
    () => messages(core, conversationId),
    (all) => all.some(accept),
    what,
    timeoutMs,
  );
  return list.find(accept)!;
}

async function attachmentOf(
  core: TestCore,
  conversationId: string,
  messageId: string,
  index: number,
  accept: (a: AttachmentView) => boolean,
  what: string,
): Promise<AttachmentView> {
  const message = await messageWhere(
    core,
    conversationId,
    (m) => m.id === messageId && m.attachments[index] !== undefined && accept(m.attachments[index]),
    what,
  );
  return message.attachments[index]!;
}

describe('attachments between two client cores', () => {
  it('a file and an image composed offline go out after reconnect; the image downloads by itself, the file when asked, byte for byte', async () => {
    const { alice, bob, aliceProfile, bobProfile, aliceProxy, conversationId } = await twoPeople();
    const originals = await tempDir();
    const fileContent = fileBytes(300_000);
    const imageContent = imageBytes(200_000);
    const file = await attachFile(aliceProfile, originals, 'report.bin', fileContent);
    const image = await attachFile(aliceProfile, originals, 'photo.png', imageContent);

    (aliceProxy as TcpProxy).cut();
    await online(alice, 'offline');
    const sent = await alice.sendMessage({
      conversationId,
      text: 'the report, and a photo',
      attachments: [
        { sha256: file.sha256, name: 'report.bin', kind: 'file' },
        { sha256: image.sha256, name: 'photo.png', kind: 'image', width: 1, height: 1 },
      ],
    });
    expect(sent).toMatchObject({ status: 'sending', text: 'the report, and a photo' });
    expect(sent.attachments).toEqual([
      expect.objectContaining({ index: 0, name: 'report.bin', kind: 'file', size: file.size, localUrl: `files/${file.sha256}` }),
      expect.objectContaining({ index: 1, name: 'photo.png', kind: 'image', mime: 'image/png', width: 1, height: 1 }),
    ]);
    expect(sent.attachments.map((a) => a.transfer?.direction)).toEqual(['upload', 'upload']);
    // The originals are only where the person picked them: the profile has its own copies.
    await Promise.all([rm(file.path), rm(image.path)]);

    (aliceProxy as TcpProxy).restore();
    await messageWhere(alice, conversationId, (m) => m.id === sent.id && m.seq !== null, 'alice’s message acknowledged');
    const received = await messageWhere(bob, conversationId, (m) => m.id === sent.id, 'bob receives the message');
    expect(received.attachments.map((a) => [a.name, a.kind, a.size, a.sha256])).toEqual([
      ['report.bin', 'file', file.size, file.sha256],
      ['photo.png', 'image', image.size, image.sha256],
    ]);
    expect(received.attachments[0]).toMatchObject({ localUrl: null, transfer: null });

    await attachmentOf(bob, conversationId, sent.id, 1, (a) => a.localUrl !== null, 'the image downloads by itself');
    expect((await storedBytes(bobProfile, image.sha256))!.equals(imageContent)).toBe(true);
    expect(await storedBytes(bobProfile, file.sha256)).toBeNull();

    await bob.downloadAttachment({ conversationId, messageId: sent.id, index: 0 });
    const downloaded = await attachmentOf(bob, conversationId, sent.id, 0, (a) => a.localUrl !== null, 'the file on request');
    expect(downloaded).toMatchObject({ localUrl: `files/${file.sha256}`, transfer: null });
    expect((await storedBytes(bobProfile, file.sha256))!.equals(fileContent)).toBe(true);
    // Kept as the sealed file that was uploaded: it hashes to its name, as the message declared.
    expect(sha256Of(await readFile(profileBlobStore(bobProfile).pathOf(file.sha256)))).toBe(file.sha256);
    expect(bob.events.some((event) => event.type === 'transfer' && event.direction === 'download')).toBe(true);
  }, 60_000);

  it('the server keeps only ciphertext: an upload cut midway resumes, and the receiver verifies, reads ranges and shows the same bytes', async () => {
    const { server, alice, bob, aliceProfile, bobProfile, aliceProxy, conversationId } = await twoPeople({ aliceVia: 'fault' });
    const NAME_MARKER = 'NAME-MARKER-7f3a';
    const BYTES_MARKER = Buffer.from('BYTES-MARKER-c41d');
    const size = 12 * MiB;
    const content = fileBytes(size);
    // In every 64 KiB chunk, so any plaintext chunk anywhere would show.
    for (let at = 1000; at + BYTES_MARKER.length < size; at += 65_536) BYTES_MARKER.copy(content, at);
    const name = `${NAME_MARKER}.bin`;
    const file = await attachFile(aliceProfile, await tempDir(), name, content);

    const proxy = aliceProxy as FaultProxy;
    proxy.throttle(4 * MiB);
    const before = proxy.bytesToServer;
    const sent = await alice.sendMessage({
      conversationId,
      text: '',
      attachments: [{ sha256: file.sha256, name, kind: 'file' }],
    });
    await eventually(
      () => proxy.bytesToServer - before,
      (bytes) => bytes >= 0.5 * size,
      'half the file is on its way',
      30_000,
    );
    proxy.reset();
    proxy.throttle(null);

    const received = await messageWhere(bob, conversationId, (m) => m.id === sent.id, 'bob receives the message', 60_000);
    expect(received.attachments[0]).toMatchObject({ name, size, sha256: file.sha256 });
    // Resumed from what the server had, not sent again from the start.
    expect(proxy.bytesToServer - before).toBeLessThan(1.4 * size);
    await bob.downloadAttachment({ conversationId, messageId: sent.id, index: 0 });
    await attachmentOf(bob, conversationId, sent.id, 0, (a) => a.localUrl !== null, 'bob downloads and verifies it');
    expect((await storedBytes(bobProfile, file.sha256))!.equals(content)).toBe(true);
    const ranged: Buffer[] = [];
    const from = 3 * 65_536 - 5;
    for await (const chunk of profileBlobStore(bobProfile).read(file.sha256, { start: from, end: from + 99_999 })) {
      ranged.push(chunk as Buffer);
    }
    expect(Buffer.concat(ranged).equals(content.subarray(from, from + 100_000))).toBe(true);

    // Every byte the server keeps: its database files and its attachment store.
    const { attachmentId } = readMirrorAttachments(bobProfile).find((a) => a.messageId === sent.id)!;
    const stored = await readFile(join(server.dataDir, 'attachments', attachmentId!));
    expect(stored.length).toBe(sealedSizeOf(size));
    expect(sha256Of(stored)).toBe(file.sha256);
    const names = await readdir(server.dataDir, { recursive: true });
    let scanned = 0;
    for (const entry of names) {
      const path = join(server.dataDir, entry);
      if (!(await stat(path)).isFile()) continue;
      const bytes = await readFile(path);
      scanned += bytes.length;
      expect(bytes.includes(BYTES_MARKER), `${entry} holds the file's plaintext`).toBe(false);
      // The name travels in the message, which is sealed content once sends are envelopes (issue 31);
      // nothing the upload stores (its row, its files) may hold it.
      if (!/\.sqlite(-wal|-shm)?$/.test(entry)) expect(bytes.includes(NAME_MARKER), `${entry} holds the file's name`).toBe(false);
    }
    expect(scanned).toBeGreaterThan(sealedSizeOf(size));
    const serverStore = openSqliteServerStore(server.dataDir);
    try {
      const upload = await serverStore.getUpload(attachmentId!);
      expect(JSON.stringify(upload)).not.toContain(NAME_MARKER);
      expect(upload).toMatchObject({ sha256: file.sha256, size: sealedSizeOf(size) });
    } finally {
      await serverStore.close();
    }
  }, 90_000);

  it('keeps compose order: a text sent right after a large file arrives after it', async () => {
    const { alice, bob, aliceProfile, conversationId } = await twoPeople({ aliceVia: 'fault' });
    const big = await attachFile(aliceProfile, await tempDir(), 'big.bin', fileBytes(20 * MiB));
    const withFile = await alice.sendMessage({
      conversationId,
      text: '',
      attachments: [{ sha256: big.sha256, name: 'big.bin', kind: 'file' }],
    });
    const after = await alice.sendMessage({ conversationId, text: 'after the file' });
    const both = await eventually(
      () => messages(bob, conversationId),
      (list) => list.length === 2,
      'bob has both',
      30_000,
    );
    expect(both.map((m) => m.id)).toEqual([withFile.id, after.id]);
    expect(both[0]!.seq!).toBeLessThan(both[1]!.seq!);
    expect(both[0]!.text).toBe('');
  }, 60_000);

  it('tells the limit the server announced and refuses a larger file before queueing it', async () => {
    const { alice, aliceProfile, conversationId } = await twoPeople({ server: { maxFileBytes: 1 * MiB } });
    expect(await alice.getAttachmentLimits()).toEqual({ maxFileBytes: 1 * MiB });
    const big = await attachFile(aliceProfile, await tempDir(), 'big.bin', fileBytes(2 * MiB));
    await expect(
      alice.sendMessage({ conversationId, text: '', attachments: [{ sha256: big.sha256, name: 'big.bin', kind: 'file' }] }),
    ).rejects.toMatchObject({ code: 'refused', message: 'file_too_large' });
    expect(await messages(alice, conversationId)).toEqual([]);
  });

  it('a file the server finds too large fails its message with that reason; the next message still goes', async () => {
    const { alice, bob, aliceProfile, aliceProxy, conversationId } = await twoPeople({ server: { maxFileBytes: 1 * MiB } });
    const big = await attachFile(aliceProfile, await tempDir(), 'big.bin', fileBytes(2 * MiB));
    // Composed while the client still believed an older, larger limit (offline since).
    (aliceProxy as TcpProxy).cut();
    await alice.close();
    const db = new Database(join(aliceProfile, 'mirror.sqlite'));
    db.prepare('UPDATE session SET server_limits = ?').run(JSON.stringify({ maxFileBytes: 10 * MiB }));
    db.close();
    const reopened = await clients.open(aliceProfile, aliceProxy.url);
    const refused = await reopened.sendMessage({
      conversationId,
      text: 'too big for the server',
      attachments: [{ sha256: big.sha256, name: 'big.bin', kind: 'file' }],
    });
    const next = await reopened.sendMessage({ conversationId, text: 'this one goes' });
    (aliceProxy as TcpProxy).restore();

    const failed = await messageWhere(reopened, conversationId, (m) => m.id === refused.id && m.status === 'failed', 'refused');
    expect(failed.error).toBe('file_too_large');
    expect(failed.attachments[0]?.transfer).toMatchObject({ direction: 'upload', state: 'failed', error: 'file_too_large' });
    await messageWhere(bob, conversationId, (m) => m.id === next.id, 'the next message reaches bob');
    expect((await messages(bob, conversationId)).map((m) => m.id)).toEqual([next.id]);
  }, 60_000);

  it('bytes that no longer match what was declared are refused by the server (checksum mismatch); the next message still goes', async () => {
    const { alice, bob, aliceProfile, aliceProxy, conversationId } = await twoPeople();
    const original = await attachFile(aliceProfile, await tempDir(), 'notes.bin', fileBytes(500_000));
    (aliceProxy as TcpProxy).cut();
    await online(alice, 'offline');
    const corrupted = await alice.sendMessage({
      conversationId,
      text: '',
      attachments: [{ sha256: original.sha256, name: 'notes.bin', kind: 'file' }],
    });
    const next = await alice.sendMessage({ conversationId, text: 'after the broken one' });
    // The profile's copy changes under the core (a disk error, a meddling program): same size, other bytes.
    await writeFile(profileBlobStore(aliceProfile).pathOf(original.sha256), fileBytes(sealedSizeOf(original.size)));
    (aliceProxy as TcpProxy).restore();

    const failed = await messageWhere(alice, conversationId, (m) => m.id === corrupted.id && m.status === 'failed', 'refused');
    expect(failed.error).toBe('checksum_mismatch');
    await messageWhere(bob, conversationId, (m) => m.id === next.id, 'the next message reaches bob');
    expect((await messages(bob, conversationId)).map((m) => m.id)).toEqual([next.id]);
  }, 60_000);

  it('bytes that arrive changed (not what the sender declared) are refused: checksum_mismatch, nothing shown or kept', async () => {
    const { alice, bob, bobProfile, conversationId, server } = await twoPeople();
    const file = await attachFileFor(alice, 300_000);
    const sent = await alice.sendMessage({ conversationId, text: '', attachments: [asFile(file)] });
    await messageWhere(bob, conversationId, (m) => m.id === sent.id, 'bob receives the message');
    // The server's copy changes under it (a bad disk, a tampering store): one byte flipped.
    const { attachmentId } = readMirrorAttachments(bobProfile).find((a) => a.messageId === sent.id)!;
    const onServer = join(server.dataDir, 'attachments', attachmentId!);
    const bytes = await readFile(onServer);
    bytes[1234] = bytes[1234]! ^ 0xff;
    await writeFile(onServer, bytes);

    await bob.downloadAttachment({ conversationId, messageId: sent.id, index: 0 });
    const failed = await attachmentOf(
      bob,
      conversationId,
      sent.id,
      0,
      (a) => a.transfer?.state === 'failed',
      'the download fails',
    );
    expect(failed.transfer).toMatchObject({ direction: 'download', error: 'checksum_mismatch' });
    expect(failed.localUrl).toBeNull();
    expect(await storedBytes(bobProfile, file.sha256)).toBeNull();
    expect(await stat(profileBlobStore(bobProfile).incomingPath(attachmentId!)).catch(() => null)).toBeNull();
  }, 60_000);

  it('files the server removed before their message went (unused for a day) are uploaded again, and the message goes', async () => {
    const { alice, bob, aliceProfile, aliceProxy, conversationId, server } = await twoPeople({ aliceVia: 'fault' });
    // A big file holds the queue; the small one behind it is uploaded meanwhile, then lost on the server.
    (aliceProxy as FaultProxy).throttle(2 * MiB);
    const big = await alice.sendMessage({
      conversationId,
      text: 'big',
      attachments: [asFile(await attachFileFor(alice, 6 * MiB))],
    });
    const smallFile = await attachFileFor(alice, 50_000);
    const small = await alice.sendMessage({ conversationId, text: 'small', attachments: [asFile(smallFile)] });
    const uploaded = await eventually(
      () => readMirrorAttachments(aliceProfile).find((a) => a.messageId === small.id),
      (row) => row?.uploadState === 'done',
      'the small file is uploaded while the big one still goes',
      30_000,
    );
    expect((await messages(alice, conversationId)).find((m) => m.id === big.id)?.status).toBe('sending');
    const serverStore = openSqliteServerStore(server.dataDir);
    try {
      expect(await serverStore.deleteUpload(uploaded!.attachmentId!)).toBe(true);
    } finally {
      await serverStore.close();
    }
    await rm(join(server.dataDir, 'attachments', uploaded!.attachmentId!), { force: true });

    (aliceProxy as FaultProxy).throttle(null);
    const received = await messageWhere(bob, conversationId, (m) => m.id === small.id, 'the small message reaches bob');
    expect(received.attachments.map((a) => a.sha256)).toEqual([smallFile.sha256]);
    const sent = await messageWhere(alice, conversationId, (m) => m.id === small.id && m.status !== 'sending', 'acknowledged');
    expect(sent.status).not.toBe('failed');
    const again = readMirrorAttachments(aliceProfile).find((a) => a.messageId === small.id)!;
    expect(again.attachmentId).not.toBe(uploaded!.attachmentId);
  }, 60_000);

  it('a file whose copy in the profile vanished before it was uploaded fails its message (file_unreadable), and the next goes', async () => {
    const { alice, bob, aliceProfile, aliceProxy, conversationId } = await twoPeople();
    (aliceProxy as TcpProxy).cut();
    await online(alice, 'offline');
    const file = await attachFileFor(alice, 20_000);
    const lost = await alice.sendMessage({ conversationId, text: 'lost', attachments: [asFile(file)] });
    const next = await alice.sendMessage({ conversationId, text: 'after it' });
    await rm(profileBlobStore(aliceProfile).pathOf(file.sha256));

    (aliceProxy as TcpProxy).restore();
    const failed = await messageWhere(alice, conversationId, (m) => m.id === lost.id && m.status === 'failed', 'the send fails');
    expect(failed.error).toBe('file_unreadable');
    await messageWhere(bob, conversationId, (m) => m.id === next.id, 'the next message reaches bob');
    expect((await messages(bob, conversationId)).map((m) => m.id)).toEqual([next.id]);
  }, 60_000);

  it('a download cut midway resumes with a range request and arrives verified', async () => {
    const { alice, bob, bobProfile, bobProxy, conversationId } = await twoPeople({ bobVia: 'fault' });
    const size = 12 * MiB;
    const file = await attachFileFor(alice, size);
    const sent = await alice.sendMessage({ conversationId, text: '', attachments: [asFile(file)] });
    await messageWhere(bob, conversationId, (m) => m.id === sent.id, 'bob receives the message');
    const proxy = bobProxy!;
    proxy.throttle(4 * MiB);
    const before = proxy.bytesToClient;
    await bob.downloadAttachment({ conversationId, messageId: sent.id, index: 0 });
    const row = await eventually(
      () => readMirrorAttachments(bobProfile).find((a) => a.messageId === sent.id)!,
      (found) => found.attachmentId !== null,
      'the attachment row',
    );
    const store = profileBlobStore(bobProfile);
    await eventually(
      async () => (await stat(store.incomingPath(row.attachmentId!)).catch(() => null))?.size ?? 0,
      (partial) => partial >= 0.6 * size,
      'most of the file has arrived',
      30_000,
    );
    proxy.reset();
    proxy.throttle(null);
    const done = await attachmentOf(bob, conversationId, sent.id, 0, (a) => a.localUrl !== null, 'the download completes');
    expect((await storedBytes(bobProfile, done.sha256))!.equals(file.bytes)).toBe(true);
    // Starting again from zero would have cost at least 1.6 times the file.
    expect(proxy.bytesToClient - before).toBeLessThan(1.5 * size);
  }, 60_000);

  it('a removed member asking for a file of the group is told not_available', async () => {
    // Only current members download: a removed member keeps what they already have, nothing more.
    const server = await servers.startServer();
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map(async () => clients.open(await clients.profileDir(), server.url)),
    );
    await signUp(alice!, server.url, 'alice');
    await signUp(bob!, server.url, 'bob');
    await signUp(carol!, server.url, 'carol');
    const members = await Promise.all(['bob', 'carol'].map((username) => alice!.findUser({ username })));
    const group = await alice!.createGroup({ name: 'team', memberIds: members.map((member) => member.id) });
    const file = await attachFileFor(alice!, 100_000);
    const sent = await alice!.sendMessage({ conversationId: group.id, text: '', attachments: [asFile(file)] });
    await messageWhere(carol!, group.id, (m) => m.id === sent.id, 'carol receives the message');
    await alice!.removeMember({ conversationId: group.id, userId: members[1]!.id });
    await eventually(
      () => carol!.listConversations({ folder: 'all' }),
      (list) => list[0]?.isMember === false,
      'carol is no longer a member',
    );
    await bob!.downloadAttachment({ conversationId: group.id, messageId: sent.id, index: 0 });
    const kept = await attachmentOf(bob!, group.id, sent.id, 0, (a) => a.localUrl !== null, 'bob, still a member, downloads it');
    expect(kept.sha256).toBe(file.sha256);
    expect((await storedBytes(bob!.profileDir, kept.sha256))!.equals(file.bytes)).toBe(true);
    await carol!.downloadAttachment({ conversationId: group.id, messageId: sent.id, index: 0 });
    const failed = await attachmentOf(carol!, group.id, sent.id, 0, (a) => a.transfer?.state === 'failed', 'the download fails');
    expect(failed.transfer).toMatchObject({ direction: 'download', error: 'not_available' });
    expect(failed.localUrl).toBeNull();
  }, 60_000);
});

/** Random bytes put into the profile of `core`, as a picked file would be. */
async function attachFileFor(core: TestCore, size: number): Promise<{ sha256: string; name: string; bytes: Buffer }> {
  const bytes = fileBytes(size);
  const stored = await attachFile(core.profileDir, await tempDir(), 'data.bin', bytes);
  return { sha256: stored.sha256, name: 'data.bin', bytes };
}

/** What the composer says about a file attached with attachFileFor. */
function asFile(file: { sha256: string; name: string }) {
  return { sha256: file.sha256, name: file.name, kind: 'file' as const };
}
